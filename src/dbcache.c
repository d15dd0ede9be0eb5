/*
 * Owns the generations of cached database reads and the entries stored under them (see dbcache.h for
 * why generations are unique values and why the order "key before read, invalidate after commit" keeps
 * every entry at least as new as its generation).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caloria/cache.h"
#include "caloria/dbcache.h"

#define GEN_MAX 48
/* Generations outlive the entries that use them, so an entry never meets a re-created generation. */
#define GEN_TTL_S (2 * CAL_DBCACHE_TTL_S)

static void gen_key(char *out, size_t outlen, const char *scope, long long id)
{
	snprintf(out, outlen, "dbgen:%s:%lld", scope, id);
}

static void fresh_generation(char *out, size_t outlen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, outlen, "%lld%09ld.%ld", (long long)ts.tv_sec, ts.tv_nsec, (long)getpid());
}

const char *cal_dbcache_key(cal_ctx *ctx, cal_arena *a, const char *scope, long long id, const char *what)
{
	char gk[96], gen[GEN_MAX + 1];
	size_t len = 0;

	if (ctx->shm == NULL)
		return NULL;
	gen_key(gk, sizeof gk, scope, id);
	if (cal_cache_get(ctx->shm, gk, strlen(gk), gen, GEN_MAX, &len) == 0) {
		gen[len] = '\0';
	} else {
		fresh_generation(gen, sizeof gen);
		if (cal_cache_set(ctx->shm, gk, strlen(gk), gen, strlen(gen), GEN_TTL_S) != 0)
			return NULL;
	}
	const char *key = cal_arena_printf(a, "db:%s:%lld:%s:%s", scope, id, gen, what);
	return strlen(key) <= CAL_CACHE_MAX_KEY ? key : NULL;
}

struct json_object *cal_dbcache_get(cal_ctx *ctx, cal_arena *a, const char *key)
{
	return cal_cache_get_json(ctx->shm, a, key, 1, NULL, NULL);
}

void cal_dbcache_put(cal_ctx *ctx, const char *key, struct json_object *doc)
{
	cal_cache_set_json(ctx->shm, key, doc, CAL_DBCACHE_TTL_S);
}

void cal_dbcache_invalidate(cal_ctx *ctx, const char *scope, long long id)
{
	char gk[96], gen[GEN_MAX + 1];

	if (ctx->shm == NULL)
		return;
	gen_key(gk, sizeof gk, scope, id);
	fresh_generation(gen, sizeof gen);
	if (cal_cache_set(ctx->shm, gk, strlen(gk), gen, strlen(gen), GEN_TTL_S) != 0)
		(void)cal_cache_delete(ctx->shm, gk, strlen(gk)); /* a missing generation is a fresh one too */
}
