/*
 * Admin panel and JSON API routes (SPEC §10): decode and validate the query, form or path parameters, then
 * call admin_pages.c, admin_api.c or admin_auth.c. Sessions and tokens were checked by the pipeline's auth
 * stage (req->who); the form CSRF tokens are checked here, where the body has been read.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "caloria/admin_api.h"
#include "caloria/admin_auth.h"
#include "caloria/admin_pages.h"
#include "caloria/admin_stats.h"
#include "caloria/handlers.h"

#define Q_MAX_BYTES 100
#define PAGE_MAX 1000000

/* An integer query parameter in [min, max]; def when absent. false when present but malformed. */
static bool int_param(const cal_request *req, const char *name, long long min, long long max, long long def,
		      long long *out)
{
	const char *s = cal_http_query(req, name);
	char *end;

	*out = def;
	if (s == NULL || s[0] == '\0')
		return true;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* The {id} of the path: a positive 64-bit integer. */
static bool id_param(const cal_request *req, long long *id)
{
	char *end;

	if (req->ncaptures < 1 || req->captures[0][0] < '1' || req->captures[0][0] > '9')
		return false;
	*id = strtoll(req->captures[0], &end, 10);
	return *end == '\0' && *id > 0 && strlen(req->captures[0]) <= 19;
}

static bool q_param(const cal_request *req, const char **q)
{
	*q = cal_http_query(req, "q");
	return *q == NULL || (strlen(*q) <= Q_MAX_BYTES && cal_http_utf8_valid(*q, strlen(*q)));
}

/* 400 validation_error naming the field (SPEC §4.2), as JSON for the API and as a page for the panel. */
static cal_err bad_param(cal_ctx *ctx, cal_request *req, cal_response *resp, const char *field, bool html)
{
	if (html) {
		cal_admin_page_error(ctx, req, resp, CAL_ERR_VALIDATION, cal_arena_printf(req->arena, "invalid %s", field));
		return CAL_OK;
	}
	struct json_object *details = json_object_new_object();
	json_object_object_add(details, "field", json_object_new_string(field));
	cal_resp_error(req, resp, CAL_ERR_VALIDATION, cal_arena_printf(req->arena, "invalid %s", field), details);
	resp->err = CAL_ERR_VALIDATION;
	return CAL_OK;
}

static cal_err redirect(cal_response *resp, const char *location)
{
	cal_resp_html(resp, 303, "", 0);
	cal_resp_header(resp, "Location", location);
	cal_resp_header(resp, "Cache-Control", "no-store");
	return CAL_OK;
}

/* ---- login and logout ------------------------------------------------------------------------------ */

cal_err cal_h_admin(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	cal_admin_who *who = NULL;

	if (ctx->conf.admin_session_secret == NULL || ctx->conf.admin_session_secret[0] == '\0') {
		/* Without the cookie key no session can be signed: say what is missing instead of a form that fails. */
		cal_admin_page_error(ctx, req, resp, CAL_ERR_UNAVAILABLE, "The admin panel is not configured "
									  "(admin.session_secret is empty).");
		return CAL_OK;
	}
	if (cal_admin_session_from_headers(ctx, req, &who) == CAL_OK)
		return redirect(resp, "/admin/dashboard");
	cal_admin_page_login(ctx, req, resp, 200, NULL);
	return CAL_OK;
}

cal_err cal_h_admin_login(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	const char *user = cal_http_form(req, "username"), *pw = cal_http_form(req, "password");
	const char *cookie;
	long long admin_id = 0;
	unsigned retry = 0;
	cal_err e;

	if (!cal_admin_login_csrf_ok(ctx, req, cal_http_form(req, "csrf_token")))
		return CAL_ERR_FORBIDDEN;
	e = cal_admin_login_check(ctx, req, user, pw, &admin_id, &retry);
	if (e == CAL_ERR_RATE_LIMITED) {
		cal_admin_page_login(ctx, req, resp, 429, "Too many failed sign-ins. Try again later.");
		cal_resp_header(resp, "Retry-After", cal_arena_printf(req->arena, "%u", retry));
		resp->err = e;
		return CAL_OK;
	}
	if (e == CAL_ERR_UNAUTHORIZED) {
		/* The same words whichever field was wrong (SPEC §10). */
		cal_admin_page_login(ctx, req, resp, 200, "Wrong username or password.");
		return CAL_OK;
	}
	if (e == CAL_OK)
		e = cal_admin_session_create(ctx, req, admin_id, &cookie);
	if (e != CAL_OK)
		return e;
	redirect(resp, "/admin/dashboard");
	cal_resp_header(resp, "Set-Cookie", cookie);
	return CAL_OK;
}

cal_err cal_h_admin_logout(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	const char *cookie;
	cal_err e;

	if (!cal_admin_csrf_ok(req->who, cal_http_form(req, "csrf_token")))
		return CAL_ERR_FORBIDDEN;
	e = cal_admin_session_delete(ctx, req, &cookie);
	if (e != CAL_OK)
		return e;
	cal_admin_audit(ctx, req->who->admin_id, "admin_logout", NULL);
	redirect(resp, "/admin");
	cal_resp_header(resp, "Set-Cookie", cookie);
	return CAL_OK;
}

/* ---- pages ----------------------------------------------------------------------------------------- */

cal_err cal_h_admin_dashboard(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return cal_admin_page_dashboard(ctx, req, resp);
}

cal_err cal_h_admin_users(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	long long page;
	const char *q;

	if (!int_param(req, "page", 1, PAGE_MAX, 1, &page))
		return bad_param(ctx, req, resp, "page", true);
	if (!q_param(req, &q))
		return bad_param(ctx, req, resp, "q", true);
	return cal_admin_page_users(ctx, req, resp, q, (int)page);
}

cal_err cal_h_admin_user(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	long long id;

	if (!id_param(req, &id))
		return CAL_ERR_NOT_FOUND;
	return cal_admin_page_user(ctx, req, resp, id);
}

cal_err cal_h_admin_status(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return cal_admin_page_status(ctx, req, resp);
}

/* ---- JSON API -------------------------------------------------------------------------------------- */

cal_err cal_h_api_users(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	long long page, per_page;
	const char *q;

	if (!int_param(req, "page", 1, PAGE_MAX, 1, &page))
		return bad_param(ctx, req, resp, "page", false);
	if (!int_param(req, "per_page", 1, CAL_API_PER_PAGE_MAX, CAL_API_PER_PAGE_DEFAULT, &per_page))
		return bad_param(ctx, req, resp, "per_page", false);
	if (!q_param(req, &q))
		return bad_param(ctx, req, resp, "q", false);
	return cal_admin_api_users(ctx, req, resp, q, (int)page, (int)per_page);
}

cal_err cal_h_api_user(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	long long id;

	if (!id_param(req, &id))
		return CAL_ERR_NOT_FOUND;
	return cal_admin_api_user(ctx, req, resp, id);
}

cal_err cal_h_api_user_stats(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	long long id, days;

	if (!id_param(req, &id))
		return CAL_ERR_NOT_FOUND;
	if (!int_param(req, "days", 1, CAL_STATS_MAX_DAYS, 30, &days))
		return bad_param(ctx, req, resp, "days", false);
	return cal_admin_api_user_stats(ctx, req, resp, id, (int)days);
}

cal_err cal_h_api_analytics(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return cal_admin_api_analytics(ctx, req, resp);
}

cal_err cal_h_api_funnel(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	long long days;

	if (!int_param(req, "days", 1, CAL_STATS_MAX_DAYS, 30, &days))
		return bad_param(ctx, req, resp, "days", false);
	return cal_admin_api_funnel(ctx, req, resp, (int)days);
}
