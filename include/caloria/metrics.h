/*
 * metrics.h — pool-wide metrics (§13) kept in the shared file with lock-free
 * atomics: requests by route and status class, latency histograms by route,
 * errors by code, external API calls/failures/latency by provider, business
 * counters.  Recording never blocks and never fails; unknown names are
 * counted under "unknown" so a typo is visible instead of silently lost.
 *
 * Renderers return malloc'd NUL-terminated text (caller frees) or NULL when
 * out of memory: JSON for /health/metrics, Prometheus text format 0.0.4 for
 * /metrics.  Both include cache and rate-limit statistics and the calling
 * process's RSS (JSON also its pid and uptime; Prometheus the pool's start
 * time, i.e. when the shared file was created).
 */
#ifndef CALORIA_METRICS_H
#define CALORIA_METRICS_H

#include <stddef.h>

#include "caloria/shm.h"

#define CAL_METRICS_MAX_ROUTES 64
#define CAL_METRICS_ROUTE_NAME 64 /* stored bytes, NUL included */

/* One finished request: route_index in [0, CAL_METRICS_MAX_ROUTES) from the
 * router's table; the name is stored the first time the slot is used. */
void cal_metrics_request(cal_shm *shm, int route_index, const char *route_name, int status, double duration_ms);

/* One error response by §4.1 code (invalid_json … unavailable). */
void cal_metrics_error(cal_shm *shm, const char *code);

/* One call to an external provider (manychat, mercadopago, spoonacular,
 * gemini, google_speech, google_vision, telegram). */
void cal_metrics_api(cal_shm *shm, const char *provider, int ok, double ms);

/* Business counters: users_created, quizzes_completed, food_logs_text,
 * food_logs_image, food_logs_audio, trials_started, subscriptions_activated,
 * payments_approved. */
void cal_metrics_business(cal_shm *shm, const char *counter, long long delta);

/* Provider counters for the health check (§13: provider states come from the
 * client layer's own counters).  0, or -1 for an unknown provider. */
int cal_metrics_api_counts(cal_shm *shm, const char *provider, unsigned long long *calls, unsigned long long *failures);

/* uptime_s: the calling worker's uptime, reported under "process". */
char *cal_metrics_json(cal_shm *shm, double uptime_s);
char *cal_metrics_prometheus(cal_shm *shm);

/* The metrics region as a tenant of the shared file. */
extern const cal_shm_tenant cal_metrics_tenant;

#endif /* CALORIA_METRICS_H */
