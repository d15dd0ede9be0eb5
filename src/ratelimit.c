/*
 * ratelimit.c — owns the rate-limit region of the shared file: 64 stripes,
 * each a robust mutex over a small open-addressed table of key entries.  An
 * entry is named by a 128-bit keyed hash of "class\0key" (two SipHash keys),
 * so no key bytes are stored and long user-supplied keys cost nothing; a
 * collision needs 2^64 work against a secret seed.
 *
 * Each entry holds a ring of buckets (see ratelimit.h for the algorithm).
 * Lookups probe at most PROBE slots from the key's home slot, so every call
 * is O(1).  A new key takes an empty slot, else one whose window has fully
 * passed (its count is zero anyway), else the least recently seen key — only
 * that last case loses state, and it is counted as an eviction.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "caloria/ratelimit.h"
#include "caloria/shm.h"

#define STRIPES 64
#define NBUCKETS 61 /* 60 buckets + 1 when a bucket spans several seconds */
#define PROBE 16
#define MAX_NAME 500
#define REGION_MAGIC UINT64_C(0x31544d4c4c41435f) /* "_CALLMT1" */
#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

struct entry {
	uint64_t k1, k2;   /* (0,0) = empty */
	uint32_t window_s; /* a changed window resets the entry */
	uint32_t gran;     /* seconds per bucket */
	int64_t last_slot; /* newest slot (time / gran) the ring holds */
	int64_t last_seen; /* newest time seen; guards against clock steps */
	uint32_t count[NBUCKETS];
};

struct stripe {
	pthread_mutex_t mu;
	_Atomic uint64_t allowed, limited, evictions;
};

struct region {
	uint64_t magic;
	uint32_t nstripes;
	uint32_t per_stripe; /* entries per stripe */
	uint64_t stripe_bytes;
	uint64_t seed[4];
};

#define REGION_HDR ALIGN64(sizeof(struct region))
#define STRIPE_HDR ALIGN64(sizeof(struct stripe))

struct key {
	uint64_t k1, k2;
};

/* ---- layout ---- */

static size_t region_bytes(size_t total)
{
	size_t want = total / 16; /* 64 MiB file: 4 MiB, ~14,000 keys */

	if (want < ((size_t)256 << 10))
		want = (size_t)256 << 10;
	if (want > ((size_t)64 << 20))
		want = (size_t)64 << 20;
	return want;
}

static size_t stripe_bytes_for(size_t len)
{
	return ((len - REGION_HDR) / STRIPES) & ~(size_t)63u;
}

static uint32_t per_stripe_for(size_t len)
{
	return (uint32_t)((stripe_bytes_for(len) - STRIPE_HDR) / sizeof(struct entry));
}

/* Ring position of a slot (slots before 0 can appear in retry_after). */
static uint32_t ring(int64_t slot, uint32_t nb)
{
	int64_t m = slot % (int64_t)nb;

	return (uint32_t)(m < 0 ? m + nb : m);
}

static struct stripe *stripe_at(struct region *r, unsigned i)
{
	return (struct stripe *)(void *)((unsigned char *)r + REGION_HDR + (size_t)i * r->stripe_bytes);
}

static struct entry *entry_at(struct region *r, struct stripe *s, uint32_t i)
{
	(void)r;
	return (struct entry *)(void *)((unsigned char *)s + STRIPE_HDR + (size_t)i * sizeof(struct entry));
}

/*
 * Bucket width and ring length for a window.  Up to 60 s the width is one
 * second and the ring holds exactly the last window_s seconds: exact.  Wider
 * windows use window/60-second buckets plus one extra bucket, so the counted
 * span always covers the whole window (at most one bucket more): a key is
 * never released early — for the 15-minute login lockout, 900 to 915 s.
 */
static void granularity(unsigned window_s, uint32_t *gran, uint32_t *nb)
{
	*gran = (window_s + 59) / 60;
	if (*gran == 0)
		*gran = 1;
	*nb = (window_s + *gran - 1) / *gran + (*gran > 1 ? 1 : 0);
}

/* ---- keys and stripes ---- */

static int make_key(struct region *r, const char *cls, const char *key, struct key *k)
{
	unsigned char buf[MAX_NAME + 2];
	size_t cl, kl;

	if (cls == NULL || key == NULL)
		return -EINVAL;
	cl = strlen(cls);
	kl = strlen(key);
	if (cl + kl > MAX_NAME)
		return -EINVAL;
	memcpy(buf, cls, cl);
	buf[cl] = '\0'; /* separator: ("ab","c") != ("a","bc") */
	memcpy(buf + cl + 1, key, kl);
	k->k1 = cal_shm_hash(&r->seed[0], buf, cl + 1 + kl);
	k->k2 = cal_shm_hash(&r->seed[2], buf, cl + 1 + kl);
	if (k->k1 == 0 && k->k2 == 0)
		k->k2 = 1; /* (0,0) marks an empty slot */
	return 0;
}

/* Clear entries a dead owner may have left half-written. */
static void stripe_repair(struct region *r, struct stripe *s)
{
	for (uint32_t i = 0; i < r->per_stripe; i++) {
		struct entry *e = entry_at(r, s, i);
		uint32_t gran, nb;

		if (e->k1 == 0 && e->k2 == 0)
			continue;
		granularity(e->window_s, &gran, &nb);
		if (e->window_s == 0 || e->window_s > CAL_RATELIMIT_MAX_WINDOW || e->gran != gran)
			memset(e, 0, sizeof(*e));
	}
}

static int stripe_lock(cal_shm *shm, struct region *r, struct stripe *s)
{
	int rc = cal_shm_mutex_lock(shm, &s->mu);

	if (rc == 1) {
		stripe_repair(r, s);
		cal_shm_mutex_consistent(shm, &s->mu);
		rc = 0;
	}
	return rc;
}

/* Slot of k within its probe window, or NULL; *victim gets the best slot
 * for inserting it (empty, else expired, else least recently seen). */
static struct entry *probe(struct region *r, struct stripe *s, const struct key *k, time_t now, struct entry **victim)
{
	uint32_t home = (uint32_t)(k->k2 % r->per_stripe);
	struct entry *best = NULL;
	int best_rank = 3;

	for (uint32_t j = 0; j < PROBE && j < r->per_stripe; j++) {
		struct entry *e = entry_at(r, s, (home + j) % r->per_stripe);
		int rank;

		if (e->k1 == k->k1 && e->k2 == k->k2)
			return e;
		if (e->k1 == 0 && e->k2 == 0)
			rank = 0;
		else if (e->last_seen + (int64_t)e->window_s + e->gran <= now)
			rank = 1;
		else
			rank = 2;
		if (rank < best_rank || (rank == 2 && best_rank == 2 && e->last_seen < best->last_seen)) {
			best = e;
			best_rank = rank;
		}
	}
	if (victim != NULL)
		*victim = best;
	return NULL;
}

/* ---- the window ---- */

static void entry_reset(struct entry *e, const struct key *k, unsigned window_s, time_t now)
{
	uint32_t gran, nb;

	granularity(window_s, &gran, &nb);
	memset(e, 0, sizeof(*e));
	e->k1 = k->k1;
	e->k2 = k->k2;
	e->window_s = window_s;
	e->gran = gran;
	e->last_seen = now;
	e->last_slot = now / gran;
}

/*
 * Bring the ring to time now and return its slot.  A clock that went back
 * less than a window is clamped to the newest time seen (no event is
 * forgotten); a bigger jump makes the history meaningless and resets it.
 */
static int64_t advance(struct entry *e, const struct key *k, time_t *now)
{
	uint32_t gran, nb;
	int64_t slot;

	granularity(e->window_s, &gran, &nb);
	if (*now < e->last_seen) {
		if (e->last_seen - *now >= (int64_t)e->window_s)
			entry_reset(e, k, e->window_s, *now);
		else
			*now = e->last_seen;
	}
	/* Peeks advance the ring too, so they move "newest time" as well:
	 * the ring must never hold a slot newer than the time it counts at. */
	if (*now > e->last_seen)
		e->last_seen = *now;
	slot = *now / gran;
	if (slot - e->last_slot >= nb) {
		memset(e->count, 0, sizeof(e->count));
	} else {
		for (int64_t s = e->last_slot + 1; s <= slot; s++)
			e->count[ring(s, nb)] = 0;
	}
	if (slot > e->last_slot)
		e->last_slot = slot;
	return slot;
}

static uint64_t window_count(const struct entry *e)
{
	uint32_t gran, nb;
	uint64_t n = 0;

	granularity(e->window_s, &gran, &nb);
	for (uint32_t i = 0; i < nb; i++)
		n += e->count[i];
	return n;
}

/* Seconds from now until enough of the oldest buckets age out for the count
 * to fall below limit. */
static unsigned retry_after(const struct entry *e, int64_t slot, time_t now, uint64_t count, unsigned limit)
{
	uint32_t gran, nb;

	granularity(e->window_s, &gran, &nb);
	for (uint32_t j = 1; j <= nb; j++) {
		/* At slot + j the bucket of slot - nb + j leaves the ring. */
		count -= e->count[ring(slot - nb + j, nb)];
		if (count < limit) {
			int64_t d = (slot + j) * (int64_t)gran - now;

			return d < 1 ? 1u : (unsigned)d;
		}
	}
	return e->window_s; /* limit 0: never allowed; say one window */
}

static int check(cal_shm *shm, const char *cls, const char *key, unsigned limit, unsigned window_s, time_t now,
		 unsigned *retry, int count_it)
{
	size_t len;
	struct region *r = cal_shm_region(shm, &cal_ratelimit_tenant, &len);
	struct stripe *s;
	struct entry *e, *victim = NULL;
	struct key k;
	int64_t slot;
	uint64_t n;
	int rc;

	if (retry != NULL)
		*retry = 0;
	if (window_s == 0 || window_s > CAL_RATELIMIT_MAX_WINDOW || now < 0)
		return -EINVAL;
	rc = make_key(r, cls, key, &k);
	if (rc != 0)
		return rc;
	s = stripe_at(r, (unsigned)(k.k1 >> 58));
	rc = stripe_lock(shm, r, s);
	if (rc != 0)
		return rc;
	e = probe(r, s, &k, now, &victim);
	if (e == NULL && !count_it) {
		rc = limit == 0; /* unknown key: nothing counted yet */
		if (rc && retry != NULL)
			*retry = window_s;
		goto out;
	}
	if (e == NULL) {
		if (victim->k1 != 0 || victim->k2 != 0)
			if (victim->last_seen + (int64_t)victim->window_s + victim->gran > now)
				atomic_fetch_add_explicit(&s->evictions, 1, memory_order_relaxed);
		e = victim;
		entry_reset(e, &k, window_s, now);
	} else if (e->window_s != window_s) {
		entry_reset(e, &k, window_s, now); /* config changed */
	}
	slot = advance(e, &k, &now);
	n = window_count(e);
	if (n >= limit) {
		if (retry != NULL)
			*retry = retry_after(e, slot, now, n, limit);
		if (count_it)
			atomic_fetch_add_explicit(&s->limited, 1, memory_order_relaxed);
		rc = 1;
		goto out;
	}
	if (count_it) {
		uint32_t gran, nb;

		granularity(e->window_s, &gran, &nb);
		if (e->count[ring(slot, nb)] != UINT32_MAX)
			e->count[ring(slot, nb)]++;
		e->last_seen = now;
		atomic_fetch_add_explicit(&s->allowed, 1, memory_order_relaxed);
	}
	rc = 0;
out:
	cal_shm_mutex_unlock(&s->mu);
	return rc;
}

int cal_ratelimit_hit(cal_shm *shm, const char *class_name, const char *key, unsigned limit, unsigned window_s,
		      time_t now, unsigned *retry_after_s)
{
	return check(shm, class_name, key, limit, window_s, now, retry_after_s, 1);
}

int cal_ratelimit_peek(cal_shm *shm, const char *class_name, const char *key, unsigned limit, unsigned window_s,
		       time_t now, unsigned *retry_after_s)
{
	return check(shm, class_name, key, limit, window_s, now, retry_after_s, 0);
}

int cal_ratelimit_reset(cal_shm *shm, const char *class_name, const char *key)
{
	size_t len;
	struct region *r = cal_shm_region(shm, &cal_ratelimit_tenant, &len);
	struct stripe *s;
	struct entry *e;
	struct key k;
	int rc;

	rc = make_key(r, class_name, key, &k);
	if (rc != 0)
		return rc;
	s = stripe_at(r, (unsigned)(k.k1 >> 58));
	rc = stripe_lock(shm, r, s);
	if (rc != 0)
		return rc;
	e = probe(r, s, &k, 0, NULL);
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	cal_shm_mutex_unlock(&s->mu);
	return e != NULL ? 0 : 1;
}

int cal_ratelimit_stats(cal_shm *shm, struct cal_ratelimit_stats *st)
{
	size_t len;
	struct region *r = cal_shm_region(shm, &cal_ratelimit_tenant, &len);

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < STRIPES; i++) {
		struct stripe *s = stripe_at(r, i);

		st->allowed += atomic_load_explicit(&s->allowed, memory_order_relaxed);
		st->limited += atomic_load_explicit(&s->limited, memory_order_relaxed);
		st->evictions += atomic_load_explicit(&s->evictions, memory_order_relaxed);
	}
	st->capacity = (uint64_t)r->per_stripe * STRIPES;
	return 0;
}

/* ---- the region as a tenant of the shared file (shm.c, under its
 * creation lock) ---- */

static size_t region_size(size_t total, size_t left)
{
	(void)left;
	return region_bytes(total);
}

static int region_init(void *base, size_t len)
{
	struct region *r = base;
	int rc;

	if (len < region_bytes(0))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	rc = cal_shm_random(r->seed, sizeof(r->seed));
	if (rc != 0)
		return rc;
	r->nstripes = STRIPES;
	r->stripe_bytes = stripe_bytes_for(len);
	r->per_stripe = per_stripe_for(len);
	for (unsigned i = 0; i < STRIPES; i++) {
		struct stripe *s = stripe_at(r, i);

		memset(s, 0, sizeof(*s));
		rc = cal_shm_mutex_init(&s->mu);
		if (rc != 0)
			return rc;
	}
	r->magic = REGION_MAGIC;
	return 0;
}

static int region_check(const void *base, size_t len)
{
	const struct region *r = base;

	if (len < region_bytes(0) || r->magic != REGION_MAGIC || r->nstripes != STRIPES ||
	    r->stripe_bytes != stripe_bytes_for(len) || r->per_stripe != per_stripe_for(len))
		return -EINVAL;
	return 0;
}

const cal_shm_tenant cal_ratelimit_tenant = {
	.name = "rate-limit", .size = region_size, .init = region_init, .check = region_check};
