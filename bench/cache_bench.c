/*
 * cache_bench.c — cost of cal_cache_get/cal_cache_set at 1,000, 10,000,
 * 100,000 and 1,000,000 entries in one shared file, as ns/op and as a ratio
 * to the 1,000-entry cost (flat = O(1)).
 *
 * Two access patterns per size: "uniform" picks keys uniformly from all N
 * entries (at 1M entries most touches miss the CPU caches, so this measures
 * memory latency as well as the algorithm); "hot" picks from a fixed 1,000
 * key subset while N entries are stored, which isolates the algorithmic cost
 * — it must stay flat.  "miss" is the floor set by the memory system: one
 * dependent random read among N 256-byte slots (a pointer chase, no cache
 * code at all); the uniform cost grows with N as that floor does, since a
 * get touches a few such slots (bucket, item, its LRU neighbours).  Usage: cache_bench [file] [size_mb] (default a file
 * in /dev/shm, 1024 MB, so 1M small entries fit without eviction).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caloria/cache.h"
#include "caloria/shm.h"

#define OPS 2000000
#define HOT 1000
#define KEYLEN 16

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
key_of(char *k, size_t i)
{
	snprintf(k, KEYLEN, "food:%010zu", i);
}

struct result {
	double set_ns, get_ns;
};

/* ns for one dependent random read among n 256-byte slots: a chase
 * through one random cycle (Sattolo's shuffle), so reads cannot overlap. */
static double
touch_ns(size_t n)
{
	uint64_t *a = calloc(n, 256);
	size_t *perm = malloc(n * sizeof(*perm));
	volatile uint64_t sink;
	uint64_t idx = 0;
	double t0, ns = 0;

	if (a == NULL || perm == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = xorshift() % i, t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		a[perm[i] * 32] = perm[(i + 1) % n];
	t0 = now_ns();
	for (size_t i = 0; i < OPS; i++)
		idx = a[idx * 32];
	ns = (now_ns() - t0) / OPS;
	sink = idx;
	(void)sink;
out:
	free(perm);
	free(a);
	return ns;
}

/* Time OPS sets then OPS gets over keys drawn from [0, span). */
static int
measure(cal_shm *shm, char (*keys)[KEYLEN], size_t span, struct result *r)
{
	static const char val[32] = "{\"kcal\":123,\"protein_g\":4.5}";
	uint32_t *pick = malloc(sizeof(*pick) * OPS);
	char buf[64];
	size_t vlen;
	double t0;
	int rc = 0;

	if (pick == NULL)
		return -1;
	for (size_t i = 0; i < OPS; i++)
		pick[i] = (uint32_t)(xorshift() % span);
	t0 = now_ns();
	for (size_t i = 0; i < OPS; i++)
		rc |= cal_cache_set(shm, keys[pick[i]], KEYLEN - 1, val,
		    sizeof(val), 3600);
	r->set_ns = (now_ns() - t0) / OPS;
	t0 = now_ns();
	for (size_t i = 0; i < OPS; i++)
		rc |= cal_cache_get(shm, keys[pick[i]], KEYLEN - 1, buf,
		    sizeof(buf), &vlen);
	r->get_ns = (now_ns() - t0) / OPS;
	free(pick);
	return rc; /* any miss or error shows as non-zero */
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = {1000, 10000, 100000, 1000000};
	const char *path = argc > 1 ? argv[1] : "/dev/shm/caloria-bench.cache";
	size_t mb = argc > 2 ? strtoul(argv[2], NULL, 10) : 1024;
	char (*keys)[KEYLEN] = malloc(sizeof(*keys) * 1000000);
	struct result base_u = {0}, base_h = {0};
	struct cal_cache_stats st;
	cal_shm *shm = NULL;
	char err[256];

	if (keys == NULL)
		return 1;
	for (size_t i = 0; i < 1000000; i++)
		key_of(keys[i], i);
	if (cal_shm_open(&shm, path, mb << 20, err, sizeof(err)) != 0) {
		fprintf(stderr, "cache_bench: %s\n", err);
		return 1;
	}
	printf("%-10s %-8s %10s %10s %10s %10s\n", "entries", "pattern",
	    "set ns/op", "get ns/op", "set ratio", "get ratio");
	double base_t = 0;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		struct result u, h;

		cal_cache_flush(shm);
		for (size_t i = 0; i < n; i++)
			if (cal_cache_set(shm, keys[i], KEYLEN - 1, "x", 1, 3600)) {
				fprintf(stderr, "cache_bench: fill failed\n");
				return 1;
			}
		if (measure(shm, keys, n, &u) != 0 ||
		    measure(shm, keys, HOT, &h) != 0) {
			fprintf(stderr, "cache_bench: unexpected miss/error\n");
			return 1;
		}
		if (s == 0) {
			base_u = u;
			base_h = h;
		}
		double t = touch_ns(n);
		if (s == 0)
			base_t = t;
		cal_cache_stats(shm, &st);
		printf("%-10zu %-8s %10.1f %10s %10.2f %10s\n", n, "miss", t, "",
		    t / base_t, "");
		printf("%-10zu %-8s %10.1f %10.1f %10.2f %10.2f\n", n, "uniform",
		    u.set_ns, u.get_ns, u.set_ns / base_u.set_ns,
		    u.get_ns / base_u.get_ns);
		printf("%-10zu %-8s %10.1f %10.1f %10.2f %10.2f   (entries %llu, "
		       "evictions %llu)\n", n, "hot", h.set_ns, h.get_ns,
		    h.set_ns / base_h.set_ns, h.get_ns / base_h.get_ns,
		    (unsigned long long)st.entries,
		    (unsigned long long)st.evictions);
	}
	cal_shm_close(shm);
	free(keys);
	if (argc <= 1) {
		char lock[300];

		snprintf(lock, sizeof(lock), "%s.lock", path);
		unlink(path);
		unlink(lock);
	}
	return 0;
}
