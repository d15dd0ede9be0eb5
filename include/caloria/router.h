/*
 * The dispatch table. Routes are data: {methods, pattern, handler, auth kind, rate class, name}. The
 * table itself lives in routes.c; this module matches a method and path against it, telling 404 (no such
 * path) from 405 (path exists with other methods, reported as an Allow value).
 */
#ifndef CALORIA_ROUTER_H
#define CALORIA_ROUTER_H

#include "caloria/err.h"
#include "caloria/http.h"

struct cal_ctx;

typedef enum cal_auth {
	CAL_AUTH_NONE = 0,
	CAL_AUTH_WEBHOOK_TOKEN, /* X-Caloria-Token or Bearer = manychat.webhook_token (§5.1) */
	CAL_AUTH_MP_SIGNATURE,  /* MercadoPago x-signature (§9.3), checked by the handler */
	CAL_AUTH_SIGNED_LINK,   /* ?t=<signed token> (§9.2), checked by the handler */
	CAL_AUTH_CSRF,          /* admin forms */
	CAL_AUTH_SESSION,       /* admin session cookie */
	CAL_AUTH_SESSION_OR_TOKEN, /* admin session or API bearer token */
	CAL_AUTH_OPS,           /* API token, admin session, or a loopback client (§4.3) */
	CAL_AUTH__MAX
} cal_auth;

typedef enum cal_rate_class {
	CAL_RATE_NONE = 0,
	CAL_RATE_WEBHOOK,
	CAL_RATE_API,
	CAL_RATE_ADMIN,
	CAL_RATE__MAX
} cal_rate_class;

typedef cal_err (*cal_handler)(struct cal_ctx *ctx, cal_request *req, cal_response *resp);
/* Renders an error in the route's own reply format (ManyChat v2); NULL = the standard envelope. */
typedef void (*cal_error_renderer)(struct cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e,
				   const char *message);

typedef struct cal_route {
	unsigned methods;          /* cal_method bits */
	const char *pattern;       /* "/api/users/{id}"; {name} matches one non-empty segment */
	cal_handler handler;
	cal_auth auth;
	cal_rate_class rate;
	const char *name;          /* stable label for metrics and logs, e.g. "webhook_manychat" */
	cal_error_renderer render_error;
	/* Rate-limit key for this route (e.g. the ManyChat subscriber id); NULL = the class default (§4.4). */
	const char *(*rate_key)(cal_request *req);
} cal_route;

/* The table (routes.c) and its length. */
extern const cal_route cal_routes[];
extern const int cal_routes_count;

/*
 * Finds the route for method+path. CAL_OK: *route set, captures filled into req. CAL_ERR_NOT_FOUND: no
 * pattern matches. CAL_ERR_METHOD: *allow holds the methods that would match (HEAD is allowed where GET is).
 */
cal_err cal_router_match(const cal_route *table, int n, cal_request *req, const cal_route **route,
			 unsigned *allow);
/* "GET, HEAD, POST" for a method mask, into the arena. */
const char *cal_router_allow_header(cal_arena *a, unsigned methods);
/* Index of a route in cal_routes (for metrics slots). */
int cal_router_index(const cal_route *route);
cal_method cal_router_method_from_name(const char *name);

#endif
