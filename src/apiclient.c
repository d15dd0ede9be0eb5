/*
 * The external API client layer (SPEC §7.1, §13): one libcurl easy handle per provider kept for the life of
 * the worker (keep-alive), credentials added here from the configuration, http_client.* timeouts, retries
 * with jittered exponential back-off for calls that are safe to repeat, a response size cap, one metrics
 * record per attempt, and a per-provider circuit breaker whose counters also answer /health.
 *
 * Secrets never leave this file except inside the request headers: URLs carry no keys, and the one log
 * line per attempt names the provider, method, masked path, status and time only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "caloria/apiclient.h"
#include "caloria/cache.h"
#include "caloria/log.h"
#include "caloria/mem.h"
#include "caloria/metrics.h"
#include "caloria/shm.h"
#include "caloria/version.h"

#define BACKOFF_BASE_MS 200   /* first retry waits 100–200 ms, then doubles */
#define BACKOFF_CAP_MS 2000   /* no single wait is longer; a longer Retry-After ends the retries */
#define RECENT_WINDOW 20      /* calls remembered for the degraded check */
#define JSON_MAX_DEPTH 32     /* same bound as request bodies (SPEC §4.2) */
#define URL_MAX 4096
#define MEDIA_MAX_REDIRECTS 3

enum breaker { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN };

/* Per-provider state: the handle and the breaker's counters. */
struct provider {
	CURL *h;                /* created on first use, after any fork */
	enum breaker state;
	int consecutive;        /* failures in a row */
	long long open_until;   /* monotonic ms at which an open breaker lets one trial call through */
	uint32_t recent;        /* bit i set = call i (newest at bit 0) failed */
	int recent_n;           /* how many bits of recent are meaningful */
};

struct cal_api {
	const cal_conf *conf;
	struct cal_shm *shm;
	struct provider p[CAL_API__MAX];
	int breaker_failures;
	long breaker_open_ms;
	long backoff_base_ms;
	uint64_t rng;           /* xorshift state for back-off jitter */
	bool curl_global;       /* curl_global_init succeeded */
};

/* What one attempt produced, before it is judged. */
struct attempt {
	CURLcode rc;
	long status;
	bool too_large;         /* the body passed the cap */
	bool refused;           /* the SSRF rule refused the address */
	long retry_after_s;     /* from a 429/503, 0 when absent */
	long long t0;           /* monotonic ms when it started */
	double ms;
};

/* Response body sink with the cap. */
struct sink {
	cal_buf buf;
	size_t max;
	bool too_large;
};

static const char *const names[CAL_API__MAX] = {
	[CAL_API_MANYCHAT] = "manychat",
	[CAL_API_MERCADOPAGO] = "mercadopago",
	[CAL_API_SPOONACULAR] = "spoonacular",
	[CAL_API_GEMINI] = "gemini",
	[CAL_API_GOOGLE_SPEECH] = "google_speech",
	[CAL_API_GOOGLE_VISION] = "google_vision",
	[CAL_API_TELEGRAM] = "telegram",
};

const char *cal_api_provider_name(cal_api_provider p)
{
	if ((int)p < 0 || p >= CAL_API__MAX)
		return NULL;
	return names[p];
}

cal_api_provider cal_api_provider_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < CAL_API__MAX; i++)
		if (strcmp(names[i], name) == 0)
			return (cal_api_provider)i;
	return CAL_API__MAX;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t rng_next(cal_api *api)
{
	uint64_t x = api->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	api->rng = x;
	return x;
}

static const char *base_url(const cal_conf *c, cal_api_provider p)
{
	switch (p) {
	case CAL_API_MANYCHAT: return c->manychat_api_base;
	case CAL_API_MERCADOPAGO: return c->mercadopago_api_base;
	case CAL_API_SPOONACULAR: return c->spoonacular_api_base;
	case CAL_API_GEMINI: return c->gemini_api_base;
	case CAL_API_GOOGLE_SPEECH: return c->google_speech_api_base;
	case CAL_API_GOOGLE_VISION: return c->google_vision_api_base;
	case CAL_API_TELEGRAM: return "";
	default: return NULL;
	}
}

/* The credential and the header that carries it; NULL secret for providers that need none. */
static const char *credential(const cal_conf *c, cal_api_provider p, const char **header)
{
	switch (p) {
	case CAL_API_MANYCHAT: *header = "Authorization: Bearer "; return c->manychat_api_token;
	case CAL_API_MERCADOPAGO: *header = "Authorization: Bearer "; return c->mercadopago_access_token;
	/* Header forms rather than ?apiKey= / ?key=, so a key never sits in a URL. */
	case CAL_API_SPOONACULAR: *header = "x-api-key: "; return c->spoonacular_api_key;
	case CAL_API_GEMINI: *header = "x-goog-api-key: "; return c->gemini_api_key;
	case CAL_API_GOOGLE_SPEECH:
	case CAL_API_GOOGLE_VISION: *header = "x-goog-api-key: "; return c->google_api_key;
	default: *header = NULL; return NULL;
	}
}

bool cal_api_configured(const cal_api *api, cal_api_provider p)
{
	const char *hdr, *key, *base;

	if (api == NULL || (int)p < 0 || p >= CAL_API__MAX)
		return false;
	if (p == CAL_API_TELEGRAM)
		return true;
	base = base_url(api->conf, p);
	key = credential(api->conf, p, &hdr);
	return base != NULL && base[0] != '\0' && key != NULL && key[0] != '\0';
}

cal_api *cal_api_new(const cal_conf *conf, struct cal_shm *shm)
{
	cal_api *api = cal_calloc(1, sizeof *api);

	api->conf = conf;
	api->shm = shm;
	api->breaker_failures = CAL_API_BREAKER_FAILURES;
	api->breaker_open_ms = CAL_API_BREAKER_OPEN_MS;
	api->backoff_base_ms = BACKOFF_BASE_MS;
	if (cal_shm_random(&api->rng, sizeof api->rng) != 0 || api->rng == 0)
		api->rng = (uint64_t)now_ms() * 0x9E3779B97F4A7C15ull | 1;
	/* Refcounted by libcurl; a worker is single-threaded when it gets here. */
	api->curl_global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!api->curl_global)
		cal_error("api", "libcurl could not be initialised; external calls will fail");
	return api;
}

void cal_api_free(cal_api *api)
{
	if (api == NULL)
		return;
	for (int i = 0; i < CAL_API__MAX; i++)
		if (api->p[i].h != NULL)
			curl_easy_cleanup(api->p[i].h);
	if (api->curl_global)
		curl_global_cleanup();
	free(api);
}

void cal_api_set_breaker(cal_api *api, int failures, long open_ms)
{
	api->breaker_failures = failures > 0 ? failures : 1;
	api->breaker_open_ms = open_ms >= 0 ? open_ms : 0;
}

void cal_api_set_backoff(cal_api *api, long base_ms)
{
	api->backoff_base_ms = base_ms >= 0 ? base_ms : 0;
}

/* ------------------------------------------------------------------------------------------ breaker */

/* May a call go out now? Moves an open breaker whose time is up to half-open (one trial call). */
static bool breaker_allows(cal_api *api, struct provider *pv)
{
	if (pv->state == BREAKER_OPEN) {
		if (now_ms() < pv->open_until)
			return false;
		pv->state = BREAKER_HALF_OPEN;
	}
	return true;
}

static void breaker_record(cal_api *api, cal_api_provider p, bool failed)
{
	struct provider *pv = &api->p[p];

	pv->recent = (pv->recent << 1) | (failed ? 1u : 0u);
	if (pv->recent_n < RECENT_WINDOW)
		pv->recent_n++;
	if (!failed) {
		if (pv->state != BREAKER_CLOSED)
			cal_info("api", "%s answers again; circuit closed", names[p]);
		pv->state = BREAKER_CLOSED;
		pv->consecutive = 0;
		return;
	}
	pv->consecutive++;
	/* A failed trial call re-opens at once; otherwise the threshold decides. */
	if (pv->state == BREAKER_HALF_OPEN || pv->consecutive >= api->breaker_failures) {
		if (pv->state != BREAKER_OPEN)
			cal_warn("api", "%s failed %d times in a row; skipping it for %ld ms", names[p],
				 pv->consecutive, api->breaker_open_ms);
		pv->state = BREAKER_OPEN;
		pv->open_until = now_ms() + api->breaker_open_ms;
	}
}

static int recent_failures(const struct provider *pv)
{
	int n = 0;

	for (int i = 0; i < pv->recent_n; i++)
		n += (pv->recent >> i) & 1u;
	return n;
}

const char *cal_api_provider_status(const cal_api *api, cal_api_provider p)
{
	const struct provider *pv;

	if (!cal_api_configured(api, p))
		return "not_configured";
	pv = &api->p[p];
	if (pv->state == BREAKER_OPEN && now_ms() < pv->open_until)
		return "unhealthy";
	if (pv->state != BREAKER_CLOSED || (pv->recent & 1u) != 0 || recent_failures(pv) * 4 > pv->recent_n)
		return "degraded";
	return "healthy";
}

/* ------------------------------------------------------------------------------------------- SSRF */

static bool private_v4(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
	       (a >> 20) == (172u << 4 | 1) ||            /* 172.16.0.0/12 */
	       (a >> 16) == (192u << 8 | 168) ||          /* 192.168.0.0/16 */
	       (a >> 16) == (169u << 8 | 254) ||          /* link-local */
	       (a >> 22) == (100u << 2 | 1) ||            /* 100.64.0.0/10 carrier-grade NAT */
	       (a >> 28) >= 14;                            /* multicast, reserved, broadcast */
}

static bool private_address(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return private_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		uint32_t v4;
		if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
			memcpy(&v4, &a->s6_addr[12], 4);
			return private_v4(ntohl(v4));
		}
		return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
		       IN6_IS_ADDR_SITELOCAL(a) || IN6_IS_ADDR_MULTICAST(a) || (a->s6_addr[0] & 0xfe) == 0xfc;
	}
	return true; /* anything else (unix sockets) is never a media host */
}

/* Checked for every connection libcurl opens, redirects included, so DNS tricks cannot get around it. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct attempt *at = clientp;

	(void)purpose;
	if (private_address(&addr->addr)) {
		at->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

/* ------------------------------------------------------------------------------------------ one call */

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct sink *s = userp;
	size_t len = size * n;

	if (s->buf.len + len > s->max) {
		s->too_large = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	cal_buf_append(&s->buf, data, len);
	return len;
}

static bool is_idempotent(const cal_api_req *req, const char *method)
{
	return req->idempotent || strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	       strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

/* Builds the header list; NULL when out of memory or too many headers (nothing is sent then). */
static struct curl_slist *build_headers(const cal_api *api, const cal_api_req *req)
{
	struct curl_slist *list = NULL, *tmp;
	const char *prefix = NULL, *key = credential(api->conf, req->provider, &prefix);
	char line[1024];
	int n = 0;

	if (key != NULL && key[0] != '\0') {
		if ((size_t)snprintf(line, sizeof line, "%s%s", prefix, key) >= sizeof line)
			goto fail;
		tmp = curl_slist_append(list, line);
		explicit_bzero(line, sizeof line);
		if (tmp == NULL)
			goto fail;
		list = tmp;
	}
	for (; req->headers != NULL && req->headers[n] != NULL; n++) {
		if (n >= CAL_API_MAX_HEADERS || (tmp = curl_slist_append(list, req->headers[n])) == NULL)
			goto fail;
		list = tmp;
	}
	if (req->json != NULL || req->body != NULL) {
		const char *type = req->body_type != NULL ? req->body_type : "application/octet-stream";
		snprintf(line, sizeof line, "Content-Type: %s", req->json != NULL ? "application/json" : type);
		if ((tmp = curl_slist_append(list, line)) == NULL)
			goto fail;
		list = tmp;
	}
	/* "Expect: 100-continue" costs a round trip on every large POST; no provider needs it. */
	if ((tmp = curl_slist_append(list, "Expect:")) == NULL)
		goto fail;
	list = tmp;
	if (!req->raw && (tmp = curl_slist_append(list, "Accept: application/json")) != NULL)
		list = tmp;
	return list;
fail:
	curl_slist_free_all(list);
	return NULL;
}

static CURL *handle(cal_api *api, cal_api_provider p)
{
	if (api->p[p].h == NULL && api->curl_global)
		api->p[p].h = curl_easy_init();
	return api->p[p].h;
}

/* Sets every option of one attempt on a reset handle (reset keeps the live connections). */
static CURLcode setup(cal_api *api, CURL *h, const cal_api_req *req, const char *method, const char *url,
		      const char *payload, size_t payload_len, struct curl_slist *hdrs, struct sink *sink,
		      struct attempt *at)
{
	CURLcode rc = CURLE_OK;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : api->conf->http_client_timeout_ms;
	char ua[64];

	snprintf(ua, sizeof ua, "caloria/%s", cal_version());
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, api->conf->http_client_connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink->max);
	SET(CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (req->provider == CAL_API_TELEGRAM) {
		SET(CURLOPT_FOLLOWLOCATION, 1L);
		SET(CURLOPT_MAXREDIRS, (long)MEDIA_MAX_REDIRECTS);
		if (!api->conf->media_allow_private_hosts) {
			SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
			SET(CURLOPT_OPENSOCKETDATA, at);
		}
	}
	if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, method);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)payload_len);
		SET(CURLOPT_POSTFIELDS, payload != NULL ? payload : "");
	}
#undef SET
	return rc;
}

/* Sets up one attempt on a reset handle (reset keeps the live connections of an easy handle; a multi handle
 * keeps its own). The transfer itself is curl_easy_perform() or the multi interface. */
static void attempt_begin(cal_api *api, CURL *h, const cal_api_req *req, const char *method, const char *url,
			  const char *payload, size_t payload_len, struct curl_slist *hdrs, struct sink *sink,
			  struct attempt *at)
{
	memset(at, 0, sizeof *at);
	at->t0 = now_ms();
	cal_buf_reset(&sink->buf);
	sink->too_large = false;
	curl_easy_reset(h);
	at->rc = setup(api, h, req, method, url, payload, payload_len, hdrs, sink, at);
}

/* Reads what the finished transfer produced (rc: its result). */
static void attempt_end(CURL *h, CURLcode rc, struct sink *sink, struct attempt *at)
{
	curl_off_t retry_after = 0;

	at->rc = rc;
	at->ms = (double)(now_ms() - at->t0);
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &at->status) != CURLE_OK)
		at->status = 0;
	at->too_large = sink->too_large || at->rc == CURLE_FILESIZE_EXCEEDED;
	/* libcurl tries every address of a name: a refusal only matters when no address worked. */
	if (at->rc == CURLE_OK)
		at->refused = false;
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		at->retry_after_s = (long)retry_after;
}

/* A failure of the provider itself (it counts for the breaker): no answer, 5xx, 429. */
static bool provider_failed(const struct attempt *at)
{
	if (at->refused || at->too_large)
		return false;
	if (at->rc != CURLE_OK)
		return true;
	return at->status >= 500 || at->status == 429;
}

/* Whether to try again: a refused connection never sent anything, so any call may repeat it; everything
 * else only when the call is idempotent. A timeout is not retried: the budget is spent. */
static bool worth_retrying(const struct attempt *at, bool idempotent)
{
	if (at->refused || at->too_large)
		return false;
	if (at->rc == CURLE_COULDNT_CONNECT || at->rc == CURLE_COULDNT_RESOLVE_HOST)
		return true;
	if (!idempotent || at->rc == CURLE_OPERATION_TIMEDOUT)
		return false;
	if (at->rc != CURLE_OK)
		return at->rc == CURLE_SEND_ERROR || at->rc == CURLE_RECV_ERROR || at->rc == CURLE_GOT_NOTHING;
	return at->status >= 500 || at->status == 429;
}

/* Jittered exponential back-off; -1 when a Retry-After asks for longer than we are willing to wait. */
static long backoff_ms(cal_api *api, int attempt, const struct attempt *at)
{
	long d = api->backoff_base_ms << (attempt < 10 ? attempt : 10);

	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	if (d > 1)
		d = d / 2 + (long)(rng_next(api) % (uint64_t)(d / 2 + 1));
	if (at->retry_after_s > 0) {
		if (at->retry_after_s * 1000 > BACKOFF_CAP_MS)
			return -1;
		if (at->retry_after_s * 1000 > d)
			d = at->retry_after_s * 1000;
	}
	return d;
}

static void log_attempt(cal_api_provider p, const char *method, const char *path, const struct attempt *at,
			int n, bool failed)
{
	char status[16], ms[32], num[16], safe[512];

	snprintf(status, sizeof status, "%ld", at->status);
	snprintf(ms, sizeof ms, "%.0f", at->ms);
	snprintf(num, sizeof num, "%d", n);
	/* Telegram file URLs carry the bot token: masked before it can reach the line. */
	cal_log_mask(path, safe, sizeof safe);
	cal_log_fields(failed ? CAL_LOG_WARN : CAL_LOG_DEBUG, "api",
		       failed ? "external call failed" : "external call",
		       "provider", names[p], "method", method, "path", safe, "status", status, "duration_ms", ms,
		       "attempt", num, "error", at->rc != CURLE_OK ? curl_easy_strerror(at->rc) : "",
		       (char *)NULL);
}

static bool json_content_type(const char *ct)
{
	return ct != NULL && strstr(ct, "json") != NULL;
}

/* Parses a JSON body; NULL unless it is exactly one JSON document (trailing whitespace allowed), nested no
 * deeper than requests may be. */
static struct json_object *parse_json(const char *body, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	struct json_object *o = NULL;
	size_t end;

	if (tok == NULL || len > INT32_MAX)
		goto out;
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
		goto fail;
	for (end = json_tokener_get_parse_end(tok); end < len && isspace((unsigned char)body[end]); end++)
		;
	if (end == len)
		goto out;
fail:
	json_object_put(o);
	o = NULL;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	return o;
}

/* Copies what the last attempt got into resp (arena strings) and decides the result. */
static cal_err finish(CURL *h, const cal_api_req *req, const struct attempt *at, struct sink *sink,
		      cal_arena *arena, cal_api_resp *resp)
{
	char *ct = NULL;
	const char *body;

	resp->status = at->status;
	if (at->refused)
		return CAL_ERR_FORBIDDEN;
	if (at->too_large || at->rc != CURLE_OK)
		return CAL_ERR_UPSTREAM;
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL) {
		resp->content_type = cal_arena_strdup(arena, ct);
		for (char *c = resp->content_type; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	resp->len = sink->buf.len;
	resp->body = cal_arena_alloc(arena, sink->buf.len + 1);
	if (sink->buf.len > 0)
		memcpy(resp->body, sink->buf.data, sink->buf.len);
	body = resp->body;
	if (!req->raw && resp->len > 0) {
		resp->json = parse_json(body, resp->len);
		/* A body that claims to be JSON and is not means the provider is broken, whatever the status. */
		if (resp->json == NULL && json_content_type(resp->content_type))
			return CAL_ERR_UPSTREAM;
	}
	return at->status >= 200 && at->status < 300 ? CAL_OK : CAL_ERR_UPSTREAM;
}

/* The full URL in the arena; NULL when the request is malformed. */
static char *request_url(const cal_api *api, const cal_api_req *req, cal_arena *arena)
{
	const char *base = base_url(api->conf, req->provider);
	size_t blen;

	if (req->path == NULL || base == NULL)
		return NULL;
	if (req->provider == CAL_API_TELEGRAM) {
		if (strncasecmp(req->path, "http://", 7) != 0 && strncasecmp(req->path, "https://", 8) != 0)
			return NULL;
		return strlen(req->path) < URL_MAX ? cal_arena_strdup(arena, req->path) : NULL;
	}
	if (req->path[0] != '/' || strlen(req->path) >= URL_MAX)
		return NULL;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	return cal_arena_printf(arena, "%.*s%s", (int)blen, base, req->path);
}

static bool valid_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	       strcmp(m, "DELETE") == 0 || strcmp(m, "PATCH") == 0 || strcmp(m, "HEAD") == 0;
}

/* ------------------------------------------------------------------------------------ response cache */

/* "api:<provider>:<key or sha256(method, path, body)>" into the arena; NULL when the key is unusable. */
static const char *cache_key(const cal_api_req *req, const char *method, const char *payload, size_t len,
			     cal_arena *arena)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *key;
	EVP_MD_CTX *c;

	if (req->cache_key != NULL) {
		key = cal_arena_printf(arena, "api:%s:%s", names[req->provider], req->cache_key);
		return strlen(key) <= CAL_CACHE_MAX_KEY ? key : NULL;
	}
	if ((c = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, method, strlen(method) + 1) != 1 ||
	    EVP_DigestUpdate(c, req->path, strlen(req->path) + 1) != 1 ||
	    (len > 0 && EVP_DigestUpdate(c, payload, len) != 1) || EVP_DigestFinal_ex(c, md, &mdlen) != 1) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	EVP_MD_CTX_free(c);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return cal_arena_printf(arena, "api:%s:%s", names[req->provider], hex);
}

static bool cache_lookup(cal_api *api, const char *key, cal_arena *arena, cal_api_resp *resp)
{
	struct json_object *doc = cal_cache_get_json(api->shm, arena, key, 0, &resp->body, &resp->len);

	if (doc == NULL)
		return false;
	resp->status = 200;
	resp->content_type = cal_arena_strdup(arena, "application/json");
	resp->json = doc;
	resp->cached = true;
	return true;
}

/*
 * One call, whichever way its transfers run (cal_api_request() blocks on curl_easy_perform; the multi
 * interface below drives many at once): what to send, the attempts made so far and the last one's result.
 */
struct call {
	cal_api_req req;          /* copy of the caller's request; its strings live in the caller's arena */
	const char *method;
	char *url;
	const char *payload;
	size_t payload_len;
	struct curl_slist *hdrs;
	const char *ckey;         /* response cache key, NULL when not cached */
	bool idem;
	int n;                    /* attempts made */
	long long t0;
	struct sink sink;
	struct attempt at;
};

/*
 * Checks and prepares a call. CAL_OK with *ready: send it. Otherwise the call is over before any transfer
 * (*ready false): the result is returned and resp holds it (a cache hit is CAL_OK).
 */
static cal_err call_prepare(cal_api *api, struct call *c, const cal_api_req *req, cal_arena *arena,
			    bool copy_payload, cal_api_resp *resp, bool *ready)
{
	*ready = false;
	memset(resp, 0, sizeof *resp);
	c->req = *req;
	c->method = req->method != NULL ? req->method : "GET";
	c->sink.max = req->max_bytes > 0 ? req->max_bytes : CAL_API_MAX_BYTES;
	c->t0 = now_ms();
	cal_buf_init(&c->sink.buf);
	if ((int)req->provider < 0 || req->provider >= CAL_API__MAX || !valid_method(c->method) ||
	    (c->url = request_url(api, req, arena)) == NULL)
		return CAL_ERR_VALIDATION;
	if (!cal_api_configured(api, req->provider)) {
		cal_debug("api", "%s is not configured; call skipped", names[req->provider]);
		return CAL_ERR_UNAVAILABLE;
	}
	if ((c->hdrs = build_headers(api, req)) == NULL)
		return CAL_ERR_VALIDATION;
	if (req->json != NULL) {
		c->payload = json_object_to_json_string_ext(req->json,
							    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		c->payload_len = strlen(c->payload);
		/* A call that outlives this function must not point into the caller's JSON object. */
		if (copy_payload)
			c->payload = cal_arena_strndup(arena, c->payload, c->payload_len);
	} else {
		c->payload = req->body;
		c->payload_len = req->body_len;
	}
	if (req->cache_ttl_s > 0 && !req->raw) {
		c->ckey = cache_key(req, c->method, c->payload, c->payload_len, arena);
		if (c->ckey != NULL && cache_lookup(api, c->ckey, arena, resp))
			return CAL_OK;
	}
	c->idem = is_idempotent(req, c->method);
	*ready = true;
	return CAL_OK;
}

/* Before each attempt: false when the breaker says no (first attempt: *e = CAL_ERR_UNAVAILABLE). */
static bool call_may_send(cal_api *api, const struct call *c, cal_err *e)
{
	if (breaker_allows(api, &api->p[c->req.provider]))
		return true;
	cal_debug("api", "%s skipped: circuit open", names[c->req.provider]);
	if (c->n == 0)
		*e = CAL_ERR_UNAVAILABLE;
	return false;
}

/* After an attempt: breaker, metrics, log. Returns the back-off before the next attempt, or -1 when the
 * call is over. */
static long call_after_attempt(cal_api *api, struct call *c)
{
	const struct attempt *at = &c->at;
	bool failed = provider_failed(at);
	long wait;

	c->n++;
	if (!at->refused)
		breaker_record(api, c->req.provider, failed);
	if (api->shm != NULL && !at->refused)
		cal_metrics_api(api->shm, names[c->req.provider],
				at->rc == CURLE_OK && !at->too_large && at->status >= 200 && at->status < 400, at->ms);
	log_attempt(c->req.provider, c->method, c->req.path, at, c->n,
		    failed || at->refused || at->too_large || at->status >= 400);
	if (c->n > api->conf->http_client_retries || !worth_retrying(at, c->idem) ||
	    (wait = backoff_ms(api, c->n - 1, at)) < 0)
		return -1;
	return wait;
}

/* The result of the last attempt into resp; a good JSON answer goes to the response cache. */
static cal_err call_finish(cal_api *api, struct call *c, CURL *h, cal_arena *arena, cal_api_resp *resp)
{
	cal_err e = finish(h, &c->req, &c->at, &c->sink, arena, resp);

	resp->attempts = c->n;
	if (e == CAL_OK && c->ckey != NULL && resp->json != NULL)
		cal_cache_set_text(api->shm, c->ckey, resp->body, resp->len, c->req.cache_ttl_s);
	return e;
}

static void call_release(struct call *c)
{
	curl_slist_free_all(c->hdrs);
	c->hdrs = NULL;
	cal_buf_free(&c->sink.buf);
}

cal_err cal_api_request(cal_api *api, const cal_api_req *req, cal_arena *arena, cal_api_resp *resp)
{
	struct call c;
	bool ready = false;
	long wait;
	CURL *h = NULL;
	cal_err e;

	memset(&c, 0, sizeof c);
	e = call_prepare(api, &c, req, arena, false, resp, &ready);
	if (!ready)
		goto out;
	if ((h = handle(api, req->provider)) == NULL) {
		cal_error("api", "no libcurl handle for %s", names[req->provider]);
		e = CAL_ERR_UNAVAILABLE;
		goto out;
	}
	for (;;) {
		if (!call_may_send(api, &c, &e)) {
			if (c.n == 0)
				goto out;
			break; /* the breaker opened during our retries: report the last answer */
		}
		attempt_begin(api, h, &c.req, c.method, c.url, c.payload, c.payload_len, c.hdrs, &c.sink, &c.at);
		attempt_end(h, c.at.rc == CURLE_OK ? curl_easy_perform(h) : c.at.rc, &c.sink, &c.at);
		if ((wait = call_after_attempt(api, &c)) < 0)
			break;
		sleep_ms(wait);
	}
	e = call_finish(api, &c, h, arena, resp);
out:
	resp->ms = (double)(now_ms() - c.t0);
	call_release(&c);
	return e;
}

/* ------------------------------------------------------------------------------- multi interface */

/* A call on the multi handle: in flight, waiting for its back-off, or finished and not yet collected. */
struct mcall {
	struct call c;
	cal_arena *arena;
	void *tag;
	CURL *h;                  /* while a transfer runs or between attempts */
	long long not_before;     /* waiting: monotonic ms of the next attempt */
	cal_err e;
	cal_api_resp resp;
	struct mcall *next;
};

#define MULTI_SPARE 64 /* easy handles kept for reuse */

struct cal_api_multi {
	cal_api *api;
	CURLM *m;
	struct mcall *active;     /* transfers on the multi handle */
	struct mcall *waiting;    /* back-off before a retry */
	struct mcall *done, **done_tail;
	int running;              /* transfers on the multi handle */
	int calls;                /* every call not yet collected */
	CURL *spare[MULTI_SPARE];
	int nspare;
};

cal_api_multi *cal_api_multi_new(cal_api *api)
{
	cal_api_multi *mu = cal_calloc(1, sizeof *mu);

	mu->api = api;
	mu->done_tail = &mu->done;
	if (api->curl_global)
		mu->m = curl_multi_init();
	if (mu->m == NULL)
		cal_error("api", "libcurl multi handle unavailable; background calls will fail");
	return mu;
}

static void mcall_free(cal_api_multi *mu, struct mcall *mc)
{
	if (mc->h != NULL) {
		if (mu->nspare < MULTI_SPARE)
			mu->spare[mu->nspare++] = mc->h;
		else
			curl_easy_cleanup(mc->h);
	}
	call_release(&mc->c);
	json_object_put(mc->resp.json);
	free(mc);
}

void cal_api_multi_free(cal_api_multi *mu)
{
	struct mcall *mc, *next;

	if (mu == NULL)
		return;
	/* Transfers still running are abandoned. */
	for (mc = mu->waiting; mc != NULL; mc = next) {
		next = mc->next;
		mcall_free(mu, mc);
	}
	for (mc = mu->done; mc != NULL; mc = next) {
		next = mc->next;
		mcall_free(mu, mc);
	}
	for (mc = mu->active; mc != NULL; mc = next) {
		next = mc->next;
		curl_multi_remove_handle(mu->m, mc->h);
		mcall_free(mu, mc);
	}
	if (mu->m != NULL)
		curl_multi_cleanup(mu->m);
	for (int i = 0; i < mu->nspare; i++)
		curl_easy_cleanup(mu->spare[i]);
	free(mu);
}

static void mcall_done(cal_api_multi *mu, struct mcall *mc, cal_err e)
{
	mc->e = e;
	mc->resp.ms = (double)(now_ms() - mc->c.t0);
	mc->next = NULL;
	*mu->done_tail = mc;
	mu->done_tail = &mc->next;
}

/* Starts the next attempt of mc, or finishes it when the breaker says no. */
static void mcall_start(cal_api_multi *mu, struct mcall *mc)
{
	struct call *c = &mc->c;
	cal_err e = CAL_ERR_UNAVAILABLE;
	CURLMcode mrc;

	if (!call_may_send(mu->api, c, &e)) {
		mcall_done(mu, mc, c->n == 0 ? e : call_finish(mu->api, c, mc->h, mc->arena, &mc->resp));
		return;
	}
	if (mc->h == NULL)
		mc->h = mu->nspare > 0 ? mu->spare[--mu->nspare] : curl_easy_init();
	if (mc->h == NULL || mu->m == NULL) {
		mcall_done(mu, mc, CAL_ERR_UNAVAILABLE);
		return;
	}
	attempt_begin(mu->api, mc->h, &c->req, c->method, c->url, c->payload, c->payload_len, c->hdrs, &c->sink,
		      &c->at);
	if (c->at.rc == CURLE_OK)
		curl_easy_setopt(mc->h, CURLOPT_PRIVATE, (char *)mc);
	if (c->at.rc != CURLE_OK || (mrc = curl_multi_add_handle(mu->m, mc->h)) != CURLM_OK) {
		attempt_end(mc->h, c->at.rc != CURLE_OK ? c->at.rc : CURLE_FAILED_INIT, &c->sink, &c->at);
		(void)call_after_attempt(mu->api, c);
		mcall_done(mu, mc, call_finish(mu->api, c, mc->h, mc->arena, &mc->resp));
		return;
	}
	mu->running++;
	mc->next = mu->active;
	mu->active = mc;
}

void cal_api_multi_add(cal_api_multi *mu, const cal_api_req *req, cal_arena *arena, void *tag)
{
	struct mcall *mc = cal_calloc(1, sizeof *mc);
	bool ready = false;
	cal_err e;

	mc->arena = arena;
	mc->tag = tag;
	mu->calls++;
	e = call_prepare(mu->api, &mc->c, req, arena, true, &mc->resp, &ready);
	if (!ready)
		mcall_done(mu, mc, e);
	else
		mcall_start(mu, mc);
}

int cal_api_multi_pending(const cal_api_multi *mu)
{
	return mu->calls;
}

/* Transfers that finished: judged, then retried later, or done. */
static void collect(cal_api_multi *mu)
{
	CURLMsg *msg;
	int left;
	long wait;

	while ((msg = curl_multi_info_read(mu->m, &left)) != NULL) {
		struct mcall *mc = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *h = msg->easy_handle;
		CURLcode rc = msg->data.result;
		curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&mc);
		curl_multi_remove_handle(mu->m, h);
		mu->running--;
		if (mc == NULL)
			continue;
		for (struct mcall **pp = &mu->active; *pp != NULL; pp = &(*pp)->next)
			if (*pp == mc) {
				*pp = mc->next;
				break;
			}
		attempt_end(h, rc, &mc->c.sink, &mc->c.at);
		if ((wait = call_after_attempt(mu->api, &mc->c)) >= 0) {
			mc->not_before = now_ms() + wait;
			mc->next = mu->waiting;
			mu->waiting = mc;
			continue;
		}
		mcall_done(mu, mc, call_finish(mu->api, &mc->c, h, mc->arena, &mc->resp));
	}
}

/* Retries whose back-off is over go out again; returns ms until the next one (-1 when none waits). */
static long restart_waiting(cal_api_multi *mu)
{
	long long now = now_ms(), next = -1;
	struct mcall **pp = &mu->waiting, *mc;

	while ((mc = *pp) != NULL) {
		if (mc->not_before <= now) {
			*pp = mc->next;
			mcall_start(mu, mc);
			continue;
		}
		if (next < 0 || mc->not_before - now < next)
			next = mc->not_before - now;
		pp = &mc->next;
	}
	return (long)next;
}

void cal_api_multi_wait(cal_api_multi *mu, int timeout_ms)
{
	int still = 0;
	long next;

	if (mu->m == NULL) {
		sleep_ms(timeout_ms > 0 ? timeout_ms : 1); /* nothing can run; do not spin */
		return;
	}
	next = restart_waiting(mu);
	if (mu->done != NULL)
		timeout_ms = 0;
	if (next >= 0 && next < timeout_ms)
		timeout_ms = (int)next;
	if (mu->running > 0 || timeout_ms > 0)
		curl_multi_poll(mu->m, NULL, 0, timeout_ms > 0 ? timeout_ms : 0, NULL);
	curl_multi_perform(mu->m, &still);
	collect(mu);
	(void)restart_waiting(mu);
}

void cal_api_multi_wakeup(cal_api_multi *mu)
{
	if (mu->m != NULL)
		curl_multi_wakeup(mu->m);
}

bool cal_api_multi_next(cal_api_multi *mu, void **tag, cal_err *e, cal_api_resp *resp)
{
	struct mcall *mc = mu->done;

	if (mc == NULL)
		return false;
	mu->done = mc->next;
	if (mu->done == NULL)
		mu->done_tail = &mu->done;
	mu->calls--;
	*tag = mc->tag;
	*e = mc->e;
	*resp = mc->resp;
	mc->resp.json = NULL; /* now the caller's */
	mcall_free(mu, mc);
	return true;
}

cal_err cal_api_json(cal_api *api, cal_api_provider provider, const char *path, struct json_object *body,
		     cal_arena *arena, cal_api_resp *resp)
{
	cal_api_req req = {.provider = provider, .method = body != NULL ? "POST" : "GET", .path = path,
			   .json = body};

	return cal_api_request(api, &req, arena, resp);
}

/* ------------------------------------------------------------------------------------------ ManyChat */

/* ManyChat's ids are integers; ours may also be test or legacy strings, which go out unchanged. */
static struct json_object *subscriber_json(const char *id)
{
	char *end = NULL;
	long long v;

	if (id[0] >= '0' && id[0] <= '9' && strlen(id) <= 18) {
		errno = 0;
		v = strtoll(id, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_object_new_int64(v);
	}
	return json_object_new_string(id);
}

struct json_object *cal_api_manychat_body(const char *subscriber_id, struct json_object *content)
{
	struct json_object *body = json_object_new_object(), *data = json_object_new_object();

	json_object_object_add(data, "version", json_object_new_string("v2"));
	json_object_object_add(data, "content", json_object_get(content));
	json_object_object_add(body, "subscriber_id", subscriber_json(subscriber_id));
	json_object_object_add(body, "data", data);
	json_object_object_add(body, "message_tag", json_object_new_string("ACCOUNT_UPDATE"));
	return body;
}

bool cal_api_manychat_accepted(const cal_api_resp *resp)
{
	struct json_object *st;

	/* ManyChat answers 200 with {"status": "error", …} for a blocked or unknown subscriber. */
	return resp->status == 200 && resp->json != NULL && json_object_object_get_ex(resp->json, "status", &st) &&
	       json_object_is_type(st, json_type_string) && strcmp(json_object_get_string(st), "success") == 0;
}

cal_err cal_api_manychat_send(cal_api *api, const char *subscriber_id, struct json_object *content,
			      cal_arena *arena)
{
	struct json_object *body = NULL;
	cal_api_req req = {.provider = CAL_API_MANYCHAT, .method = "POST", .path = "/fb/sending/sendContent"};
	cal_api_resp resp;
	cal_err e = CAL_ERR_VALIDATION;

	memset(&resp, 0, sizeof resp);
	if (subscriber_id == NULL || subscriber_id[0] == '\0' || content == NULL)
		goto out;
	e = CAL_ERR_UNAVAILABLE;
	if (!cal_api_configured(api, CAL_API_MANYCHAT))
		goto out;
	body = cal_api_manychat_body(subscriber_id, content);
	req.json = body;
	e = cal_api_request(api, &req, arena, &resp);
	if (e != CAL_OK)
		goto out;
	if (!cal_api_manychat_accepted(&resp)) {
		cal_warn("api", "manychat sendContent was not accepted (HTTP %ld)", resp.status);
		e = CAL_ERR_UPSTREAM;
	}
out:
	json_object_put(resp.json);
	json_object_put(body);
	return e;
}

cal_err cal_api_manychat_send_text(cal_api *api, const char *subscriber_id, const char *text, cal_arena *arena)
{
	struct json_object *content, *messages, *msg;
	const char *channel = api->conf->manychat_channel;
	cal_err e;

	if (text == NULL || text[0] == '\0')
		return CAL_ERR_VALIDATION;
	content = json_object_new_object();
	messages = json_object_new_array();
	msg = json_object_new_object();
	if (content == NULL || messages == NULL || msg == NULL) {
		json_object_put(content);
		json_object_put(messages);
		json_object_put(msg);
		return CAL_ERR_INTERNAL;
	}
	/* Same rule as the synchronous replies (SPEC §5.4): the channel names the block, facebook omits it. */
	if (channel != NULL && channel[0] != '\0' && strcmp(channel, "facebook") != 0)
		json_object_object_add(content, "type", json_object_new_string(channel));
	json_object_object_add(msg, "type", json_object_new_string("text"));
	json_object_object_add(msg, "text", json_object_new_string(text));
	json_object_array_add(messages, msg);
	json_object_object_add(content, "messages", messages);
	e = cal_api_manychat_send(api, subscriber_id, content, arena);
	json_object_put(content);
	return e;
}
