/*
 * Text food analyses through the shared cache (SPEC §7.2, §12): one place that turns a description into
 * the reply/log JSON, caches it pool-wide by normalised description for an hour, and warms the cache with
 * the most frequent descriptions of the last week. A cache hit and a fresh analysis go through the same
 * rounded JSON, so cache loss never changes a result.
 */
#ifndef CALORIA_FOODTEXT_H
#define CALORIA_FOODTEXT_H

#include <json-c/json.h>

#include "caloria/ctx.h"
#include "caloria/fooddb.h"
#include "caloria/mem.h"

#define CAL_FOODTEXT_TTL_S 3600
#define CAL_FOODTEXT_FORMAT 2 /* of the cached value; 2: drinks' items carry "ml" */

/*
 * The analysis document {"analysis": <SPEC §5.4 analysis without ids>, "sodium_mg", "matched"} for text.
 * New reference for the caller (json_object_put). Text over the parser's limit gives an empty analysis
 * (matched = 0), which the conversation reports as food_unclear.
 */
struct json_object *cal_foodtext_analyze(cal_ctx *ctx, cal_arena *a, const cal_fooddb *fdb, const char *text);

/* The cache key of a description (lower-cased, white space folded, long keys hashed), in the arena. */
const char *cal_foodtext_cache_key(cal_arena *a, const cal_fooddb *fdb, const char *text);

/*
 * Analyses the `top` most frequent text descriptions logged in the last 7 days into the shared cache.
 * Returns how many were analysed, or -1 when the database could not be read.
 */
long cal_foodtext_warm(cal_ctx *ctx, long top);

#endif
