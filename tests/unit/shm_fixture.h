/*
 * A private shared segment for one test: a temporary directory holding the mapped file (and its lock
 * file), opened with cal_shm_open and removed with everything in it afterwards. Shared by the unit tests
 * of the modules that live in the segment or use it (cache, rate limits, metrics, API client).
 */
#ifndef CALORIA_TESTS_SHM_FIXTURE_H
#define CALORIA_TESTS_SHM_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "caloria/shm.h"

typedef struct shm_fixture {
	char dir[64];
	char path[128];
	cal_shm *shm;
} shm_fixture;

/* Creates /tmp/caloria-<tag>-XXXXXX and maps a segment of size bytes in it; fails the test otherwise. */
static inline cal_shm *shm_fixture_open(shm_fixture *f, const char *tag, size_t size)
{
	char err[256] = "";

	snprintf(f->dir, sizeof f->dir, "/tmp/caloria-%s-XXXXXX", tag);
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/caloria.cache", f->dir);
	cr_assert_eq(cal_shm_open(&f->shm, f->path, size, err, sizeof err), 0, "%s", err);
	return f->shm;
}

/* Unmaps the segment and removes the directory with the file and its lock. */
static inline void shm_fixture_close(shm_fixture *f)
{
	char cmd[128];

	if (f->shm != NULL)
		cal_shm_close(f->shm);
	f->shm = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

#endif
