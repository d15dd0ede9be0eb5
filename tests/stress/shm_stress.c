/*
 * shm_stress.c — standalone stress test of the shared file across processes
 * (cache.c, ratelimit.c, metrics.c, shm.c).  Exits 0 and prints one PASS line,
 * or exits 1 and prints what differed.
 *
 * Phase 1 (limiter exactness): 4 processes fire 40 hits each, all at once, at
 * one key with limit 100 inside one minute: exactly 100 are allowed.
 *
 * Phase 2 (crash safety): 4 workers hammer the same 8 cache counters (incr),
 * one rate-limit key and one metrics counter.  Meanwhile the parent keeps
 * starting an extra worker and SIGKILLing it after a random few milliseconds,
 * often while it holds a shard or stripe lock.  Every worker writes, in its
 * own slot of an anonymous shared mapping, "attempted op n" before an
 * operation and "completed op n" after it, so afterwards the parent knows
 * exactly what each worker completed, plus at most one operation per killed
 * worker that may or may not have taken effect.  The totals in the shared
 * file must equal the completed sum, give or take exactly those in-flight
 * operations — no lost and no invented updates — and the survivors must never
 * have seen an error or hung.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caloria/cache.h"
#include "caloria/metrics.h"
#include "caloria/ratelimit.h"
#include "caloria/shm.h"

#define WORKERS 4
#define VICTIMS 40
#define NKEYS 8
#define SIZE ((size_t)16 << 20)
#define RL_NOW ((time_t)1700000000)
#define RL_BIG 4000000000u

enum { OP_INCR, OP_RL, OP_MET, OP__MAX };

struct slot {
	_Atomic uint64_t tried[OP__MAX];
	_Atomic uint64_t done[OP__MAX];
	_Atomic uint64_t errors;
	_Atomic uint64_t allowed; /* phase 1 */
	int killed;
};

struct board {
	_Atomic int go;
	_Atomic int stop;
	struct slot slot[WORKERS + VICTIMS];
};

static struct board *board;
static const char *path;

static cal_shm *
open_or_die(void)
{
	cal_shm *shm = NULL;
	char err[256];

	if (cal_shm_open(&shm, path, SIZE, err, sizeof(err)) != 0) {
		fprintf(stderr, "shm_stress: open: %s\n", err);
		_exit(2);
	}
	return shm;
}

static void
phase1_child(int i)
{
	cal_shm *shm = open_or_die();
	unsigned retry;

	while (!atomic_load(&board->go))
		;
	for (int j = 0; j < 40; j++) {
		int rc = cal_ratelimit_hit(shm, "webhook", "sub:burst", 100, 60,
		    RL_NOW + j % 30, &retry);

		if (rc == 0)
			atomic_fetch_add(&board->slot[i].allowed, 1);
		else if (rc < 0)
			atomic_fetch_add(&board->slot[i].errors, 1);
	}
	cal_shm_close(shm);
	_exit(0);
}

/* One operation of kind op, bracketed by the attempt/done records. */
static void
one_op(cal_shm *shm, struct slot *s, int op, uint64_t n)
{
	char key[16];
	unsigned retry;
	long long v;
	int rc;

	atomic_store(&s->tried[op], n);
	switch (op) {
	case OP_INCR:
		snprintf(key, sizeof(key), "ctr:%d", (int)(n % NKEYS));
		rc = cal_cache_incr(shm, key, strlen(key), 1, 0, &v);
		break;
	case OP_RL:
		rc = cal_ratelimit_hit(shm, "api", "stress", RL_BIG, 60, RL_NOW,
		    &retry);
		break;
	default:
		cal_metrics_business(shm, "users_created", 1);
		rc = 0;
		break;
	}
	if (rc != 0) {
		atomic_fetch_add(&s->errors, 1);
		return; /* not done: the parent will see tried != done */
	}
	atomic_store(&s->done[op], n);
}

static void
worker(int i)
{
	cal_shm *shm = open_or_die();
	struct slot *s = &board->slot[i];

	for (uint64_t n = 1; !atomic_load(&board->stop); n++)
		for (int op = 0; op < OP__MAX; op++)
			one_op(shm, s, op, n);
	cal_shm_close(shm);
	_exit(0);
}

static pid_t
spawn(void (*fn)(int), int i)
{
	pid_t pid = fork();

	if (pid == 0)
		fn(i);
	if (pid < 0) {
		perror("shm_stress: fork");
		exit(1);
	}
	return pid;
}

static int
phase1(void)
{
	pid_t pids[WORKERS];
	uint64_t allowed = 0, errors = 0;
	int status;

	for (int i = 0; i < WORKERS; i++)
		pids[i] = spawn(phase1_child, i);
	usleep(100000);
	atomic_store(&board->go, 1);
	for (int i = 0; i < WORKERS; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			errors++;
		allowed += atomic_load(&board->slot[i].allowed);
		errors += atomic_load(&board->slot[i].errors);
	}
	printf("shm_stress: phase 1: %d hits from %d processes, limit 100: "
	       "%llu allowed, %llu errors\n", WORKERS * 40, WORKERS,
	    (unsigned long long)allowed, (unsigned long long)errors);
	memset(board, 0, sizeof(*board));
	return allowed == 100 && errors == 0 ? 0 : 1;
}

/* Observed totals in the shared file. */
static void
observe(cal_shm *shm, uint64_t got[OP__MAX])
{
	char key[16];
	long long v, sum = 0;
	unsigned retry;

	for (int k = 0; k < NKEYS; k++) {
		snprintf(key, sizeof(key), "ctr:%d", k);
		if (cal_cache_incr(shm, key, strlen(key), 0, 0, &v) == 0)
			sum += v;
	}
	got[OP_INCR] = (uint64_t)sum;
	/* The limiter's count c is the one limit for which peek flips:
	 * binary search the smallest limit that is not reached. */
	uint64_t lo = 0, hi = RL_BIG;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (cal_ratelimit_peek(shm, "api", "stress", (unsigned)mid, 60,
			RL_NOW, &retry) == 1)
			lo = mid + 1; /* count >= mid */
		else
			hi = mid;
	}
	got[OP_RL] = lo - 1; /* largest limit that is reached */
	char *json = cal_metrics_json(shm, 0);
	const char *p = json ? strstr(json, "\"users_created\":") : NULL;
	got[OP_MET] = p ? strtoull(p + 16, NULL, 10) : 0;
	free(json);
}

static int
phase2(double seconds)
{
	static const char *const opname[OP__MAX] = {"cache incr",
	    "rate-limit hits", "metrics counter"};
	pid_t pids[WORKERS];
	uint64_t done[OP__MAX] = {0}, inflight[OP__MAX] = {0}, got[OP__MAX];
	uint64_t errors = 0;
	struct timespec ts;
	int status, fail = 0;
	cal_shm *shm;

	srand((unsigned)getpid());
	for (int i = 0; i < WORKERS; i++)
		pids[i] = spawn(worker, i);
	for (int v = 0; v < VICTIMS; v++) {
		int i = WORKERS + v;
		pid_t pid = spawn(worker, i);

		ts.tv_sec = 0;
		ts.tv_nsec = (long)(seconds * 1e9 / VICTIMS) / 2 +
		    rand() % (long)(seconds * 1e9 / VICTIMS / 2);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
			fail = 1;
		board->slot[i].killed = 1;
	}
	atomic_store(&board->stop, 1);
	for (int i = 0; i < WORKERS; i++)
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("shm_stress: worker %d did not exit cleanly\n", i);
			fail = 1;
		}
	for (int i = 0; i < WORKERS + VICTIMS; i++) {
		struct slot *s = &board->slot[i];

		errors += atomic_load(&s->errors);
		for (int op = 0; op < OP__MAX; op++) {
			done[op] += atomic_load(&s->done[op]);
			inflight[op] += atomic_load(&s->tried[op]) -
			    atomic_load(&s->done[op]);
		}
	}
	shm = open_or_die();
	observe(shm, got);
	for (int op = 0; op < OP__MAX; op++) {
		int ok = got[op] >= done[op] && got[op] - done[op] <= inflight[op];

		printf("shm_stress: %-16s completed %llu, in flight when killed "
		       "%llu, found %llu: %s\n", opname[op],
		    (unsigned long long)done[op],
		    (unsigned long long)inflight[op],
		    (unsigned long long)got[op], ok ? "exact" : "MISMATCH");
		fail |= !ok;
	}
	printf("shm_stress: %d workers, %d killed, %llu locks recovered from "
	       "dead owners, %llu errors\n", WORKERS, VICTIMS,
	    (unsigned long long)cal_shm_repairs(shm),
	    (unsigned long long)errors);
	if (cal_shm_repairs(shm) == 0)
		printf("shm_stress: note: no kill landed inside a lock this "
		       "run\n");
	cal_shm_close(shm);
	return fail || errors != 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/caloria-stress-XXXXXX", file[64], cmd[96];
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (seconds <= 0.1)
		seconds = 3.0;
	if (mkdtemp(dir) == NULL) {
		perror("shm_stress: mkdtemp");
		return 1;
	}
	snprintf(file, sizeof(file), "%s/caloria.cache", dir);
	path = file;
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED) {
		perror("shm_stress: mmap");
		return 1;
	}
	memset(board, 0, sizeof(*board));
	cal_shm_close(open_or_die()); /* create it once, up front */
	rc = phase1();
	rc |= phase2(seconds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "shm_stress: cannot remove %s\n", dir);
	printf("shm_stress: %s\n", rc == 0 ? "PASS" : "FAIL");
	return rc;
}
