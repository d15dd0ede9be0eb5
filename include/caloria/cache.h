/*
 * cache.h — memcached-style key/value store inside the shared file (§12).
 *
 * 64 independent shards, each with its own robust mutex, hash table, item
 * slabs in four size classes and one LRU list per class, so workers touching
 * different keys do not serialise.  Entries carry an absolute expiry; counters
 * are updated in place.  Losing entries never changes results (only speed), so
 * every failure mode degrades to a miss.
 *
 * Return values: 0 success/hit, 1 miss/not found, negative errno on error:
 *   -EINVAL   empty key, key longer than CAL_CACHE_MAX_KEY, non-numeric incr
 *   -E2BIG    key + value larger than the biggest item class
 *   -ENOBUFS  (get) value larger than buflen; *vlen holds the needed size
 *   -ERANGE   (incr) the counter would overflow
 *   -ENOSPC   no item of the needed class exists in the file (file too small)
 *   other     the shard lock is unusable
 * Keys longer than 250 bytes are rejected: callers hash them first (SHA-256 hex
 * fits), which keeps comparisons exact.
 */
#ifndef CALORIA_CACHE_H
#define CALORIA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "caloria/shm.h"

#define CAL_CACHE_MAX_KEY 250
#define CAL_CACHE_SHARDS 64
#define CAL_CACHE_MAX_ITEM 16384 /* item header + key + value */

struct cal_cache_stats {
	uint64_t entries;        /* live items (expired ones until reclaimed) */
	uint64_t capacity_bytes; /* sum of all item slots */
	uint64_t used_bytes;     /* slot bytes held by live items */
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions; /* unexpired items dropped to make room */
};

/* Copy the value of key into buf; numeric counters read back as decimal. */
int cal_cache_get(cal_shm *shm, const char *key, size_t klen, void *buf, size_t buflen, size_t *vlen);

/* Store key → val, expiring after ttl_s seconds (0 = never). */
int cal_cache_set(cal_shm *shm, const char *key, size_t klen, const void *val, size_t vlen, unsigned ttl_s);

/* 0 deleted, 1 not found. */
int cal_cache_delete(cal_shm *shm, const char *key, size_t klen);

/*
 * Add delta to the counter at key, creating it with value delta and the given
 * ttl when absent or expired (an existing counter keeps its expiry).  A text
 * value that is a decimal integer is converted.  *newval gets the result.
 */
int cal_cache_incr(cal_shm *shm, const char *key, size_t klen, long long delta, unsigned ttl_s, long long *newval);

/*
 * JSON documents as cache values, for every module that caches one (text analyses, API answers, database
 * reads): the value is the plain serialisation. get returns a new reference, or NULL on a miss, an error,
 * or an entry that does not parse as JSON of the wanted kind (a damaged entry is just a miss). raw, when
 * not NULL, receives the entry's text in the arena (and *rawlen its length). set never fails loudly: a
 * document too big for an item is simply not cached.
 */
struct json_object;
struct cal_arena;
struct json_object *cal_cache_get_json(cal_shm *shm, struct cal_arena *a, const char *key, int want_object, char **raw,
				       size_t *rawlen);
void cal_cache_set_json(cal_shm *shm, const char *key, struct json_object *doc, unsigned ttl_s);
void cal_cache_set_text(cal_shm *shm, const char *key, const char *text, size_t len, unsigned ttl_s);

/* Drop every entry (operators; tests).  Counters hits/misses are kept. */
int cal_cache_flush(cal_shm *shm);

int cal_cache_stats(cal_shm *shm, struct cal_cache_stats *st);

/* The cache region as a tenant of the shared file: it takes what the
 * regions before it leave (cal_shm_tenants lists it last). */
extern const cal_shm_tenant cal_cache_tenant;

#endif /* CALORIA_CACHE_H */
