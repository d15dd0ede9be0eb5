/*
 * The one client layer for external APIs (SPEC §7.1, §13): ManyChat, MercadoPago, Spoonacular, Gemini, Google
 * Speech and Vision, and media downloads (Telegram file URLs and other photo/voice links).
 *
 * A worker owns one struct cal_api (ctx->api). It keeps one libcurl easy handle per provider so connections
 * stay alive between requests, adds each provider's credentials itself (callers never format a key into a
 * URL, so no secret reaches a log line), applies the http_client.* timeouts, retries idempotent calls with
 * jittered exponential back-off, caps response sizes, records cal_metrics_api() per call and runs a circuit
 * breaker per provider: after CAL_API_BREAKER_FAILURES consecutive failures the provider is skipped for
 * CAL_API_BREAKER_OPEN_MS, then one trial call decides whether it closes again.
 *
 * Nothing here is thread-safe: a worker serves one request at a time.
 */
#ifndef CALORIA_APICLIENT_H
#define CALORIA_APICLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "caloria/conf.h"
#include "caloria/err.h"
#include "caloria/mem.h"

struct cal_shm;

typedef struct cal_api cal_api;

typedef enum cal_api_provider {
	CAL_API_MANYCHAT = 0,  /* manychat.api_base, Bearer manychat.api_token */
	CAL_API_MERCADOPAGO,   /* mercadopago.api_base, Bearer mercadopago.access_token */
	CAL_API_SPOONACULAR,   /* spoonacular.api_base, x-api-key: spoonacular.api_key */
	CAL_API_GEMINI,        /* gemini.api_base, x-goog-api-key: gemini.api_key */
	CAL_API_GOOGLE_SPEECH, /* google.speech_api_base, x-goog-api-key: google.api_key */
	CAL_API_GOOGLE_VISION, /* google.vision_api_base, x-goog-api-key: google.api_key */
	CAL_API_TELEGRAM,      /* media downloads: path is a full http(s) URL, no credentials, SSRF rule */
	CAL_API__MAX
} cal_api_provider;

#define CAL_API_BREAKER_FAILURES 5          /* consecutive failures that open the breaker */
#define CAL_API_BREAKER_OPEN_MS 30000       /* how long an open breaker skips the provider */
#define CAL_API_MAX_BYTES ((size_t)4 << 20) /* default response cap; media calls pass their own */
#define CAL_API_MAX_HEADERS 16              /* extra request headers per call */

/* One call. Zeroed fields take the defaults noted. */
typedef struct cal_api_req {
	cal_api_provider provider;
	const char *method;          /* "GET" (default when NULL), "POST", "PUT", "DELETE" */
	const char *path;            /* appended to the provider's base URL ("/fb/sending/sendContent");
				      * for CAL_API_TELEGRAM the whole http(s) URL */
	const char *const *headers;  /* NULL-terminated "Name: value" lines, at most CAL_API_MAX_HEADERS */
	struct json_object *json;    /* request body sent as application/json; not consumed */
	const void *body;            /* or raw bytes (e.g. multipart), with body_type as Content-Type */
	size_t body_len;
	const char *body_type;
	bool idempotent;             /* a POST the caller knows is safe to repeat (GET/PUT/DELETE always are) */
	long timeout_ms;             /* total time per attempt; 0 = http_client.timeout_ms */
	size_t max_bytes;            /* response cap; 0 = CAL_API_MAX_BYTES */
	bool raw;                    /* do not parse the body as JSON (media) */
	/*
	 * Response caching (SPEC §12) for calls whose answer depends only on the request (analyses of the same
	 * image or text): when cache_ttl_s > 0, a 2xx JSON answer is kept that long in the shared cache under
	 * cache_key, or under the SHA-256 of method, path and body when cache_key is NULL (for an image that
	 * is the SHA-256 of its bytes, as they travel in the body). A hit answers with attempts = 0.
	 */
	unsigned cache_ttl_s;
	const char *cache_key;
} cal_api_req;

#define CAL_API_CACHE_TTL_S 7200 /* SPEC §12: external API responses, 2 h */

/* What came back. Strings and body live in the arena; json is owned by the caller (json_object_put). */
typedef struct cal_api_resp {
	long status;              /* HTTP status of the last attempt, 0 when none arrived */
	char *body;               /* NUL-terminated (binary bodies too; use len) */
	size_t len;
	char *content_type;       /* lower-cased, parameters kept; NULL when absent */
	struct json_object *json; /* parsed body when it is JSON and req.raw is false, else NULL */
	int attempts;             /* requests actually made (0 when skipped by the breaker or a cache hit) */
	bool cached;              /* answered from the shared cache */
	double ms;                /* wall time of the whole call, back-off included */
} cal_api_resp;

/*
 * Creates the clients from the configuration (which must outlive them) and the shared segment for
 * metrics (may be NULL). No connection or libcurl handle is made until the first call. Never NULL.
 */
cal_api *cal_api_new(const cal_conf *conf, struct cal_shm *shm);
void cal_api_free(cal_api *api);

/*
 * Makes the call. CAL_OK: a 2xx response (resp->json set when the body is JSON). CAL_ERR_UPSTREAM: no
 * response, a non-2xx status (resp->status tells which), a body over the cap, or a JSON content type with a
 * body that does not parse. CAL_ERR_UNAVAILABLE: the provider's breaker is open or it has no base URL or
 * credentials (nothing was sent). CAL_ERR_FORBIDDEN: a media URL that resolves to a loopback, private or
 * link-local address while media.allow_private_hosts is false. CAL_ERR_VALIDATION: a malformed request
 * (unknown provider, path not starting with '/', media URL not http(s), too many headers).
 * resp is always initialised, whatever the result.
 */
cal_err cal_api_request(cal_api *api, const cal_api_req *req, cal_arena *arena, cal_api_resp *resp);

/*
 * The same calls without blocking, for the job runner (SPEC §7.5): many transfers in flight on one libcurl
 * multi handle, each with the timeouts, retries (their back-off is a timer, not a sleep), breaker, SSRF
 * check, metrics and response cache of cal_api_request().
 *
 * cal_api_multi_add() starts a call; the strings req points to (path, headers, body) and the arena must
 * live until the call is collected (a JSON body is copied). cal_api_multi_wait() drives the transfers for
 * at most timeout_ms (returning early when a call finishes or cal_api_multi_wakeup() is called), and
 * cal_api_multi_next() hands back each finished call once, with its tag and the result and response
 * cal_api_request() would have given (resp->json is then the caller's). A call that ends before any
 * transfer (breaker open, not configured, cache hit, malformed) is collected the same way.
 */
typedef struct cal_api_multi cal_api_multi;

cal_api_multi *cal_api_multi_new(cal_api *api);
/* Abandons any call still running. */
void cal_api_multi_free(cal_api_multi *mu);
void cal_api_multi_add(cal_api_multi *mu, const cal_api_req *req, cal_arena *arena, void *tag);
void cal_api_multi_wait(cal_api_multi *mu, int timeout_ms);
void cal_api_multi_wakeup(cal_api_multi *mu);
bool cal_api_multi_next(cal_api_multi *mu, void **tag, cal_err *e, cal_api_resp *resp);
/* Calls added and not yet collected. */
int cal_api_multi_pending(const cal_api_multi *mu);

/*
 * The body of a ManyChat sendContent call (below) for subscriber_id and a v2 content object (not consumed),
 * and whether an answer to it means the message was accepted. For callers that send it themselves (the push
 * job through the multi interface).
 */
struct json_object *cal_api_manychat_body(const char *subscriber_id, struct json_object *content);
bool cal_api_manychat_accepted(const cal_api_resp *resp);

/* Shorthand for a JSON call: GET when body is NULL, else POST (not idempotent). resp as above. */
cal_err cal_api_json(cal_api *api, cal_api_provider provider, const char *path, struct json_object *body,
		     cal_arena *arena, cal_api_resp *resp);

/*
 * ManyChat sendContent (SPEC §7.5, §8): POST {manychat.api_base}/fb/sending/sendContent with
 * {"subscriber_id", "data": {"version": "v2", "content": content}, "message_tag": "ACCOUNT_UPDATE"}.
 * content is a v2 content object ({"messages": [...], …}); it is not consumed. The subscriber id goes out as
 * a JSON integer when it is all digits (ManyChat's own ids), else as a string. CAL_OK only for HTTP 200 with
 * {"status": "success"}; CAL_ERR_UNAVAILABLE when manychat.api_token is empty (pushes disabled) or the
 * breaker is open; CAL_ERR_UPSTREAM otherwise. Not retried here: a send may have been delivered even when the
 * answer was lost, so the caller decides (the daily summary retries; a duplicate summary beats none).
 */
cal_err cal_api_manychat_send(cal_api *api, const char *subscriber_id, struct json_object *content,
			      cal_arena *arena);
/* The same with one text message; content.type follows manychat.channel (omitted for facebook). */
cal_err cal_api_manychat_send_text(cal_api *api, const char *subscriber_id, const char *text, cal_arena *arena);

/* "manychat", "mercadopago", "spoonacular", "gemini", "google_speech", "google_vision", "telegram" (the
 * names metrics and /health use); NULL when out of range. */
const char *cal_api_provider_name(cal_api_provider p);
/* The provider by that name; CAL_API__MAX when unknown. */
cal_api_provider cal_api_provider_from_name(const char *name);
/* True when the provider has a base URL and, where it needs one, a credential. */
bool cal_api_configured(const cal_api *api, cal_api_provider p);

/*
 * The provider's state for /health from this worker's own counters, without any call:
 * "not_configured" (no key), "unhealthy" (breaker open), "degraded" (the last call failed, or the breaker
 * is half-open, or more than a quarter of the last 20 calls failed), else "healthy".
 */
const char *cal_api_provider_status(const cal_api *api, cal_api_provider p);

/* Tuning for tests: breaker threshold and open time, and the first back-off step (doubles per retry). */
void cal_api_set_breaker(cal_api *api, int failures, long open_ms);
void cal_api_set_backoff(cal_api *api, long base_ms);

#endif
