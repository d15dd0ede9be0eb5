/*
 * ratelimit.h — pool-wide sliding-window rate limiter (§4.4) in the shared
 * file: per-minute limits for the route classes and the admin failed-login
 * lockout (5 per 15 minutes per username and per IP).
 *
 * Algorithm (exact sliding window in buckets): each (class, key) has a ring
 * of buckets covering the window; a bucket is window/60 seconds wide (rounded
 * up), so windows up to a minute have one bucket per second and are exact to
 * the second: a request at time t is refused when the requests counted at
 * times t' with t - t' < window already reach the limit.  Check and increment
 * happen under one lock, so the 101st of 101 requests within any 60 seconds
 * is refused no matter which worker serves it.  Wider windows keep one extra
 * bucket, so they err by at most one bucket on the safe side: the 15-minute
 * login lockout releases 900 to 915 s after the oldest failure, never sooner.
 * Time is the caller's (seconds); a clock stepping back by less than a window
 * is treated as "no time passed", a larger step back resets the key.
 *
 * Returns: 0 allowed, 1 limited (*retry_after_s set, >= 1), negative errno on
 * error (-EINVAL bad argument or class+key longer than 500 bytes; other values
 * when the lock is unusable).  Callers should fail open on errors: the limiter
 * protects capacity, it is not an authentication control.
 */
#ifndef CALORIA_RATELIMIT_H
#define CALORIA_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "caloria/shm.h"

#define CAL_RATELIMIT_MAX_WINDOW (7 * 24 * 3600) /* one week */

/* Count one event for key in class and say whether it is allowed.  A refused
 * event is not counted, so a client hammering while limited is released when
 * its counted events age out. */
int cal_ratelimit_hit(cal_shm *shm, const char *class_name, const char *key, unsigned limit, unsigned window_s,
		      time_t now, unsigned *retry_after_s);

/* Would the next hit be refused?  Counts nothing (login lockout check). */
int cal_ratelimit_peek(cal_shm *shm, const char *class_name, const char *key, unsigned limit, unsigned window_s,
		       time_t now, unsigned *retry_after_s);

/* Forget key in class (successful login clears its failures). 0 or 1 if
 * unknown. */
int cal_ratelimit_reset(cal_shm *shm, const char *class_name, const char *key);

struct cal_ratelimit_stats {
	uint64_t allowed;   /* hits counted */
	uint64_t limited;   /* hits refused */
	uint64_t evictions; /* live keys dropped because their slots were full */
	uint64_t capacity;  /* key slots */
};

int cal_ratelimit_stats(cal_shm *shm, struct cal_ratelimit_stats *st);

/* The limiter region as a tenant of the shared file. */
extern const cal_shm_tenant cal_ratelimit_tenant;

#endif /* CALORIA_RATELIMIT_H */
