/*
 * Unit tests of src/apiclient.c against a tiny HTTP/1.1 server on loopback that runs in a thread of the test
 * process: it records every request (method, path, headers, body, connection number) and answers from a
 * script the test sets (status, content type, body, extra header, delay, or closing without an answer).
 * Covered: URL building, credentials in headers only, JSON parsing, retries and what is never retried,
 * back-off, the size cap, timeouts, the circuit breaker and its health states, keep-alive, metrics, the
 * SSRF rule for media, ManyChat sendContent's body and success rule, and masking in the log.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "caloria/apiclient.h"
#include "caloria/conf.h"
#include "caloria/log.h"
#include "caloria/metrics.h"
#include "caloria/shm.h"
#include "shm_fixture.h"

#define MAX_SCRIPT 16
#define MAX_SEEN 64

struct answer {
	int status;
	const char *ctype;
	const char *body; /* NULL = "{}" */
	size_t body_len;  /* 0 = strlen(body) */
	const char *header;
	int delay_ms;
	int hangup;       /* close without answering */
};

struct seen {
	char method[8];
	char path[512];
	char headers[4096];
	char *body;
	int conn;
};

static struct {
	pthread_mutex_t lock;
	int fd;
	int port;
	pthread_t thread;
	struct answer script[MAX_SCRIPT];
	int nscript, next;
	struct seen seen[MAX_SEEN];
	int nseen;
	int conns;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static cal_conf conf;
static cal_api *api;
static cal_arena arena;

static void say(struct answer a)
{
	pthread_mutex_lock(&srv.lock);
	cr_assert_lt(srv.nscript, MAX_SCRIPT);
	srv.script[srv.nscript++] = a;
	pthread_mutex_unlock(&srv.lock);
}

static int nseen(void)
{
	pthread_mutex_lock(&srv.lock);
	int n = srv.nseen;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

static int read_request(int fd, struct seen *s)
{
	char buf[16384];
	size_t len = 0, need;
	char *end, *cl;
	ssize_t r;

	for (;;) {
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len >= sizeof buf - 1 || (r = read(fd, buf + len, sizeof buf - 1 - len)) <= 0)
			return -1;
		len += (size_t)r;
	}
	*end = '\0';
	sscanf(buf, "%7s %511s", s->method, s->path);
	snprintf(s->headers, sizeof s->headers, "%.4000s", buf);
	cl = strcasestr(buf, "\r\ncontent-length:");
	need = cl != NULL ? strtoul(cl + 17, NULL, 10) : 0;
	s->body = calloc(1, need + 1);
	size_t have = len - (size_t)(end + 4 - buf);
	if (have > need)
		have = need;
	memcpy(s->body, end + 4, have);
	while (have < need) {
		if ((r = read(fd, s->body + have, need - have)) <= 0)
			return -1;
		have += (size_t)r;
	}
	return 0;
}

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg, conn;
	struct seen s;
	struct answer a;
	char head[1024];

	pthread_mutex_lock(&srv.lock);
	conn = ++srv.conns;
	pthread_mutex_unlock(&srv.lock);
	for (;;) {
		memset(&s, 0, sizeof s);
		if (read_request(fd, &s) != 0) {
			free(s.body);
			break;
		}
		s.conn = conn;
		pthread_mutex_lock(&srv.lock);
		if (srv.nseen < MAX_SEEN)
			srv.seen[srv.nseen++] = s;
		else
			free(s.body);
		a = srv.next < srv.nscript ? srv.script[srv.next++] : (struct answer){.status = 200};
		pthread_mutex_unlock(&srv.lock);
		if (a.delay_ms > 0)
			usleep((useconds_t)a.delay_ms * 1000);
		if (a.hangup)
			break;
		const char *body = a.body != NULL ? a.body : "{}";
		size_t blen = a.body_len > 0 ? a.body_len : strlen(body);
		int n = snprintf(head, sizeof head,
				 "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", a.status,
				 a.ctype != NULL ? a.ctype : "application/json", blen, a.header ? a.header : "",
				 a.header ? "\r\n" : "");
		if (write(fd, head, (size_t)n) != n || write(fd, body, blen) != (ssize_t)blen)
			break;
	}
	close(fd);
	return NULL;
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(srv.fd, NULL, NULL);
		pthread_t t;
		if (c < 0)
			return NULL;
		if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)c) != 0) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
}

static void server_start(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;

	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(srv.fd, 0);
	cr_assert_eq(bind(srv.fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(srv.fd, 16), 0);
	cr_assert_eq(getsockname(srv.fd, (struct sockaddr *)&sa, &sl), 0);
	srv.port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

/* Loads a config whose every provider points at the test server; env is one CALORIA_<SECTION>_<KEY>=value
 * override or NULL. */
static void load_conf(const char *override)
{
	char text[4096], var[256];
	char *env[] = {var, NULL};
	cal_conf_issues issues = {0};

	snprintf(text, sizeof text,
		 "[manychat]\napi_base = http://127.0.0.1:%d/manychat/\napi_token = mc-secret-token-1\n"
		 "webhook_token = wh\nchannel = telegram\n"
		 "[mercadopago]\napi_base = http://127.0.0.1:%d/mp\naccess_token = mp-secret-token-2\n"
		 "[spoonacular]\napi_base = http://127.0.0.1:%d/spoon\napi_key = spoon-secret-3\n"
		 "[gemini]\napi_base = http://127.0.0.1:%d/gemini\napi_key = gem-secret-4\n"
		 "[google]\nspeech_api_base = http://127.0.0.1:%d/speech\n"
		 "vision_api_base = http://127.0.0.1:%d/vision\napi_key =\n"
		 "[http_client]\nconnect_timeout_ms = 1000\ntimeout_ms = 3000\nretries = 2\n",
		 srv.port, srv.port, srv.port, srv.port, srv.port, srv.port);
	snprintf(var, sizeof var, "%s", override != NULL ? override : "CALORIA_UNUSED=1");
	cr_assert_eq(cal_conf_load_string(&conf, text, "test.conf", env, &issues), CAL_OK);
	cr_assert_eq(issues.count, 0);
	cal_conf_issues_free(&issues);
}

static void setup(void)
{
	server_start();
	load_conf(NULL);
	api = cal_api_new(&conf, NULL);
	cal_api_set_backoff(api, 5);
	cal_arena_init(&arena, 8192);
}

static void teardown(void)
{
	cal_api_free(api);
	cal_conf_free(&conf);
	cal_arena_free(&arena);
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	pthread_join(srv.thread, NULL);
	for (int i = 0; i < srv.nseen; i++)
		free(srv.seen[i].body);
}

/* A fresh client over a changed configuration (same server). */
static void reconfigure(const char *override)
{
	cal_api_free(api);
	api = NULL;
	cal_conf_free(&conf);
	load_conf(override);
	api = cal_api_new(&conf, NULL);
	cal_api_set_backoff(api, 5);
}

TestSuite(apiclient, .init = setup, .fini = teardown, .timeout = 30);

Test(apiclient, get_json_builds_url_and_adds_bearer)
{
	cal_api_resp r;

	say((struct answer){.status = 200, .body = "{\"id\": 7, \"status\": \"approved\"}"});
	cr_assert_eq(cal_api_json(api, CAL_API_MERCADOPAGO, "/v1/payments/7", NULL, &arena, &r), CAL_OK);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.attempts, 1);
	cr_assert_not_null(r.json);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(r.json, "status")), "approved");
	cr_assert_str_eq(r.content_type, "application/json");
	json_object_put(r.json);
	cr_assert_eq(nseen(), 1);
	cr_assert_str_eq(srv.seen[0].method, "GET");
	cr_assert_str_eq(srv.seen[0].path, "/mp/v1/payments/7");
	cr_assert_not_null(strstr(srv.seen[0].headers, "Authorization: Bearer mp-secret-token-2"));
	cr_assert_not_null(strstr(srv.seen[0].headers, "Accept: application/json"));
}

Test(apiclient, trailing_slash_of_base_is_not_doubled)
{
	cal_api_resp r;

	cr_assert_eq(cal_api_json(api, CAL_API_MANYCHAT, "/fb/page/getInfo", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cr_assert_str_eq(srv.seen[0].path, "/manychat/fb/page/getInfo");
}

Test(apiclient, api_keys_travel_in_headers_never_in_urls)
{
	cal_api_resp r;

	cr_assert_eq(cal_api_json(api, CAL_API_SPOONACULAR, "/recipes/parseIngredients", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/v1beta/models/x:generateContent", NULL, &arena, &r),
		     CAL_OK);
	json_object_put(r.json);
	cr_assert_eq(nseen(), 2);
	cr_assert_not_null(strstr(srv.seen[0].headers, "x-api-key: spoon-secret-3"));
	cr_assert_not_null(strstr(srv.seen[1].headers, "x-goog-api-key: gem-secret-4"));
	cr_assert_null(strstr(srv.seen[0].path, "secret"));
	cr_assert_null(strstr(srv.seen[1].path, "secret"));
}

Test(apiclient, unconfigured_provider_sends_nothing)
{
	cal_api_resp r;

	/* google.api_key is empty in the test config */
	cr_assert_eq(cal_api_json(api, CAL_API_GOOGLE_SPEECH, "/v1/speech:recognize", NULL, &arena, &r),
		     CAL_ERR_UNAVAILABLE);
	cr_assert_eq(r.attempts, 0);
	cr_assert_null(r.json);
	cr_assert_eq(nseen(), 0);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GOOGLE_SPEECH), "not_configured");
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "healthy");
	cr_assert(!cal_api_configured(api, CAL_API_GOOGLE_VISION));
	cr_assert(cal_api_configured(api, CAL_API_MANYCHAT));
}

Test(apiclient, post_sends_json_body)
{
	struct json_object *body = json_tokener_parse("{\"a\": [1, 2], \"url\": \"http://x/y\"}");
	cal_api_resp r;

	say((struct answer){.status = 201, .body = "{\"id\": \"p1\"}"});
	cr_assert_eq(cal_api_json(api, CAL_API_MERCADOPAGO, "/preapproval", body, &arena, &r), CAL_OK);
	cr_assert_eq(r.status, 201);
	json_object_put(r.json);
	json_object_put(body);
	cr_assert_str_eq(srv.seen[0].method, "POST");
	cr_assert_str_eq(srv.seen[0].body, "{\"a\":[1,2],\"url\":\"http://x/y\"}");
	cr_assert_not_null(strstr(srv.seen[0].headers, "Content-Type: application/json"));
}

Test(apiclient, get_is_retried_on_5xx_then_succeeds)
{
	cal_api_resp r;

	say((struct answer){.status = 503});
	say((struct answer){.status = 502});
	say((struct answer){.status = 200, .body = "{\"ok\": true}"});
	cr_assert_eq(cal_api_json(api, CAL_API_MERCADOPAGO, "/preapproval/9", NULL, &arena, &r), CAL_OK);
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(nseen(), 3);
	json_object_put(r.json);
}

Test(apiclient, retries_stop_at_http_client_retries)
{
	cal_api_resp r;

	for (int i = 0; i < 5; i++)
		say((struct answer){.status = 500});
	cr_assert_eq(cal_api_json(api, CAL_API_MERCADOPAGO, "/preapproval/9", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.status, 500);
	cr_assert_eq(r.attempts, 3, "1 try + retries = 2");
	cr_assert_eq(nseen(), 3);
	json_object_put(r.json);
}

Test(apiclient, plain_post_is_never_repeated_after_an_answer)
{
	struct json_object *body = json_object_new_object();
	cal_api_resp r;

	say((struct answer){.status = 503});
	say((struct answer){.status = 200});
	cr_assert_eq(cal_api_json(api, CAL_API_MERCADOPAGO, "/preapproval", body, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.status, 503);
	cr_assert_eq(nseen(), 1);
	json_object_put(r.json);
	json_object_put(body);
}

Test(apiclient, idempotent_post_and_429_are_retried)
{
	struct json_object *body = json_object_new_object();
	cal_api_req req = {.provider = CAL_API_GEMINI, .method = "POST", .path = "/gen", .json = body,
			   .idempotent = true};
	cal_api_resp r;

	say((struct answer){.status = 429, .header = "Retry-After: 0"});
	say((struct answer){.status = 200, .body = "{\"n\": 1}"});
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_eq(r.attempts, 2);
	cr_assert_eq(nseen(), 2);
	json_object_put(r.json);
	json_object_put(body);
}

Test(apiclient, long_retry_after_ends_the_retries)
{
	cal_api_resp r;

	say((struct answer){.status = 429, .header = "Retry-After: 120"});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/models", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.status, 429);
	cr_assert_eq(r.attempts, 1);
	cr_assert_lt(r.ms, 1000.0);
	json_object_put(r.json);
}

Test(apiclient, client_errors_are_not_retried)
{
	cal_api_resp r;

	say((struct answer){.status = 404, .body = "{\"message\": \"not found\"}"});
	cr_assert_eq(cal_api_json(api, CAL_API_MERCADOPAGO, "/v1/payments/1", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.status, 404);
	cr_assert_eq(nseen(), 1);
	cr_assert_not_null(r.json, "the error body is still parsed for the caller");
	json_object_put(r.json);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_MERCADOPAGO), "healthy",
			 "a 404 is an answer, not a provider failure");
}

Test(apiclient, response_over_the_cap_is_refused)
{
	static char big[5000];
	cal_api_req req = {.provider = CAL_API_GEMINI, .path = "/big", .max_bytes = 1000};
	cal_api_resp r;

	memset(big, 'a', sizeof big - 1);
	say((struct answer){.status = 200, .ctype = "text/plain", .body = big});
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_null(r.body);
	cr_assert_eq(nseen(), 1, "a cap hit is not retried");
	say((struct answer){.status = 200, .ctype = "text/plain", .body = big, .body_len = 999});
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_eq(r.len, 999);
	cr_assert_null(r.json);
}

Test(apiclient, broken_json_with_json_type_is_an_upstream_error)
{
	cal_api_resp r;

	say((struct answer){.status = 200, .body = "{\"a\": "});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_null(r.json);
	say((struct answer){.status = 200, .body = "[1] trailing"});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	say((struct answer){.status = 200, .body = "[1]  \n"});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_OK);
	cr_assert(json_object_is_type(r.json, json_type_array));
	json_object_put(r.json);
}

Test(apiclient, timeout_is_not_retried)
{
	cal_api_req req = {.provider = CAL_API_GEMINI, .path = "/slow", .timeout_ms = 300};
	cal_api_resp r;

	say((struct answer){.status = 200, .delay_ms = 1500});
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.attempts, 1);
	cr_assert_lt(r.ms, 1200.0);
}

Test(apiclient, hangup_is_retried_for_get)
{
	cal_api_resp r;

	say((struct answer){.hangup = 1});
	say((struct answer){.status = 200, .body = "{}"});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_OK);
	cr_assert_eq(r.attempts, 2);
	json_object_put(r.json);
}

Test(apiclient, refused_connection_is_retried_even_for_post)
{
	struct json_object *body = json_object_new_object();
	cal_api_resp r;
	int port;

	/* A port nobody listens on: bind, read it, close. */
	{
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof sa;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
		cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
		port = ntohs(sa.sin_port);
		close(fd);
	}
	char extra[128];
	snprintf(extra, sizeof extra, "CALORIA_GEMINI_API_BASE=http://127.0.0.1:%d", port);
	reconfigure(extra);
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", body, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.attempts, 3, "nothing was sent, so even a POST may try again");
	json_object_put(body);
}

Test(apiclient, breaker_opens_skips_then_half_opens)
{
	cal_api_resp r;

	reconfigure("CALORIA_HTTP_CLIENT_RETRIES=0");
	cal_api_set_breaker(api, 3, 300);
	for (int i = 0; i < 3; i++) {
		say((struct answer){.status = 500});
		cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UPSTREAM);
		json_object_put(r.json);
		if (i < 2)
			cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "degraded");
	}
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "unhealthy");
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(r.attempts, 0);
	cr_assert_eq(nseen(), 3, "an open breaker sends nothing");
	/* other providers are unaffected */
	cr_assert_eq(cal_api_json(api, CAL_API_SPOONACULAR, "/y", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	usleep(400 * 1000);
	/* half-open: one trial; its failure re-opens at once */
	say((struct answer){.status = 500});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	json_object_put(r.json);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "unhealthy");
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UNAVAILABLE);
	usleep(400 * 1000);
	/* a successful trial closes it */
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "degraded",
			 "4 of the last 6 calls failed");
	for (int i = 0; i < 14; i++) {
		cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_OK);
		json_object_put(r.json);
	}
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "healthy", "4 of the last 20 failed");
}

Test(apiclient, breaker_opening_mid_retries_reports_the_last_answer)
{
	cal_api_resp r;

	cal_api_set_breaker(api, 2, 10000);
	for (int i = 0; i < 3; i++)
		say((struct answer){.status = 500, .body = "{\"e\": 1}"});
	cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_ERR_UPSTREAM);
	cr_assert_eq(r.attempts, 2, "the third try is not made once the breaker is open");
	cr_assert_eq(r.status, 500);
	cr_assert_not_null(r.json);
	json_object_put(r.json);
	cr_assert_eq(nseen(), 2);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_GEMINI), "unhealthy");
}

Test(apiclient, connections_are_kept_alive_per_provider)
{
	cal_api_resp r;

	for (int i = 0; i < 4; i++) {
		cr_assert_eq(cal_api_json(api, CAL_API_GEMINI, "/x", NULL, &arena, &r), CAL_OK);
		json_object_put(r.json);
	}
	cr_assert_eq(cal_api_json(api, CAL_API_SPOONACULAR, "/y", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cr_assert_eq(nseen(), 5);
	for (int i = 1; i < 4; i++)
		cr_assert_eq(srv.seen[i].conn, srv.seen[0].conn, "request %d reused the connection", i);
	cr_assert_neq(srv.seen[4].conn, srv.seen[0].conn, "each provider has its own handle");
}

Test(apiclient, malformed_requests_are_refused)
{
	cal_api_req req = {.provider = CAL_API_GEMINI, .path = "no-slash"};
	cal_api_resp r;

	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_VALIDATION);
	req.path = NULL;
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_VALIDATION);
	req = (cal_api_req){.provider = CAL_API__MAX, .path = "/x"};
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_VALIDATION);
	req = (cal_api_req){.provider = CAL_API_TELEGRAM, .path = "file:///etc/passwd"};
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_VALIDATION);
	req = (cal_api_req){.provider = CAL_API_GEMINI, .path = "/x", .method = "TRACE"};
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_VALIDATION);
	const char *many[CAL_API_MAX_HEADERS + 2];
	for (int i = 0; i < CAL_API_MAX_HEADERS + 1; i++)
		many[i] = "X-A: b";
	many[CAL_API_MAX_HEADERS + 1] = NULL;
	req = (cal_api_req){.provider = CAL_API_GEMINI, .path = "/x", .headers = many};
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_VALIDATION);
	cr_assert_eq(nseen(), 0);
}

Test(apiclient, media_to_private_address_is_refused_by_default)
{
	char url[128];
	cal_api_req req = {.provider = CAL_API_TELEGRAM, .path = url, .raw = true};
	cal_api_resp r;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/media/a.jpg", srv.port);
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_FORBIDDEN);
	cr_assert_eq(nseen(), 0);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_TELEGRAM), "healthy",
			 "a refused URL is the user's, not the provider's failure");
	snprintf(url, sizeof url, "http://[::ffff:127.0.0.1]:%d/media/a.jpg", srv.port);
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_ERR_FORBIDDEN);
	cr_assert_eq(nseen(), 0);
}

Test(apiclient, media_download_when_private_hosts_are_allowed)
{
	static const char jpeg[] = "\xff\xd8\xff\xe0\0\0binary";
	char url[128];
	cal_api_req req = {.provider = CAL_API_TELEGRAM, .path = url, .raw = true};
	cal_api_resp r;

	reconfigure("CALORIA_MEDIA_ALLOW_PRIVATE_HOSTS=true");
	snprintf(url, sizeof url, "http://127.0.0.1:%d/media/a.jpg", srv.port);
	say((struct answer){.status = 200, .ctype = "image/JPEG", .body = jpeg, .body_len = sizeof jpeg - 1});
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_eq(r.len, sizeof jpeg - 1);
	cr_assert_eq(memcmp(r.body, jpeg, r.len), 0);
	cr_assert_str_eq(r.content_type, "image/jpeg");
	cr_assert_null(r.json);
	cr_assert_null(strstr(srv.seen[0].headers, "Authorization"), "media downloads carry no credential");
}

Test(apiclient, manychat_send_text_body_and_success)
{
	struct json_object *b, *o;

	say((struct answer){.status = 200, .body = "{\"status\": \"success\"}"});
	cr_assert_eq(cal_api_manychat_send_text(api, "123456789", "Hola 👋", &arena), CAL_OK);
	cr_assert_eq(nseen(), 1);
	cr_assert_str_eq(srv.seen[0].method, "POST");
	cr_assert_str_eq(srv.seen[0].path, "/manychat/fb/sending/sendContent");
	cr_assert_not_null(strstr(srv.seen[0].headers, "Authorization: Bearer mc-secret-token-1"));
	b = json_tokener_parse(srv.seen[0].body);
	cr_assert_not_null(b);
	o = json_object_object_get(b, "subscriber_id");
	cr_assert(json_object_is_type(o, json_type_int));
	cr_assert_eq(json_object_get_int64(o), 123456789);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(b, "message_tag")), "ACCOUNT_UPDATE");
	o = json_object_object_get(b, "data");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(o, "version")), "v2");
	o = json_object_object_get(o, "content");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(o, "type")), "telegram");
	o = json_object_array_get_idx(json_object_object_get(o, "messages"), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(o, "type")), "text");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(o, "text")), "Hola 👋");
	json_object_put(b);
}

Test(apiclient, manychat_non_numeric_id_stays_a_string)
{
	struct json_object *b;

	cr_assert_eq(cal_api_manychat_send_text(api, "e2e-user_1", "x", &arena), CAL_ERR_UPSTREAM,
		     "the default answer {} is not a success");
	b = json_tokener_parse(srv.seen[0].body);
	cr_assert(json_object_is_type(json_object_object_get(b, "subscriber_id"), json_type_string));
	cr_assert_str_eq(json_object_get_string(json_object_object_get(b, "subscriber_id")), "e2e-user_1");
	json_object_put(b);
}

Test(apiclient, manychat_failures_are_reported_and_not_repeated)
{
	say((struct answer){.status = 200, .body = "{\"status\": \"error\", \"message\": \"blocked\"}"});
	cr_assert_eq(cal_api_manychat_send_text(api, "1", "x", &arena), CAL_ERR_UPSTREAM);
	say((struct answer){.status = 500, .body = "{\"status\": \"success\"}"});
	cr_assert_eq(cal_api_manychat_send_text(api, "1", "x", &arena), CAL_ERR_UPSTREAM);
	say((struct answer){.status = 201, .body = "{\"status\": \"success\"}"});
	cr_assert_eq(cal_api_manychat_send_text(api, "1", "x", &arena), CAL_ERR_UPSTREAM, "only 200 counts");
	cr_assert_eq(nseen(), 3, "sendContent is never repeated by the client");
	cr_assert_eq(cal_api_manychat_send_text(api, "", "x", &arena), CAL_ERR_VALIDATION);
	cr_assert_eq(cal_api_manychat_send_text(api, "1", "", &arena), CAL_ERR_VALIDATION);
	cr_assert_eq(nseen(), 3);
}

Test(apiclient, manychat_without_token_pushes_nothing)
{
	reconfigure("CALORIA_MANYCHAT_API_TOKEN=");
	cr_assert_eq(cal_api_manychat_send_text(api, "1", "x", &arena), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(nseen(), 0);
	cr_assert_str_eq(cal_api_provider_status(api, CAL_API_MANYCHAT), "not_configured");
}

Test(apiclient, facebook_channel_omits_content_type)
{
	struct json_object *b, *content;

	reconfigure("CALORIA_MANYCHAT_CHANNEL=facebook");
	say((struct answer){.status = 200, .body = "{\"status\": \"success\"}"});
	cr_assert_eq(cal_api_manychat_send_text(api, "5", "x", &arena), CAL_OK);
	b = json_tokener_parse(srv.seen[0].body);
	content = json_object_object_get(json_object_object_get(b, "data"), "content");
	cr_assert_not_null(content);
	cr_assert(!json_object_object_get_ex(content, "type", NULL));
	json_object_put(b);
}

Test(apiclient, metrics_count_every_attempt)
{
	unsigned long long calls = 0, failures = 0;
	shm_fixture fx = {0};
	cal_shm *shm = shm_fixture_open(&fx, "api", (size_t)4 << 20);
	cal_api_resp r;

	cal_api_free(api);
	api = cal_api_new(&conf, shm);
	cal_api_set_backoff(api, 1);
	say((struct answer){.status = 503});
	say((struct answer){.status = 200});
	cr_assert_eq(cal_api_json(api, CAL_API_SPOONACULAR, "/x", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cr_assert_eq(cal_metrics_api_counts(shm, "spoonacular", &calls, &failures), 0);
	cr_assert_eq(calls, 2);
	cr_assert_eq(failures, 1);
	cal_api_free(api);
	api = NULL;
	shm_fixture_close(&fx);
	api = cal_api_new(&conf, NULL);
}

Test(apiclient, cached_calls_reach_the_provider_once_per_distinct_request)
{
	shm_fixture fx = {0};
	cal_shm *shm = shm_fixture_open(&fx, "apic", (size_t)4 << 20);
	cal_api_resp r;
	struct json_object *img1 = json_object_new_object(), *img2 = json_object_new_object();

	cal_api_free(api);
	api = cal_api_new(&conf, shm);
	json_object_object_add(img1, "image", json_object_new_string("AAAA"));
	json_object_object_add(img2, "image", json_object_new_string("BBBB"));
	say((struct answer){.status = 200, .body = "{\"items\":[1]}"});
	say((struct answer){.status = 200, .body = "{\"items\":[2]}"});
	cal_api_req req = {.provider = CAL_API_GEMINI, .method = "POST", .path = "/analyze", .json = img1,
			   .cache_ttl_s = CAL_API_CACHE_TTL_S};
	/* First call goes out and is stored; the same request again is a hit with the same answer. */
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_not(r.cached);
	cr_assert_eq(r.attempts, 1);
	json_object_put(r.json);
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert(r.cached);
	cr_assert_eq(r.attempts, 0);
	cr_assert_str_eq(json_object_to_json_string_ext(r.json, JSON_C_TO_STRING_PLAIN), "{\"items\":[1]}");
	json_object_put(r.json);
	cr_assert_eq(nseen(), 1, "one request reached the provider, not %d", nseen());
	/* Other bytes, other key: the provider is asked again. */
	req.json = img2;
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_not(r.cached);
	cr_assert_str_eq(json_object_to_json_string_ext(r.json, JSON_C_TO_STRING_PLAIN), "{\"items\":[2]}");
	json_object_put(r.json);
	cr_assert_eq(nseen(), 2);
	/* Without cache_ttl_s nothing is cached. */
	say((struct answer){.status = 200, .body = "{\"items\":[3]}"});
	req.cache_ttl_s = 0;
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_not(r.cached);
	json_object_put(r.json);
	cr_assert_eq(nseen(), 3);
	json_object_put(img1);
	json_object_put(img2);
	cal_api_free(api);
	api = NULL;
	shm_fixture_close(&fx);
	api = cal_api_new(&conf, NULL);
}

Test(apiclient, log_lines_never_show_tokens)
{
	char dir[] = "/tmp/caloria-apilog-XXXXXX", path[128], url[256], buf[16384];
	cal_api_req req = {.provider = CAL_API_TELEGRAM, .path = url, .raw = true};
	cal_api_resp r;
	FILE *f;
	size_t n;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/log", dir);
	cr_assert_eq(cal_log_init("debug", path), 0);
	reconfigure("CALORIA_MEDIA_ALLOW_PRIVATE_HOSTS=true");
	snprintf(url, sizeof url,
		 "http://127.0.0.1:%d/file/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/voice/file_1.oga",
		 srv.port);
	say((struct answer){.status = 500});
	say((struct answer){.status = 200, .ctype = "audio/ogg", .body = "OggS"});
	cr_assert_eq(cal_api_request(api, &req, &arena, &r), CAL_OK);
	cr_assert_eq(cal_api_json(api, CAL_API_MANYCHAT, "/fb/x", NULL, &arena, &r), CAL_OK);
	json_object_put(r.json);
	cal_log_close();
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	rmdir(dir);
	cr_assert_not_null(strstr(buf, "external call failed"), "the failed attempt was logged: %s", buf);
	cr_assert_not_null(strstr(buf, "\"provider\":\"manychat\""), "%s", buf);
	cr_assert_null(strstr(buf, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), "bot token in the log: %s", buf);
	cr_assert_null(strstr(buf, "mc-secret-token-1"), "%s", buf);
}

Test(apiclient, provider_names_round_trip)
{
	for (int p = 0; p < CAL_API__MAX; p++)
		cr_assert_eq(cal_api_provider_from_name(cal_api_provider_name((cal_api_provider)p)), p);
	cr_assert_str_eq(cal_api_provider_name(CAL_API_GOOGLE_VISION), "google_vision");
	cr_assert_null(cal_api_provider_name(CAL_API__MAX));
	cr_assert_eq(cal_api_provider_from_name("nope"), CAL_API__MAX);
	cr_assert_eq(cal_api_provider_from_name(NULL), CAL_API__MAX);
}

/* ---- the multi interface (the job runner's) ---- */

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drives mu until n calls were collected (or 10 s passed); their results in order of completion. */
static int collect_n(cal_api_multi *mu, int n, long tags[], cal_err errs[], long statuses[])
{
	long long until = mono_ms() + 10000;
	int got = 0;
	void *tag;
	cal_err e;
	cal_api_resp r;

	while (got < n && mono_ms() < until) {
		cal_api_multi_wait(mu, 100);
		while (got < n && cal_api_multi_next(mu, &tag, &e, &r)) {
			tags[got] = (long)(intptr_t)tag;
			errs[got] = e;
			statuses[got] = r.status;
			json_object_put(r.json);
			got++;
		}
	}
	return got;
}

Test(apiclient, multi_runs_slow_calls_side_by_side)
{
	cal_api_multi *mu = cal_api_multi_new(api);
	cal_api_req req = {.provider = CAL_API_MERCADOPAGO, .path = "/v1/payments/1"};
	long tags[4], statuses[4];
	cal_err errs[4];
	long long t0;

	for (int i = 0; i < 4; i++)
		say((struct answer){.status = 200, .delay_ms = 600, .body = "{\"ok\": true}"});
	t0 = mono_ms();
	for (long i = 0; i < 4; i++)
		cal_api_multi_add(mu, &req, &arena, (void *)(intptr_t)(i + 1));
	cr_assert_eq(cal_api_multi_pending(mu), 4);
	cr_assert_eq(collect_n(mu, 4, tags, errs, statuses), 4);
	/* Four 600 ms answers in well under 4 × 600 ms: nothing waited on another. */
	cr_assert_lt(mono_ms() - t0, 1800, "took %lld ms", mono_ms() - t0);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(errs[i], CAL_OK);
		cr_assert_eq(statuses[i], 200);
		cr_assert(tags[i] >= 1 && tags[i] <= 4);
	}
	cr_assert_eq(cal_api_multi_pending(mu), 0);
	cal_api_multi_free(mu);
}

Test(apiclient, multi_retries_on_a_timer_and_reports_failures)
{
	cal_api_multi *mu = cal_api_multi_new(api);
	cal_api_req get = {.provider = CAL_API_MERCADOPAGO, .path = "/v1/payments/2"};
	cal_api_req post = {.provider = CAL_API_MANYCHAT, .method = "POST", .path = "/fb/sending/sendContent",
			    .body = "{}", .body_len = 2, .body_type = "application/json"};
	long tags[2], statuses[2];
	cal_err errs[2];

	/* The GET meets a 503 and is retried after its back-off; the POST (not idempotent) is not retried. */
	say((struct answer){.status = 503});
	say((struct answer){.status = 200, .body = "{\"id\": 2}"});
	cal_api_multi_add(mu, &get, &arena, (void *)(intptr_t)1);
	cr_assert_eq(collect_n(mu, 1, tags, errs, statuses), 1);
	cr_assert_eq(errs[0], CAL_OK);
	cr_assert_eq(statuses[0], 200);
	cr_assert_eq(nseen(), 2, "one retry");
	say((struct answer){.status = 500});
	cal_api_multi_add(mu, &post, &arena, (void *)(intptr_t)2);
	cr_assert_eq(collect_n(mu, 1, tags, errs, statuses), 1);
	cr_assert_eq(errs[0], CAL_ERR_UPSTREAM);
	cr_assert_eq(statuses[0], 500);
	cr_assert_eq(nseen(), 3, "no retry of a POST");
	cal_api_multi_free(mu);
}

Test(apiclient, multi_skips_an_open_breaker_and_unconfigured_providers)
{
	cal_api_multi *mu = cal_api_multi_new(api);
	cal_api_req req = {.provider = CAL_API_MERCADOPAGO, .path = "/v1/payments/3"};
	cal_api_req speech = {.provider = CAL_API_GOOGLE_SPEECH, .method = "POST", .path = "/v1/speech:recognize",
			      .body = "{}", .body_len = 2, .body_type = "application/json"};
	long tags[4], statuses[4];
	cal_err errs[4];

	cal_api_set_breaker(api, 1, 60000);
	say((struct answer){.status = 500});
	say((struct answer){.status = 500});
	say((struct answer){.status = 500});
	cal_api_multi_add(mu, &req, &arena, (void *)(intptr_t)1);
	cr_assert_eq(collect_n(mu, 1, tags, errs, statuses), 1);
	cr_assert_eq(errs[0], CAL_ERR_UPSTREAM);
	int before = nseen();
	cal_api_multi_add(mu, &req, &arena, (void *)(intptr_t)2);
	cal_api_multi_add(mu, &speech, &arena, (void *)(intptr_t)3); /* google.api_key is empty */
	cr_assert_eq(collect_n(mu, 2, tags, errs, statuses), 2);
	cr_assert_eq(errs[0], CAL_ERR_UNAVAILABLE);
	cr_assert_eq(errs[1], CAL_ERR_UNAVAILABLE);
	cr_assert_eq(nseen(), before, "nothing was sent");
	cal_api_multi_free(mu);
}

Test(apiclient, multi_free_abandons_calls_in_flight)
{
	cal_api_multi *mu = cal_api_multi_new(api);
	cal_api_req req = {.provider = CAL_API_MERCADOPAGO, .path = "/v1/payments/4"};

	say((struct answer){.status = 200, .delay_ms = 2000});
	cal_api_multi_add(mu, &req, &arena, NULL);
	cal_api_multi_wait(mu, 50);
	cr_assert_eq(cal_api_multi_pending(mu), 1);
	cal_api_multi_free(mu); /* no leak, no crash (ASan run) */
}
