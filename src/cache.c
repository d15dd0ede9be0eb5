/*
 * cache.c — owns the cache region of the shared file: 64 shards, each a
 * self-contained memcached-style store (hash table, slabs of fixed-size items
 * in four classes, one LRU list per class) behind one robust mutex.
 *
 * Crash safety rests on one rule: an item counts only when its `state` word
 * says LIVE, and that word is written with a single release store after the
 * item is complete (the commit point).  Links (hash chains, LRU and free
 * lists) are derived data.  When a worker dies holding a shard lock, or an op
 * finds a link that points outside the shard, the shard is rebuilt from the
 * item array: every valid LIVE item is kept (the newest when a key appears
 * twice), everything else is freed.  A counter update on an existing item is
 * one atomic store, so it has either happened or not — never half.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "caloria/cache.h"
#include "caloria/mem.h"
#include "caloria/shm.h"

#define NCLASS 4
#define REGION_MAGIC UINT64_C(0x31484341434c4143) /* "CALCACH1" */
#define ALIGN64(x) (((x) + 63u) & ~(uint64_t)63u)

/* Item sizes and their share of each shard.  Small entries (DB rows,
 * counters, food analyses) dominate; API responses use the larger ones. */
static const uint32_t class_bytes[NCLASS] = {256, 1024, 4096, 16384};
static const uint32_t class_share[NCLASS] = {35, 30, 20, 15}; /* percent */

#define ITEM_LIVE 1u    /* committed: the only thing a rebuild trusts */
#define ITEM_NUMERIC 2u /* value is the 64-bit `num`, not the bytes */

/* A reference names an item inside one shard: class in the top 4 bits,
 * index + 1 below, 0 = none. */
#define REF(c, i) (((uint32_t)(c) << 28) | ((uint32_t)(i) + 1u))
#define REF_CLASS(r) ((r) >> 28)
#define REF_IDX(r) (((r)&0x0fffffffu) - 1u)

struct item {
	uint32_t hnext;         /* hash chain */
	uint32_t prev, next;    /* LRU (free list uses next) */
	_Atomic uint32_t state; /* ITEM_* */
	uint64_t hash;          /* full keyed hash of the key */
	int64_t expires;        /* clock seconds, 0 = never */
	uint64_t cas;           /* shard-wide increasing: newest wins */
	_Atomic int64_t num;    /* counter value when ITEM_NUMERIC */
	uint32_t vlen;
	uint16_t klen;
	uint16_t bumped;        /* coarse time of the last LRU move (see lru_bump) */
	char data[]; /* key, then value */
};

#define ITEM_HDR (offsetof(struct item, data))

/* Geometry of a shard: a pure function of its size, checked at open. */
struct geom {
	uint32_t nbuckets; /* power of two */
	uint32_t nitems[NCLASS];
	uint64_t buckets_off;
	uint64_t items_off[NCLASS];
};

struct shard {
	pthread_mutex_t mu;
	struct geom g;
	uint32_t carved[NCLASS]; /* slots >= carved were never used: pages of
				  * the file stay untouched until needed */
	uint32_t free_head[NCLASS];
	uint32_t lru_head[NCLASS]; /* most recently used */
	uint32_t lru_tail[NCLASS]; /* eviction end */
	uint64_t cas_next;
	_Atomic uint64_t hits, misses, evictions, entries, used;
};

struct region {
	uint64_t magic;
	uint32_t nshards;
	uint32_t nclasses;
	uint64_t shard_bytes;
	uint64_t seed[2];
};

#define REGION_HDR ALIGN64(sizeof(struct region))
#define SHARD_HDR ALIGN64(sizeof(struct shard))

/* One operation on one shard, lock held. */
struct op {
	cal_shm *shm;
	struct region *r;
	struct shard *s;
	uint32_t *bk;
	uint64_t h;
	const char *key;
	size_t klen;
	int64_t now;
	int corrupt; /* a link pointed nowhere: rebuild before unlocking */
};

static int64_t clock_default(void)
{
	struct timespec ts;

	/* Boot time does not jump with the wall clock; the file is recreated
	 * after a reboot (shm.c boot id), so it is shared consistently. */
#ifdef CLOCK_BOOTTIME
	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		return (int64_t)ts.tv_sec;
#endif
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		return (int64_t)ts.tv_sec;
	return 0;
}

/* Test hook: unit tests replace this to move time. */
static int64_t (*cache_clock)(void) = clock_default;

/* ---- geometry ---- */

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 16;

	while (p < n && p < (UINT32_C(1) << 30))
		p <<= 1;
	return p;
}

static void geometry(uint64_t shard_bytes, struct geom *g)
{
	uint64_t avail = shard_bytes - SHARD_HDR, est = 0, pos;

	memset(g, 0, sizeof(*g));
	for (int c = 0; c < NCLASS; c++)
		est += avail * class_share[c] / 100 / class_bytes[c];
	g->nbuckets = pow2_at_least(est); /* load factor <= 1 */
	g->buckets_off = SHARD_HDR;
	pos = SHARD_HDR + ALIGN64((uint64_t)g->nbuckets * 4);
	avail = shard_bytes > pos ? shard_bytes - pos : 0;
	for (int c = 0; c < NCLASS; c++) {
		uint64_t n = avail * class_share[c] / 100 / class_bytes[c];

		g->nitems[c] = (uint32_t)(n > 0x0ffffff0u ? 0x0ffffff0u : n);
		g->items_off[c] = pos;
		pos += (uint64_t)g->nitems[c] * class_bytes[c];
	}
}

static uint64_t shard_bytes_for(size_t len)
{
	return ((len - REGION_HDR) / CAL_CACHE_SHARDS) & ~(uint64_t)63u;
}

static size_t region_min_bytes(void)
{
	return REGION_HDR + CAL_CACHE_SHARDS * (size_t)8192;
}

static struct shard *shard_at(struct region *r, unsigned i)
{
	return (struct shard *)(void *)((unsigned char *)r + REGION_HDR + (uint64_t)i * r->shard_bytes);
}

static int class_for(size_t bytes)
{
	for (int c = 0; c < NCLASS; c++)
		if (bytes <= class_bytes[c])
			return c;
	return -1;
}

/* ---- item access with bounds checks ---- */

static struct item *at(struct op *op, uint32_t ref)
{
	struct shard *s = op->s;
	uint32_t c = REF_CLASS(ref);

	if (ref == 0 || c >= NCLASS || REF_IDX(ref) >= s->g.nitems[c]) {
		op->corrupt = 1;
		return NULL;
	}
	return (struct item *)(void *)((unsigned char *)s + s->g.items_off[c] +
				       (uint64_t)REF_IDX(ref) * class_bytes[c]);
}

static uint32_t total_items(const struct shard *s)
{
	uint32_t n = 0;

	for (int c = 0; c < NCLASS; c++)
		n += s->g.nitems[c];
	return n;
}

/* Header fields of a LIVE item are within its class. */
static int item_ok(const struct item *it, int c, uint32_t st)
{
	size_t v = (st & ITEM_NUMERIC) ? 0 : it->vlen;

	return it->klen >= 1 && it->klen <= CAL_CACHE_MAX_KEY && ITEM_HDR + it->klen + v <= class_bytes[c];
}

static int expired(const struct op *op, const struct item *it)
{
	return it->expires != 0 && op->now >= it->expires;
}

/* ---- links ---- */

static void lru_unlink(struct op *op, struct item *it, int c)
{
	struct shard *s = op->s;
	struct item *x;

	if (it->prev == 0)
		s->lru_head[c] = it->next;
	else if ((x = at(op, it->prev)) != NULL)
		x->next = it->next;
	if (it->next == 0)
		s->lru_tail[c] = it->prev;
	else if ((x = at(op, it->next)) != NULL)
		x->prev = it->prev;
	it->prev = it->next = 0;
}

/* Minutes, wrapping every ~45 days: a wrap only costs one extra LRU move. */
static uint16_t bump_epoch(const struct op *op)
{
	return (uint16_t)((uint64_t)op->now / 60u);
}

static void lru_push(struct op *op, struct item *it, uint32_t ref)
{
	struct shard *s = op->s;
	int c = (int)REF_CLASS(ref);
	struct item *x;

	it->bumped = bump_epoch(op);
	it->prev = 0;
	it->next = s->lru_head[c];
	if (it->next != 0 && (x = at(op, it->next)) != NULL)
		x->prev = ref;
	if (it->next == 0)
		s->lru_tail[c] = ref;
	s->lru_head[c] = ref;
}

/*
 * Moves an item to the head of its LRU, at most once a minute (memcached's rule): a hit on an item moved
 * recently touches only the bucket and the item, not its two neighbours, so a get costs the same number
 * of memory accesses however many entries the table holds. Eviction order stays right to the minute.
 */
static void lru_bump(struct op *op, struct item *it, uint32_t ref)
{
	if (op->s->lru_head[REF_CLASS(ref)] == ref || it->bumped == bump_epoch(op))
		return;
	lru_unlink(op, it, (int)REF_CLASS(ref));
	lru_push(op, it, ref);
}

static void hash_link(struct op *op, struct item *it, uint32_t ref)
{
	uint32_t b = (uint32_t)it->hash & (op->s->g.nbuckets - 1);

	it->hnext = op->bk[b];
	op->bk[b] = ref;
}

static void hash_unlink(struct op *op, struct item *it, uint32_t ref)
{
	uint32_t *pp = &op->bk[(uint32_t)it->hash & (op->s->g.nbuckets - 1)];
	uint32_t steps = total_items(op->s);

	while (*pp != 0 && *pp != ref) {
		struct item *x = at(op, *pp);

		if (x == NULL || steps-- == 0) {
			op->corrupt = 1;
			return;
		}
		pp = &x->hnext;
	}
	if (*pp == ref)
		*pp = it->hnext;
	it->hnext = 0;
}

static void free_push(struct op *op, struct item *it, uint32_t ref)
{
	int c = (int)REF_CLASS(ref);

	it->prev = 0;
	it->next = op->s->free_head[c];
	op->s->free_head[c] = ref;
}

/* Unlink a live item and free its slot (the caller may reuse it). */
static void item_drop(struct op *op, struct item *it, uint32_t ref, int to_free_list)
{
	int c = (int)REF_CLASS(ref);

	hash_unlink(op, it, ref);
	lru_unlink(op, it, c);
	atomic_store_explicit(&it->state, 0, memory_order_release);
	atomic_fetch_sub_explicit(&op->s->entries, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&op->s->used, class_bytes[c], memory_order_relaxed);
	if (to_free_list)
		free_push(op, it, ref);
}

/* Find key in its chain; 0 when absent. */
static uint32_t find(struct op *op)
{
	uint32_t ref = op->bk[(uint32_t)op->h & (op->s->g.nbuckets - 1)];
	uint32_t steps = total_items(op->s);

	while (ref != 0) {
		struct item *it = at(op, ref);
		uint32_t st;

		if (it == NULL || steps-- == 0)
			goto bad;
		st = atomic_load_explicit(&it->state, memory_order_relaxed);
		if (!(st & ITEM_LIVE) || !item_ok(it, (int)REF_CLASS(ref), st))
			goto bad;
		if (it->hash == op->h && it->klen == op->klen && memcmp(it->data, op->key, op->klen) == 0)
			return ref;
		ref = it->hnext;
	}
	return 0;
bad:
	op->corrupt = 1;
	return 0;
}

/* A free slot of class c: the free list, else the LRU tail. */
static uint32_t alloc(struct op *op, int c)
{
	struct shard *s = op->s;
	uint32_t ref = s->free_head[c];
	struct item *it;

	if (ref != 0) {
		it = at(op, ref);
		if (it == NULL || REF_CLASS(ref) != (uint32_t)c ||
		    atomic_load_explicit(&it->state, memory_order_relaxed) != 0) {
			op->corrupt = 1;
			return 0;
		}
		s->free_head[c] = it->next;
		return ref;
	}
	if (s->carved[c] < s->g.nitems[c])
		return REF(c, s->carved[c]++);
	ref = s->lru_tail[c];
	if (ref == 0 || (it = at(op, ref)) == NULL)
		return 0;
	if (!expired(op, it))
		atomic_fetch_add_explicit(&s->evictions, 1, memory_order_relaxed);
	item_drop(op, it, ref, 0);
	return ref;
}

/* Fill a fresh slot and commit it; link it in front of any older copy. */
static struct item *commit(struct op *op, uint32_t ref, const void *val, size_t vlen, unsigned ttl_s, uint32_t flags,
			   long long num)
{
	struct item *it = at(op, ref);
	int c = (int)REF_CLASS(ref);

	if (it == NULL)
		return NULL;
	it->hash = op->h;
	it->klen = (uint16_t)op->klen;
	it->vlen = (uint32_t)vlen;
	it->expires = ttl_s ? op->now + (int64_t)ttl_s : 0;
	it->cas = op->s->cas_next++;
	atomic_store_explicit(&it->num, num, memory_order_relaxed);
	memcpy(it->data, op->key, op->klen);
	if (vlen > 0)
		memcpy(it->data + op->klen, val, vlen);
	atomic_store_explicit(&it->state, ITEM_LIVE | flags, memory_order_release);
	hash_link(op, it, ref);
	lru_push(op, it, ref);
	atomic_fetch_add_explicit(&op->s->entries, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&op->s->used, class_bytes[c], memory_order_relaxed);
	return it;
}

/* ---- rebuild ---- */

static void shard_reset_links(struct shard *s)
{
	memset((unsigned char *)s + s->g.buckets_off, 0, (size_t)s->g.nbuckets * 4);
	memset(s->free_head, 0, sizeof(s->free_head));
	memset(s->lru_head, 0, sizeof(s->lru_head));
	memset(s->lru_tail, 0, sizeof(s->lru_tail));
	atomic_store(&s->entries, 0);
	atomic_store(&s->used, 0);
}

/* Keep item `ref` unless an equal key with a newer cas is already linked. */
static void rebuild_one(struct op *op, struct item *it, uint32_t ref)
{
	uint32_t other;
	struct item *o;

	op->h = it->hash;
	op->key = it->data;
	op->klen = it->klen;
	other = find(op);
	if (other != 0 && (o = at(op, other)) != NULL) {
		if (o->cas > it->cas) {
			atomic_store(&it->state, 0);
			free_push(op, it, ref);
			return;
		}
		item_drop(op, o, other, 1);
	}
	hash_link(op, it, ref);
	lru_push(op, it, ref);
	atomic_fetch_add(&op->s->entries, 1);
	atomic_fetch_add(&op->s->used, class_bytes[REF_CLASS(ref)]);
}

/* Recreate every link of shard s from the item states; keeps committed
 * items, so counters survive a worker dying mid-operation. */
static void shard_rebuild(struct region *r, struct shard *s, unsigned idx, int keep)
{
	struct op op = {.r = r, .s = s};
	uint64_t maxcas = 0;

	op.bk = (uint32_t *)(void *)((unsigned char *)s + s->g.buckets_off);
	shard_reset_links(s);
	for (int c = 0; c < NCLASS; c++) {
		if (s->carved[c] > s->g.nitems[c])
			s->carved[c] = s->g.nitems[c];
		for (uint32_t i = s->carved[c]; i-- > 0;) {
			uint32_t ref = REF(c, i);
			struct item *it = at(&op, ref);
			uint32_t st = atomic_load(&it->state);

			if (keep && (st & ITEM_LIVE) && item_ok(it, c, st) &&
			    it->hash == cal_shm_hash(r->seed, it->data, it->klen) && (it->hash >> 58) == idx) {
				rebuild_one(&op, it, ref);
				if (it->cas > maxcas)
					maxcas = it->cas;
				continue;
			}
			atomic_store(&it->state, 0);
			free_push(&op, it, ref);
		}
	}
	if (maxcas >= s->cas_next)
		s->cas_next = maxcas + 1;
	if (!keep) { /* flush: every slot back to never-used */
		memset(s->free_head, 0, sizeof(s->free_head));
		memset(s->carved, 0, sizeof(s->carved));
	}
}

/* ---- lock / op framing ---- */

static unsigned shard_index(const struct op *op)
{
	return (unsigned)(op->h >> 58); /* 64 shards: top 6 bits */
}

static int op_begin(cal_shm *shm, struct op *op, const char *key, size_t klen)
{
	size_t len;
	int rc;

	if (key == NULL || klen == 0 || klen > CAL_CACHE_MAX_KEY)
		return -EINVAL;
	memset(op, 0, sizeof(*op));
	op->shm = shm;
	op->r = cal_shm_region(shm, &cal_cache_tenant, &len);
	op->key = key;
	op->klen = klen;
	op->h = cal_shm_hash(op->r->seed, key, klen);
	op->s = shard_at(op->r, shard_index(op));
	op->bk = (uint32_t *)(void *)((unsigned char *)op->s + op->s->g.buckets_off);
	rc = cal_shm_mutex_lock(shm, &op->s->mu);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		shard_rebuild(op->r, op->s, shard_index(op), 1);
		cal_shm_mutex_consistent(shm, &op->s->mu);
	}
	op->now = cache_clock();
	return 0;
}

/* Unlock; a corrupt shard is rebuilt first and the op reports -EIO. */
static int op_end(struct op *op, int rc)
{
	unsigned idx = shard_index(op);

	if (op->corrupt) {
		shard_rebuild(op->r, op->s, idx, 1);
		rc = -EIO;
	}
	cal_shm_mutex_unlock(&op->s->mu);
	return rc;
}

/* The live, unexpired item for the op's key; drops an expired one. */
static struct item *lookup(struct op *op, uint32_t *refp)
{
	uint32_t ref = find(op);
	struct item *it;

	*refp = 0;
	if (ref == 0 || (it = at(op, ref)) == NULL)
		return NULL;
	if (expired(op, it)) {
		item_drop(op, it, ref, 1);
		return NULL;
	}
	*refp = ref;
	return it;
}

/* ---- API ---- */

int cal_cache_get(cal_shm *shm, const char *key, size_t klen, void *buf, size_t buflen, size_t *vlen)
{
	struct op op;
	struct item *it;
	uint32_t ref, st;
	char num[24];
	const void *src;
	size_t n;
	int rc;

	if (vlen != NULL)
		*vlen = 0;
	rc = op_begin(shm, &op, key, klen);
	if (rc != 0)
		return rc;
	it = lookup(&op, &ref);
	if (it == NULL) {
		atomic_fetch_add_explicit(&op.s->misses, 1, memory_order_relaxed);
		rc = 1;
		goto out;
	}
	st = atomic_load_explicit(&it->state, memory_order_relaxed);
	if (st & ITEM_NUMERIC) {
		n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)atomic_load(&it->num));
		src = num;
	} else {
		n = it->vlen;
		src = it->data + it->klen;
	}
	if (vlen != NULL)
		*vlen = n;
	atomic_fetch_add_explicit(&op.s->hits, 1, memory_order_relaxed);
	lru_bump(&op, it, ref);
	if (n > buflen || (n > 0 && buf == NULL)) {
		rc = -ENOBUFS;
		goto out;
	}
	if (n > 0)
		memcpy(buf, src, n);
	rc = 0;
out:
	return op_end(&op, rc);
}

int cal_cache_set(cal_shm *shm, const char *key, size_t klen, const void *val, size_t vlen, unsigned ttl_s)
{
	struct op op;
	uint32_t ref, old;
	int c, rc;

	if (vlen > 0 && val == NULL)
		return -EINVAL;
	c = class_for(ITEM_HDR + klen + vlen);
	if (c < 0)
		return klen > CAL_CACHE_MAX_KEY ? -EINVAL : -E2BIG;
	rc = op_begin(shm, &op, key, klen);
	if (rc != 0)
		return rc;
	ref = alloc(&op, c);
	if (ref == 0) {
		rc = -ENOSPC;
		goto out;
	}
	old = find(&op); /* after alloc: the eviction may have taken it */
	if (commit(&op, ref, val, vlen, ttl_s, 0, 0) == NULL) {
		rc = -EIO;
		goto out;
	}
	if (old != 0) {
		struct item *o = at(&op, old);

		if (o != NULL)
			item_drop(&op, o, old, 1);
	}
	rc = 0;
out:
	return op_end(&op, rc);
}

int cal_cache_delete(cal_shm *shm, const char *key, size_t klen)
{
	struct op op;
	struct item *it;
	uint32_t ref;
	int rc;

	rc = op_begin(shm, &op, key, klen);
	if (rc != 0)
		return rc;
	it = lookup(&op, &ref);
	if (it != NULL)
		item_drop(&op, it, ref, 1);
	return op_end(&op, it != NULL ? 0 : 1);
}

/* Strict decimal: what memcached accepts for incr. */
static int parse_ll(const char *s, size_t n, long long *out)
{
	char tmp[24];
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
		return -EINVAL;
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || end == tmp)
		return -EINVAL;
	return 0;
}

static int incr_existing(struct op *op, struct item *it, uint32_t ref, long long delta, long long *nv)
{
	uint32_t st = atomic_load_explicit(&it->state, memory_order_relaxed);
	long long cur;
	int rc;

	if (st & ITEM_NUMERIC) {
		cur = (long long)atomic_load(&it->num);
	} else {
		rc = parse_ll(it->data + it->klen, it->vlen, &cur);
		if (rc != 0)
			return rc;
	}
	if (__builtin_add_overflow(cur, delta, nv))
		return -ERANGE;
	lru_bump(op, it, ref);
	/* The commit: one aligned 64-bit store (plus the flag, for text). */
	atomic_store_explicit(&it->num, *nv, memory_order_release);
	if (!(st & ITEM_NUMERIC))
		atomic_store_explicit(&it->state, st | ITEM_NUMERIC, memory_order_release);
	return 0;
}

int cal_cache_incr(cal_shm *shm, const char *key, size_t klen, long long delta, unsigned ttl_s, long long *newval)
{
	struct op op;
	struct item *it;
	uint32_t ref;
	long long nv = 0;
	int rc, c;

	rc = op_begin(shm, &op, key, klen);
	if (rc != 0)
		return rc;
	it = lookup(&op, &ref);
	if (it != NULL) {
		rc = incr_existing(&op, it, ref, delta, &nv);
		goto out;
	}
	c = class_for(ITEM_HDR + klen);
	ref = c < 0 ? 0 : alloc(&op, c);
	if (ref == 0) {
		rc = -ENOSPC;
		goto out;
	}
	nv = delta;
	rc = commit(&op, ref, NULL, 0, ttl_s, ITEM_NUMERIC, nv) ? 0 : -EIO;
out:
	rc = op_end(&op, rc);
	if (rc == 0 && newval != NULL)
		*newval = nv;
	return rc;
}

int cal_cache_flush(cal_shm *shm)
{
	size_t len;
	struct region *r = cal_shm_region(shm, &cal_cache_tenant, &len);
	int rc;

	for (unsigned i = 0; i < CAL_CACHE_SHARDS; i++) {
		struct shard *s = shard_at(r, i);

		rc = cal_shm_mutex_lock(shm, &s->mu);
		if (rc < 0)
			return rc;
		shard_rebuild(r, s, i, 0);
		if (rc == 1)
			cal_shm_mutex_consistent(shm, &s->mu);
		cal_shm_mutex_unlock(&s->mu);
	}
	return 0;
}

int cal_cache_stats(cal_shm *shm, struct cal_cache_stats *st)
{
	size_t len;
	struct region *r = cal_shm_region(shm, &cal_cache_tenant, &len);

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < CAL_CACHE_SHARDS; i++) {
		struct shard *s = shard_at(r, i);

		st->entries += atomic_load_explicit(&s->entries, memory_order_relaxed);
		st->used_bytes += atomic_load_explicit(&s->used, memory_order_relaxed);
		st->hits += atomic_load_explicit(&s->hits, memory_order_relaxed);
		st->misses += atomic_load_explicit(&s->misses, memory_order_relaxed);
		st->evictions += atomic_load_explicit(&s->evictions, memory_order_relaxed);
		for (int c = 0; c < NCLASS; c++)
			st->capacity_bytes += (uint64_t)s->g.nitems[c] * class_bytes[c];
	}
	return 0;
}

/* ---- the region as a tenant of the shared file (shm.c calls these under
 * its creation lock) ---- */

/* The cache takes everything the regions before it left. */
static size_t region_size(size_t total, size_t left)
{
	(void)total;
	return left >= region_min_bytes() ? left : 0;
}

static int region_init(void *base, size_t len)
{
	struct region *r = base;
	int rc;

	if (len < region_min_bytes())
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	rc = cal_shm_random(r->seed, sizeof(r->seed));
	if (rc != 0)
		return rc;
	r->nshards = CAL_CACHE_SHARDS;
	r->nclasses = NCLASS;
	r->shard_bytes = shard_bytes_for(len);
	for (unsigned i = 0; i < CAL_CACHE_SHARDS; i++) {
		struct shard *s = shard_at(r, i);

		memset(s, 0, sizeof(*s));
		rc = cal_shm_mutex_init(&s->mu);
		if (rc != 0)
			return rc;
		geometry(r->shard_bytes, &s->g);
		memset((unsigned char *)s + s->g.buckets_off, 0, (size_t)s->g.nbuckets * 4);
		s->cas_next = 1; /* items stay untouched until carved */
	}
	r->magic = REGION_MAGIC;
	return 0;
}

static int region_check(const void *base, size_t len)
{
	const struct region *r = base;
	struct geom g;

	if (len < region_min_bytes() || r->magic != REGION_MAGIC || r->nshards != CAL_CACHE_SHARDS ||
	    r->nclasses != NCLASS || r->shard_bytes != shard_bytes_for(len))
		return -EINVAL;
	geometry(r->shard_bytes, &g);
	for (unsigned i = 0; i < CAL_CACHE_SHARDS; i++) {
		const struct shard *s = shard_at((struct region *)(uintptr_t)r, i);

		if (memcmp(&s->g, &g, sizeof(g)) != 0)
			return -EINVAL;
	}
	return 0;
}

const cal_shm_tenant cal_cache_tenant = {
	.name = "cache", .size = region_size, .init = region_init, .check = region_check};

struct json_object *cal_cache_get_json(cal_shm *shm, struct cal_arena *a, const char *key, int want_object, char **raw,
				       size_t *rawlen)
{
	size_t len = 0;
	char *buf;
	struct json_object *doc;

	if (shm == NULL || key == NULL)
		return NULL;
	buf = cal_arena_alloc(a, CAL_CACHE_MAX_ITEM + 1);
	if (cal_cache_get(shm, key, strlen(key), buf, CAL_CACHE_MAX_ITEM, &len) != 0)
		return NULL;
	buf[len] = '\0';
	doc = json_tokener_parse(buf);
	if (doc == NULL || (want_object && !json_object_is_type(doc, json_type_object))) {
		json_object_put(doc);
		return NULL;
	}
	if (raw != NULL)
		*raw = buf;
	if (rawlen != NULL)
		*rawlen = len;
	return doc;
}

void cal_cache_set_text(cal_shm *shm, const char *key, const char *text, size_t len, unsigned ttl_s)
{
	if (shm != NULL && key != NULL && text != NULL)
		(void)cal_cache_set(shm, key, strlen(key), text, len, ttl_s);
}

void cal_cache_set_json(cal_shm *shm, const char *key, struct json_object *doc, unsigned ttl_s)
{
	if (doc == NULL)
		return;
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	cal_cache_set_text(shm, key, s, strlen(s), ttl_s);
}
