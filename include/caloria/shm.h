/*
 * shm.h — the one memory-mapped file shared by every worker process.
 *
 * The file holds a fixed header and one region per tenant: today the metrics
 * (§13), the rate-limit counters (§4.4) and the cache (§12).  Each tenant
 * describes its region (size, init, check) in a cal_shm_tenant; the list of
 * tenants lives in shmtenants.c, so this module knows none of them by name and
 * they are free to call into it.  Any process that knows the
 * path can open it (pre-fork pool, mod_fcgid, spawn-fcgi).  A file that is
 * corrupt, foreign, truncated, from an older layout, from a previous boot or of
 * a different size is replaced by a fresh one, never repaired in place, so
 * processes that still map the old file are never disturbed.
 *
 * Locks inside the file are process-shared robust mutexes: a worker killed
 * while holding one hands the next locker EOWNERDEAD, and the module that owns
 * the lock repairs the structure before marking it consistent.
 */
#ifndef CALORIA_SHM_H
#define CALORIA_SHM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_SHM_MAGIC UINT64_C(0x314149524f4c4143) /* "CALORIA1" little-endian */
#define CAL_SHM_VERSION 2u                         /* bump on any layout change */
#define CAL_SHM_MIN_BYTES ((size_t)1 << 20)        /* smallest useful file */
#define CAL_SHM_MAX_BYTES ((size_t)1 << 36)        /* 64 GiB: sanity bound */
#define CAL_SHM_TENANTS_MAX 8                      /* slots in the file header */

typedef struct cal_shm cal_shm;

/*
 * A tenant of the file: how big its region is, how a fresh one is built and
 * how an existing one is checked.  Each tenant module defines one (const) and
 * finds its region again with cal_shm_region(shm, &its_tenant, &len).
 */
typedef struct cal_shm_tenant {
	const char *name; /* "cache": names the region in messages */
	/* Bytes wanted in a file of total bytes of which left are still free
	 * (page-aligned); 0 when the region cannot fit.  The last tenant may
	 * take all of left.  Must depend on its arguments only, so any process
	 * can recompute the layout and refuse a header that disagrees. */
	size_t (*size)(size_t total, size_t left);
	/* Build a fresh region (zeroed file, under the creation lock). */
	int (*init)(void *base, size_t len);
	/* 0 when an existing region of len bytes is one this build can use. */
	int (*check)(const void *base, size_t len);
} cal_shm_tenant;

/* The tenants in file order (shmtenants.c) and their number. */
extern const cal_shm_tenant *const cal_shm_tenants[];
extern const int cal_shm_tenants_count;

/*
 * Map the file at path, creating or replacing it when it is not a valid
 * Caloria file of exactly size_bytes.  Returns 0, or -errno with a message in
 * err.  Creation is serialised by flock(2) on "<path>.lock".
 */
int cal_shm_open(cal_shm **out, const char *path, size_t size_bytes, char *err, size_t errlen);

/* Unmap and free the handle; the file stays for the other processes. */
void cal_shm_close(cal_shm *shm);

/* Start and length of a tenant's region inside the mapping; NULL for a
 * tenant that is not in cal_shm_tenants. */
void *cal_shm_region(cal_shm *shm, const cal_shm_tenant *t, size_t *len);

/* Why cal_shm_open built a fresh file ("missing", "size differs", …), or
 * NULL when it attached to a valid existing one.  Worth one log line. */
const char *cal_shm_recreated(const cal_shm *shm);

/* Total mapped size. */
size_t cal_shm_size(const cal_shm *shm);

/* Keyed 64-bit hash (SipHash-2-4); keys come from the file's random seed. */
uint64_t cal_shm_hash(const uint64_t key[2], const void *data, size_t len);

/* Fill buf with random bytes (getrandom, falling back to /dev/urandom). */
int cal_shm_random(void *buf, size_t len);

/* Initialise a process-shared robust mutex living in the mapping. */
int cal_shm_mutex_init(pthread_mutex_t *m);

/*
 * Lock a mutex in the mapping.  Returns 0 when locked, 1 when locked but the
 * previous owner died holding it (the caller must repair what the mutex
 * protects and then call cal_shm_mutex_consistent before unlocking), or
 * -errno (the lock is unusable; callers degrade: cache miss, limiter allows).
 */
int cal_shm_mutex_lock(cal_shm *shm, pthread_mutex_t *m);
void cal_shm_mutex_consistent(cal_shm *shm, pthread_mutex_t *m);
void cal_shm_mutex_unlock(pthread_mutex_t *m);

/* How many dead-owner repairs the pool has performed (for metrics). */
uint64_t cal_shm_repairs(cal_shm *shm);

/* Unix time at which this file was created (for pool-wide uptime). */
int64_t cal_shm_created(cal_shm *shm);

#endif /* CALORIA_SHM_H */
