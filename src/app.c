/*
 * The request pipeline (SPEC §1): request id and headers → route lookup → auth on headers only → rate
 * limits → body (with its limits) → handler → response → metrics and one access log line. Nothing of an
 * unauthenticated request's body is read, so a stranger costs a hash compare, not a JSON parse. Errors from any stage end up in one place,
 * render_error(), so every failure gets the same envelope (or the route's own format, e.g. ManyChat v2).
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "caloria/app.h"
#include "caloria/auth.h"
#include "caloria/db.h"
#include "caloria/dbwatch.h"
#include "caloria/log.h"
#include "caloria/metrics.h"
#include "caloria/ratelimit.h"
#include "caloria/router.h"

static const char *const rate_class_names[CAL_RATE__MAX] = {
	[CAL_RATE_NONE] = "none",
	[CAL_RATE_WEBHOOK] = "webhook",
	[CAL_RATE_API] = "api",
	[CAL_RATE_ADMIN] = "admin",
};

static long rate_limit_of(const cal_conf *conf, cal_rate_class rc)
{
	switch (rc) {
	case CAL_RATE_WEBHOOK:
		return conf->ratelimit_webhook_per_min;
	case CAL_RATE_API:
		return conf->ratelimit_api_per_min;
	case CAL_RATE_ADMIN:
		return conf->ratelimit_admin_per_min;
	default:
		return 0;
	}
}

/*
 * The key of §4.4 for limits that run before the body is read: who authenticated (admin user or API token,
 * as auth recorded it), else an API route's bearer token (by hash, so the token itself never sits in shared
 * memory), else the client IP. Routes whose
 * key lives in the body (the ManyChat subscriber id) are limited after the body is read, see body_rate_key.
 */
static const char *head_rate_key(const cal_route *route, cal_request *req)
{
	const char *token = cal_auth_bearer(req);

	if (req->principal != NULL) /* set by auth: the admin user or the API token that authenticated */
		return req->principal;
	if (route->rate == CAL_RATE_API && token != NULL) {
		char hex[65];
		cal_auth_sha256_hex(token, strlen(token), hex);
		return cal_arena_printf(req->arena, "tok:%.32s", hex);
	}
	return cal_arena_printf(req->arena, "ip:%s", req->client_ip ? req->client_ip : "-");
}

/* One hit on a pool-wide counter; over the limit → CAL_ERR_RATE_LIMITED with *retry set. */
static cal_err limit_hit(cal_ctx *ctx, const char *class_name, const char *key, long limit, unsigned *retry)
{
	if (limit <= 0 || ctx->shm == NULL)
		return CAL_OK;
	int r = cal_ratelimit_hit(ctx->shm, class_name, key, (unsigned)limit, 60, time(NULL), retry);
	if (r < 0) {
		/* A broken shared segment must not take the service down: let the request through. */
		cal_warn("performance", "rate limiter unavailable");
		return CAL_OK;
	}
	return r == 1 ? CAL_ERR_RATE_LIMITED : CAL_OK;
}

/*
 * A failed authentication costs the client IP one hit of ratelimit.auth_failures_per_min and nothing else:
 * it never touches a subscriber's or a token's counter, and a request that authenticates is never refused
 * by it, so a stranger can neither lock a user out nor exhaust more than their own allowance.
 */
static cal_err auth_failed(cal_ctx *ctx, cal_request *req, cal_err e, unsigned *retry)
{
	if (e != CAL_ERR_UNAUTHORIZED)
		return e;
	const char *key = cal_arena_printf(req->arena, "ip:%s", req->client_ip ? req->client_ip : "-");
	cal_err limited = limit_hit(ctx, "authfail", key, ctx->conf.ratelimit_auth_failures_per_min, retry);
	return limited != CAL_OK ? limited : e;
}

static void render_error(cal_ctx *ctx, cal_request *req, cal_response *resp, cal_err e, unsigned allow,
			 unsigned retry)
{
	const cal_route *route = req->route;

	if (resp->err == CAL_OK)
		resp->err = e;
	cal_buf_reset(&resp->body);
	if (route != NULL && route->render_error != NULL)
		route->render_error(ctx, req, resp, e, NULL);
	else
		cal_resp_error(req, resp, e, NULL, NULL);
	if (e == CAL_ERR_METHOD)
		cal_resp_header(resp, "Allow", cal_router_allow_header(req->arena, allow));
	if (e == CAL_ERR_RATE_LIMITED)
		cal_resp_header(resp, "Retry-After", cal_arena_printf(req->arena, "%u", retry ? retry : 1));
}

static cal_err run(cal_ctx *ctx, cal_request *req, cal_response *resp, const cal_http_limits *limits,
		  unsigned *allow, unsigned *retry)
{
	const cal_route *route = NULL;
	cal_err e = cal_router_match(cal_routes, cal_routes_count, req, &route, allow);
	long limit;

	if (e != CAL_OK)
		return e;
	req->route = route;
	/* SPEC §1: auth on headers only, then rate limits, then the body. */
	e = cal_auth_check(ctx, req, route->auth);
	if (e != CAL_OK)
		return auth_failed(ctx, req, e, retry);
	limit = route->rate == CAL_RATE_NONE ? 0 : rate_limit_of(&ctx->conf, route->rate);
	if (route->rate_key == NULL &&
	    (e = limit_hit(ctx, rate_class_names[route->rate], head_rate_key(route, req), limit, retry)) != CAL_OK)
		return e;
	if ((e = cal_http_read_body(req, limits)) != CAL_OK)
		return e;
	if (route->rate_key != NULL) {
		/* Authenticated, so the body may be read for its key; a body without one falls back to the IP. */
		const char *key = route->rate_key(req);
		if (key == NULL)
			key = head_rate_key(route, req);
		if ((e = limit_hit(ctx, rate_class_names[route->rate], key, limit, retry)) != CAL_OK)
			return e;
	}
	unsigned long timeouts = cal_db_timeouts(ctx->db);
	e = route->handler(ctx, req, resp);
	if (cal_db_timeouts(ctx->db) != timeouts)
		cal_dbwatch_note_timeout(ctx->shm, time(NULL));
	if (cal_db_in_transaction(ctx->db)) {
		/* A handler that forgot to close its transaction must not leak it into the next request. */
		cal_db_rollback(ctx->db);
		cal_error("database", "route %s left a transaction open; rolled back", route->name);
	}
	return e;
}

/* Routes that share a name (/health and /health/) share one metrics slot, so series are never duplicated. */
static int metrics_slot(const cal_route *route)
{
	if (route == NULL)
		return CAL_METRICS_MAX_ROUTES - 1;
	for (int i = 0; i < cal_routes_count; i++)
		if (strcmp(cal_routes[i].name, route->name) == 0)
			return i;
	return cal_router_index(route);
}

static void record(cal_ctx *ctx, const cal_request *req, const cal_response *resp)
{
	double ms = cal_http_elapsed_ms(req);
	const char *route_name = req->route ? req->route->name : "unmatched";
	const char *code = resp->err != CAL_OK ? cal_err_code(resp->err) : NULL;

	if (ctx->shm != NULL) {
		cal_metrics_request(ctx->shm, metrics_slot(req->route), route_name, resp->status, ms);
		if (code != NULL)
			cal_metrics_error(ctx->shm, code);
	}
	if (resp->err == CAL_ERR_INTERNAL && resp->err_detail != NULL)
		cal_error("app", "internal error: %s", resp->err_detail);
	cal_log_access(req->method_name, route_name, req->path, resp->status, ms, req->client_ip, code);
}

int cal_app_handle(cal_ctx *ctx, cal_arena *arena, const cal_io *io)
{
	cal_request req;
	cal_response resp;
	unsigned allow = 0, retry = 0;
	cal_http_limits limits = {
		.max_body_bytes = (size_t)ctx->conf.server_max_body_bytes,
		.trusted_proxies = ctx->conf.server_trusted_proxies,
	};

	cal_resp_init(&resp);
	cal_err e = cal_http_parse_head(&req, arena, io, &limits);
	cal_log_set_request_id(req.id);
	if (e == CAL_OK) {
		e = run(ctx, &req, &resp, &limits, &allow, &retry);
	} else {
		/* Match anyway so the error is rendered in the route's format (ManyChat expects its v2 block). */
		const cal_route *route = NULL;
		unsigned ignored = 0;
		if (cal_router_match(cal_routes, cal_routes_count, &req, &route, &ignored) == CAL_OK)
			req.route = route;
	}
	if (e != CAL_OK)
		render_error(ctx, &req, &resp, e, allow, retry);
	int rc = cal_http_write(&req, &resp, io);
	record(ctx, &req, &resp);
	cal_log_set_request_id(NULL);
	cal_http_request_release(&req);
	cal_resp_free(&resp);
	ctx->served++;
	return rc;
}
