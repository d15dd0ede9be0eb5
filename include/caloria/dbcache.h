/*
 * Cached database reads (SPEC §12): results of reads that are safe to cache, kept 30 minutes in the shared
 * cache as JSON. Every key carries the generation of its scope (e.g. one user's food days); a write to the
 * scope replaces the generation after it commits, which invalidates every cached read of that scope at
 * once. Generations are unique values (time and pid), never counters, so an evicted generation can never
 * come back and resurrect an old entry. Cache loss only costs a database read.
 *
 * The rule that keeps entries fresh: a reader takes the key before its read, a writer invalidates after
 * its commit, and the read must see every commit that preceded the key. Inside a transaction that means
 * the scope's writers and readers are serialised by one row lock taken before the snapshot (the
 * conversation holds the user's row lock for the whole request, and so must any background writer).
 */
#ifndef CALORIA_DBCACHE_H
#define CALORIA_DBCACHE_H

#include <json-c/json.h>

#include "caloria/ctx.h"
#include "caloria/mem.h"

#define CAL_DBCACHE_TTL_S 1800

/*
 * The key for `what` in scope/id, e.g. ("user", 42, "week:2026-11-26:2260"), in the arena; NULL when
 * there is no shared cache. Call it BEFORE reading the database, so the read is newer than the generation.
 */
const char *cal_dbcache_key(cal_ctx *ctx, cal_arena *a, const char *scope, long long id, const char *what);
/* The cached document for key (new reference), or NULL on a miss. key may be NULL. */
struct json_object *cal_dbcache_get(cal_ctx *ctx, cal_arena *a, const char *key);
/* Stores doc under key (no-op when key is NULL or the document is too big). */
void cal_dbcache_put(cal_ctx *ctx, const char *key, struct json_object *doc);
/* Call AFTER a write to the scope has committed. */
void cal_dbcache_invalidate(cal_ctx *ctx, const char *scope, long long id);

#endif
