/*
 * test_cache.c — unit tests of src/cache.c and of the file handling in
 * src/shm.c: hash table, LRU order, TTL with an injected clock, counters,
 * statistics, recovery from a dead lock owner and from corrupt links, and
 * recreation of corrupt, foreign, truncated and differently-sized files.
 * Includes the source to reach its statics (the clock hook, the geometry).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm_fixture.h"
#include "../../src/cache.c"
#include "caloria/metrics.h"

#define SIZE ((size_t)4 << 20)

static char dir[64];
static char path[128];
static cal_shm *shm;
static shm_fixture fx;
static int64_t fake_now = 1000;

static int64_t
fake_clock(void)
{
	return fake_now;
}

static void
setup(void)
{
	shm = shm_fixture_open(&fx, "cache", SIZE);
	/* Tests below reopen, truncate and corrupt the file by name. */
	snprintf(path, sizeof(path), "%s", fx.path);
	snprintf(dir, sizeof(dir), "%s", fx.dir);
	cache_clock = fake_clock;
	fake_now = 1000;
}

static void
teardown(void)
{
	fx.shm = shm; /* tests may have reopened the segment */
	shm_fixture_close(&fx);
	shm = NULL;
}

TestSuite(cache, .init = setup, .fini = teardown);

static int
sets(const char *k, const char *v, unsigned ttl)
{
	return cal_cache_set(shm, k, strlen(k), v, strlen(v), ttl);
}

/* Get k as a NUL-terminated string in buf; returns cal_cache_get's code. */
static int
gets(const char *k, char *buf, size_t len)
{
	size_t n = 0;
	int rc = cal_cache_get(shm, k, strlen(k), buf, len - 1, &n);

	buf[rc == 0 ? n : 0] = '\0';
	return rc;
}

static struct region *
cache_region(void)
{
	size_t len;

	return cal_shm_region(shm, &cal_cache_tenant, &len);
}

static uint64_t
key_hash(const char *k)
{
	return cal_shm_hash(cache_region()->seed, k, strlen(k));
}

Test(cache, set_get_delete)
{
	char buf[64];

	cr_assert_eq(gets("a", buf, sizeof(buf)), 1);
	cr_assert_eq(sets("a", "apple", 0), 0);
	cr_assert_eq(gets("a", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "apple");
	cr_assert_eq(sets("a", "avocado", 0), 0);
	cr_assert_eq(gets("a", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "avocado");
	cr_assert_eq(cal_cache_delete(shm, "a", 1), 0);
	cr_assert_eq(cal_cache_delete(shm, "a", 1), 1);
	cr_assert_eq(gets("a", buf, sizeof(buf)), 1);
}

Test(cache, empty_value_and_binary_key)
{
	const char key[] = {'k', '\0', 'x'};
	char buf[8];
	size_t n = 99;

	cr_assert_eq(cal_cache_set(shm, key, 3, NULL, 0, 0), 0);
	cr_assert_eq(cal_cache_get(shm, key, 3, buf, sizeof(buf), &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(cal_cache_get(shm, key, 1, buf, sizeof(buf), &n), 1);
}

Test(cache, many_keys_all_found)
{
	char k[32], v[32], buf[64];
	int n = 2000; /* ~31 per shard: under the ~76 small slots each */

	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key:%d", i);
		snprintf(v, sizeof(v), "value-%d", i * 7);
		cr_assert_eq(sets(k, v, 0), 0);
	}
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key:%d", i);
		snprintf(v, sizeof(v), "value-%d", i * 7);
		cr_assert_eq(gets(k, buf, sizeof(buf)), 0, "%s", k);
		cr_assert_str_eq(buf, v);
	}
	struct cal_cache_stats st;
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.entries, (uint64_t)n);
	cr_assert_eq(st.evictions, 0);
	cr_assert_eq(st.used_bytes, (uint64_t)n * 256);
}

Test(cache, key_and_value_limits)
{
	char key[CAL_CACHE_MAX_KEY + 1];
	static char big[CAL_CACHE_MAX_ITEM];
	char buf[16];
	size_t n;

	memset(key, 'k', sizeof(key));
	cr_assert_eq(cal_cache_set(shm, key, 0, "v", 1, 0), -EINVAL);
	cr_assert_eq(cal_cache_set(shm, key, CAL_CACHE_MAX_KEY + 1, "v", 1, 0),
	    -EINVAL);
	cr_assert_eq(cal_cache_get(shm, key, CAL_CACHE_MAX_KEY + 1, buf,
			 sizeof(buf), &n), -EINVAL);
	cr_assert_eq(cal_cache_set(shm, key, CAL_CACHE_MAX_KEY, "v", 1, 0), 0);
	cr_assert_eq(cal_cache_get(shm, key, CAL_CACHE_MAX_KEY, buf,
			 sizeof(buf), &n), 0);
	/* The biggest class holds 16 KiB including header and key; a 4 MiB
	 * file has too few to spare one per shard, so only check the bound. */
	cr_assert_eq(cal_cache_set(shm, "big", 3, big,
			 CAL_CACHE_MAX_ITEM - ITEM_HDR, 0), -E2BIG);
	memset(big, 'x', 4000);
	cr_assert_eq(cal_cache_set(shm, "mid", 3, big, 4000, 0), 0);
	cr_assert_eq(cal_cache_get(shm, "mid", 3, buf, sizeof(buf), &n),
	    -ENOBUFS);
	cr_assert_eq(n, 4000);
}

Test(cache, ttl_expiry_with_injected_clock)
{
	char buf[16];
	struct cal_cache_stats st;

	cr_assert_eq(sets("t", "soon", 10), 0);
	cr_assert_eq(sets("forever", "x", 0), 0);
	fake_now = 1009;
	cr_assert_eq(gets("t", buf, sizeof(buf)), 0);
	fake_now = 1010; /* expiry is absolute: now >= set time + ttl */
	cr_assert_eq(gets("t", buf, sizeof(buf)), 1);
	fake_now = 1000000;
	cr_assert_eq(gets("forever", buf, sizeof(buf)), 0);
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.entries, 1); /* the expired one was reclaimed */
	cr_assert_eq(st.hits, 2);
	cr_assert_eq(st.misses, 1);
}

/* Keys of one shard: eviction is per shard and class. */
static int
keys_in_shard(unsigned shard, int n, char (*out)[24])
{
	int found = 0;

	for (int i = 0; found < n && i < 10000000; i++) {
		snprintf(out[found], 24, "lru:%d", i);
		if ((key_hash(out[found]) >> 58) == shard)
			found++;
	}
	return found;
}

Test(cache, hits_within_a_minute_do_not_reorder_the_lru)
{
	struct shard *s = shard_at(cache_region(), 7);
	int cap = (int)s->g.nitems[0];
	char (*k)[24] = calloc((size_t)cap + 1, 24);
	char buf[32];

	cr_assert_eq(keys_in_shard(7, cap + 1, k), cap + 1);
	for (int i = 0; i < cap; i++)
		cr_assert_eq(sets(k[i], "v", 0), 0);
	fake_now += 10;                                /* same minute as the sets (960–1019 s) */
	cr_assert_eq(gets(k[0], buf, sizeof(buf)), 0); /* a hit, but no LRU move */
	cr_assert_eq(sets(k[cap], "v", 0), 0);         /* so k0 is still the oldest and goes */
	cr_assert_eq(gets(k[0], buf, sizeof(buf)), 1);
	cr_assert_eq(gets(k[1], buf, sizeof(buf)), 0);
	free(k);
}

Test(cache, lru_evicts_least_recently_used)
{
	struct shard *s = shard_at(cache_region(), 5);
	int cap = (int)s->g.nitems[0];
	char (*k)[24] = calloc((size_t)cap + 2, 24);
	char buf[32];
	struct cal_cache_stats st;

	cr_assert_gt(cap, 10);
	cr_assert_eq(keys_in_shard(5, cap + 2, k), cap + 2);
	for (int i = 0; i < cap; i++)
		cr_assert_eq(sets(k[i], "v", 0), 0);
	fake_now += 60;                                /* hits move an item at most once a minute */
	cr_assert_eq(gets(k[0], buf, sizeof(buf)), 0); /* k0 now most recent */
	cr_assert_eq(sets(k[cap], "v", 0), 0);         /* evicts k1 */
	cr_assert_eq(gets(k[1], buf, sizeof(buf)), 1);
	cr_assert_eq(gets(k[0], buf, sizeof(buf)), 0);
	cr_assert_eq(sets(k[cap + 1], "v", 0), 0); /* evicts k2 */
	cr_assert_eq(gets(k[2], buf, sizeof(buf)), 1);
	cr_assert_eq(gets(k[3], buf, sizeof(buf)), 0);
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.evictions, 2);
	free(k);
}

Test(cache, expired_tail_is_reclaimed_not_evicted)
{
	struct shard *s = shard_at(cache_region(), 9);
	int cap = (int)s->g.nitems[0];
	char (*k)[24] = calloc((size_t)cap + 1, 24);
	struct cal_cache_stats st;

	cr_assert_eq(keys_in_shard(9, cap + 1, k), cap + 1);
	cr_assert_eq(sets(k[0], "short", 5), 0);
	for (int i = 1; i < cap; i++)
		cr_assert_eq(sets(k[i], "v", 0), 0);
	fake_now += 5;
	cr_assert_eq(sets(k[cap], "v", 0), 0);
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.evictions, 0);
	free(k);
}

Test(cache, incr_counters)
{
	long long v = 0;
	char buf[32];

	cr_assert_eq(cal_cache_incr(shm, "c", 1, 5, 0, &v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(cal_cache_incr(shm, "c", 1, -7, 0, &v), 0);
	cr_assert_eq(v, -2);
	cr_assert_eq(gets("c", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "-2");
	cr_assert_eq(sets("t", "41", 0), 0); /* text that is a number */
	cr_assert_eq(cal_cache_incr(shm, "t", 1, 1, 0, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(sets("n", "forty", 0), 0);
	cr_assert_eq(cal_cache_incr(shm, "n", 1, 1, 0, &v), -EINVAL);
	cr_assert_eq(sets("m", "9223372036854775807", 0), 0);
	cr_assert_eq(cal_cache_incr(shm, "m", 1, 1, 0, &v), -ERANGE);
	cr_assert_eq(sets("c", "reset", 0), 0); /* set replaces a counter */
	cr_assert_eq(gets("c", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "reset");
}

Test(cache, incr_keeps_ttl_and_restarts_after_expiry)
{
	long long v = 0;

	cr_assert_eq(cal_cache_incr(shm, "w", 1, 1, 60, &v), 0);
	fake_now += 30;
	cr_assert_eq(cal_cache_incr(shm, "w", 1, 1, 60, &v), 0);
	cr_assert_eq(v, 2);
	fake_now += 30; /* the first ttl still rules */
	cr_assert_eq(cal_cache_incr(shm, "w", 1, 1, 60, &v), 0);
	cr_assert_eq(v, 1);
}

Test(cache, stats_and_flush)
{
	struct cal_cache_stats st;
	char buf[8];

	cal_cache_stats(shm, &st);
	cr_assert_gt(st.capacity_bytes, SIZE / 2);
	cr_assert_lt(st.capacity_bytes, SIZE);
	cr_assert_eq(st.entries, 0);
	cr_assert_eq(sets("x", "1", 0), 0);
	cr_assert_eq(gets("x", buf, sizeof(buf)), 0);
	cr_assert_eq(gets("y", buf, sizeof(buf)), 1);
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.entries, 1);
	cr_assert_eq(st.used_bytes, 256);
	cr_assert_eq(st.hits, 1);
	cr_assert_eq(st.misses, 1);
	cr_assert_eq(cal_cache_flush(shm), 0);
	cr_assert_eq(gets("x", buf, sizeof(buf)), 1);
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.entries, 0);
	cr_assert_eq(st.used_bytes, 0);
	cr_assert_eq(sets("x", "2", 0), 0);
	cr_assert_eq(gets("x", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2");
}

/* A worker dies holding a shard lock in the middle of relinking: the next
 * locker gets EOWNERDEAD, rebuilds from committed items, loses nothing. */
Test(cache, dead_owner_mid_update_is_repaired)
{
	long long v = 0;
	char buf[32];
	pid_t pid;
	int status;
	struct op op;

	cr_assert_eq(cal_cache_incr(shm, "ctr", 3, 41, 0, &v), 0);
	cr_assert_eq(sets("other", "kept", 0), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (op_begin(shm, &op, "ctr", 3) != 0)
			_exit(2);
		/* Half an operation: scramble the links, then die. */
		memset(op.bk, 0xff, (size_t)op.s->g.nbuckets * 4);
		op.s->lru_head[0] = 0x0fffffff;
		raise(SIGKILL);
		_exit(3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_eq(cal_cache_incr(shm, "ctr", 3, 1, 0, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(cal_shm_repairs(shm), 1);
	cr_assert_eq(gets("other", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "kept");
}

/* A link pointing outside the shard is caught, the shard rebuilt. */
Test(cache, corrupt_link_is_detected_and_rebuilt)
{
	struct op op;
	char buf[16];

	cr_assert_eq(sets("k", "v", 0), 0);
	cr_assert_eq(op_begin(shm, &op, "k", 1), 0);
	op.bk[(uint32_t)op.h & (op.s->g.nbuckets - 1)] = REF(0, 0x0ffffff0);
	cal_shm_mutex_unlock(&op.s->mu);
	cr_assert_eq(gets("k", buf, sizeof(buf)), -EIO);
	cr_assert_eq(gets("k", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "v");
}

/* Duplicate committed copies of a key (death between commit of the new
 * copy and release of the old): the rebuild keeps the newer. */
Test(cache, rebuild_keeps_newest_duplicate)
{
	struct op op;
	struct item *old;
	uint32_t ref;
	char buf[16];

	cr_assert_eq(sets("d", "old", 0), 0);
	cr_assert_eq(op_begin(shm, &op, "d", 1), 0);
	ref = find(&op);
	old = at(&op, ref);
	uint32_t nref = alloc(&op, 0);
	cr_assert(commit(&op, nref, "new", 3, 0, 0, 0) != NULL);
	/* Forget the old one's links but leave it LIVE, as a crash would. */
	(void)old;
	shard_rebuild(op.r, op.s, shard_index(&op), 1);
	cal_shm_mutex_unlock(&op.s->mu);
	cr_assert_eq(gets("d", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "new");
	struct cal_cache_stats st;
	cal_cache_stats(shm, &st);
	cr_assert_eq(st.entries, 1);
}

/* ---- file recreation ---- */

static void
reopen_expect(const char *want_reason)
{
	char err[256] = "";
	char buf[16];

	cal_shm_close(shm);
	shm = NULL;
	cr_assert_eq(cal_shm_open(&shm, path, SIZE, err, sizeof(err)), 0, "%s",
	    err);
	if (want_reason == NULL) {
		cr_assert_null(cal_shm_recreated(shm));
	} else {
		cr_assert_not_null(cal_shm_recreated(shm));
		cr_assert_str_eq(cal_shm_recreated(shm), want_reason);
	}
	cr_assert_eq(sets("after", "ok", 0), 0);
	cr_assert_eq(gets("after", buf, sizeof(buf)), 0);
}

static void
scribble(off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

Test(cache, reopen_keeps_valid_file)
{
	char buf[16];

	cr_assert_eq(sets("keep", "me", 0), 0);
	reopen_expect(NULL);
	cr_assert_eq(gets("keep", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "me");
}

Test(cache, garbage_file_is_recreated)
{
	char junk[8192];
	char buf[16];

	cr_assert_eq(sets("lost", "x", 0), 0);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	scribble(0, junk, sizeof(junk));
	reopen_expect("foreign or corrupt file (bad magic)");
	cr_assert_eq(gets("lost", buf, sizeof(buf)), 1);
}

Test(cache, damaged_header_field_is_recreated)
{
	uint32_t bad = 0xdeadbeef;

	scribble(24, &bad, sizeof(bad)); /* first region offset */
	reopen_expect("header checksum mismatch");
}

Test(cache, foreign_magic_is_recreated)
{
	scribble(0, "NOTCALOR", 8);
	reopen_expect("foreign or corrupt file (bad magic)");
}

Test(cache, other_version_is_recreated)
{
	uint32_t v = CAL_SHM_VERSION + 1;

	scribble(8, &v, sizeof(v));
	reopen_expect("layout version differs");
}

Test(cache, truncated_file_is_recreated)
{
	cal_shm_close(shm);
	shm = NULL;
	cr_assert_eq(truncate(path, SIZE / 2), 0);
	reopen_expect("truncated or smaller");
}

Test(cache, other_size_is_recreated)
{
	char err[256] = "";
	struct stat st;

	cal_shm_close(shm);
	cr_assert_eq(cal_shm_open(&shm, path, SIZE * 2, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_str_eq(cal_shm_recreated(shm), "truncated or smaller");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq((size_t)st.st_size, SIZE * 2);
	reopen_expect("size differs");
}

Test(cache, corrupt_cache_region_is_recreated)
{
	size_t len;
	unsigned char *r = cal_shm_region(shm, &cal_cache_tenant, &len);
	off_t off = r - (unsigned char *)cal_shm_region(shm, &cal_metrics_tenant,
	    &len) + 4096;

	scribble(off, "XXXXXXXX", 8); /* the cache region's magic */
	reopen_expect("cache region corrupt");
}

Test(cache, bad_arguments)
{
	cal_shm *s = NULL;
	char err[128] = "";

	cr_assert_eq(cal_shm_open(&s, path, 1000, err, sizeof(err)), -EINVAL);
	cr_assert_null(s);
	cr_assert_neq(err[0], '\0');
	cr_assert_eq(cal_shm_open(&s, "/nonexistent-dir/x", SIZE, err,
			 sizeof(err)), -ENOENT);
}

/* Processes starting together agree on one file: every child's key is
 * visible to the parent afterwards. */
Test(cache, concurrent_first_open)
{
	char p2[160], err[256], k[32], buf[16];
	int n = 8, status;
	cal_shm *s;

	snprintf(p2, sizeof(p2), "%s/fresh.cache", dir);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		cr_assert_neq(pid, -1);
		if (pid == 0) {
			cal_shm *c = NULL;

			if (cal_shm_open(&c, p2, SIZE, err, sizeof(err)) != 0)
				_exit(1);
			snprintf(k, sizeof(k), "child%d", i);
			_exit(cal_cache_set(c, k, strlen(k), "x", 1, 0) == 0 ? 0
									      : 1);
		}
	}
	for (int i = 0; i < n; i++) {
		cr_assert_neq(wait(&status), -1);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	cr_assert_eq(cal_shm_open(&s, p2, SIZE, err, sizeof(err)), 0);
	cr_assert_null(cal_shm_recreated(s));
	for (int i = 0; i < n; i++) {
		size_t vl;

		snprintf(k, sizeof(k), "child%d", i);
		cr_assert_eq(cal_cache_get(s, k, strlen(k), buf, sizeof(buf),
				 &vl), 0, "%s", k);
	}
	cal_shm_close(s);
}
