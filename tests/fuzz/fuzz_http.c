/*
 * libFuzzer driver for the HTTP layer (src/http.c), the router (src/router.c) and the log mask
 * (src/log.c). The input is "NAME=value" parameter lines, a blank line, then the body, fed through a fake
 * cal_io exactly as the FastCGI front would: parse (limits), JSON, query/form/cookie/header lookups, route
 * matching, an error response written to a sink. Any crash, leak or sanitizer report is a bug.
 * Build and run: see tests/fuzz/README.md.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caloria/http.h"
#include "caloria/log.h"
#include "caloria/router.h"

#define FUZZ_PARAMS 32
#define FUZZ_MAX_BODY 4096

struct fuzz_io {
	char *names[FUZZ_PARAMS];
	char *values[FUZZ_PARAMS];
	int n;
	const char *body;
	size_t body_len;
	size_t pos;
	size_t written;
};

static const char *f_getparam(void *h, const char *name)
{
	struct fuzz_io *f = h;
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

static long f_read(void *h, char *buf, size_t n)
{
	struct fuzz_io *f = h;
	size_t left = f->body_len - f->pos;
	if (n > left)
		n = left;
	if (n > 777)
		n = 777; /* short reads, as on a real stream */
	if (n > 0)
		memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (long)n;
}

static int f_write(void *h, const char *buf, size_t n)
{
	struct fuzz_io *f = h;
	(void)buf;
	f->written += n;
	return 0;
}

static cal_err h_none(struct cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	(void)ctx;
	(void)req;
	(void)resp;
	return CAL_OK;
}

/* A table shaped like the real one (router.h needs cal_routes for cal_router_index). */
const cal_route cal_routes[] = {
	{.methods = CAL_POST, .pattern = "/webhook/manychat", .handler = h_none, .name = "webhook_manychat"},
	{.methods = CAL_GET | CAL_POST, .pattern = "/subscribe", .handler = h_none, .name = "subscribe"},
	{.methods = CAL_GET, .pattern = "/api/users/{id}", .handler = h_none, .name = "api_user"},
	{.methods = CAL_GET, .pattern = "/api/users/{id}/stats", .handler = h_none, .name = "api_user_stats"},
	{.methods = CAL_GET, .pattern = "/health", .handler = h_none, .name = "health"},
	{.methods = CAL_GET, .pattern = "/health/", .handler = h_none, .name = "health_slash"},
};
const int cal_routes_count = (int)(sizeof cal_routes / sizeof cal_routes[0]);

/* Splits "NAME=value\n..." up to the first blank line into params; returns where the body starts. */
static size_t load_params(struct fuzz_io *f, const char *data, size_t size)
{
	size_t i = 0;
	while (i < size && f->n < FUZZ_PARAMS) {
		const char *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) : size;
		if (end == i)
			return i + 1; /* blank line: the body follows */
		const char *eq = memchr(data + i, '=', end - i);
		if (eq != NULL) {
			size_t kn = (size_t)(eq - (data + i));
			f->names[f->n] = strndup(data + i, kn);
			f->values[f->n] = strndup(eq + 1, end - i - kn - 1);
			if (f->names[f->n] == NULL || f->values[f->n] == NULL)
				abort();
			f->n++;
		}
		i = end + 1;
	}
	return i < size ? i : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_io f;
	cal_io io;
	cal_arena arena;
	cal_request req;
	cal_response resp;
	cal_http_limits limits = {FUZZ_MAX_BODY, "127.0.0.1,::1,10.0.0.1"};
	const char *why = NULL;

	memset(&f, 0, sizeof f);
	size_t body_at = load_params(&f, (const char *)data, size);
	f.body = (const char *)data + body_at;
	f.body_len = size - body_at;
	io.h = &f;
	io.getparam = f_getparam;
	io.read = f_read;
	io.write = f_write;
	cal_arena_init(&arena, 4096);
	cal_resp_init(&resp);

	cal_err rc = cal_http_parse(&req, &arena, &io, &limits);
	if (!cal_http_request_id_valid(req.id) || req.path == NULL || req.path[0] != '/' || req.client_ip == NULL)
		abort(); /* the contract holds even on errors */
	if (rc == CAL_OK) {
		if (req.body_len > FUZZ_MAX_BODY)
			abort();
		cal_http_json(&req, true, &why);
		cal_http_json(&req, false, &why);
		cal_http_query(&req, "t");
		cal_http_query(&req, "data.id");
		cal_http_form(&req, "username");
		cal_http_cookie(&req, "caloria_session");
		cal_http_header(&req, "X-Caloria-Token");
		cal_http_header(&req, "Content-Length");

		const cal_route *route = NULL;
		unsigned allow = 0;
		cal_err m = cal_router_match(cal_routes, cal_routes_count, &req, &route, &allow);
		if (m == CAL_OK && cal_router_index(route) < 0)
			abort();
		if (m == CAL_ERR_METHOD)
			cal_resp_header(&resp, "Allow", cal_router_allow_header(&arena, allow));
		rc = m;
	}
	if (rc != CAL_OK) {
		cal_resp_error(&req, &resp, rc, NULL, NULL);
	} else {
		cal_resp_html(&resp, 200, req.body ? req.body : "", req.body_len);
		/* A header value taken from the input must never reach the output unchecked. */
		const char *loc = cal_http_query(&req, "next");
		if (loc != NULL)
			cal_resp_header(&resp, "Location", loc);
	}
	cal_http_write(&req, &resp, &io);

	char masked[2 * FUZZ_MAX_BODY + 16];
	if (req.body != NULL)
		cal_log_mask(req.body, masked, sizeof masked);
	cal_log_mask(req.path, masked, sizeof masked);

	cal_http_request_release(&req);
	cal_resp_free(&resp);
	cal_arena_free(&arena);
	for (int i = 0; i < f.n; i++) {
		free(f.names[i]);
		free(f.values[i]);
	}
	return 0;
}

/* Log lines about dropped headers are expected; keep them off the fuzzer's terminal. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cal_log_init("error", "/dev/null");
	return 0;
}
