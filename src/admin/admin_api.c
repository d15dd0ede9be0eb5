/*
 * The JSON API (admin_api.h): each call reads admin_stats.h and serialises the result with the exact field
 * names of SPEC §10. The same figures feed the dashboard, so the two never disagree.
 */
#include "config.h"

#include <json-c/json.h>

#include "caloria/admin_api.h"
#include "caloria/admin_auth.h"
#include "caloria/admin_stats.h"

static cal_admin_role role_of(const cal_request *req)
{
	return req->who != NULL ? req->who->role : CAL_ROLE_VIEWER;
}

static cal_err send(cal_response *resp, struct json_object *o)
{
	cal_resp_json(resp, 200, o);
	json_object_put(o);
	return CAL_OK;
}

cal_err cal_admin_api_users(cal_ctx *ctx, cal_request *req, cal_response *resp, const char *q, int page,
			    int per_page)
{
	cal_stats_user_page up;
	cal_err e = cal_stats_users(ctx, req->arena, q, page, per_page, &up);
	struct json_object *o;

	if (e != CAL_OK)
		return e;
	o = json_object_new_object();
	json_object_object_add(o, "users", cal_stats_users_json(req->arena, &up, role_of(req)));
	json_object_object_add(o, "page", json_object_new_int(page));
	json_object_object_add(o, "per_page", json_object_new_int(per_page));
	json_object_object_add(o, "total", json_object_new_int64(up.total));
	return send(resp, o);
}

cal_err cal_admin_api_user(cal_ctx *ctx, cal_request *req, cal_response *resp, long long id)
{
	cal_dbrows prof;
	cal_err e = cal_stats_user(ctx, req->arena, id, &prof);

	if (e != CAL_OK)
		return e;
	return send(resp, cal_stats_user_json(req->arena, &prof, role_of(req)));
}

cal_err cal_admin_api_user_stats(cal_ctx *ctx, cal_request *req, cal_response *resp, long long id, int days)
{
	cal_dbrows prof;
	cal_stats_day *d;
	cal_err e;

	if ((e = cal_stats_user(ctx, req->arena, id, &prof)) != CAL_OK ||
	    (e = cal_stats_user_days(ctx, req->arena, &prof, days, &d)) != CAL_OK)
		return e;
	return send(resp, cal_stats_user_days_json(id, d, days));
}

cal_err cal_admin_api_analytics(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	cal_stats_overview ov;
	cal_err e = cal_stats_overview_get(ctx, req->arena, &ov);

	if (e != CAL_OK)
		return e;
	return send(resp, cal_stats_overview_json(&ov));
}

cal_err cal_admin_api_funnel(cal_ctx *ctx, cal_request *req, cal_response *resp, int days)
{
	long long counts[CAL_STATS_FUNNEL_STEPS];
	struct json_object *o, *steps;
	cal_err e = cal_stats_funnel(ctx, req->arena, days, counts);

	if (e != CAL_OK)
		return e;
	o = json_object_new_object();
	steps = json_object_new_array();
	json_object_object_add(o, "days", json_object_new_int(days));
	for (int i = 0; i < CAL_STATS_FUNNEL_STEPS; i++) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "step", json_object_new_string(cal_stats_funnel_names[i]));
		json_object_object_add(s, "users", json_object_new_int64(counts[i]));
		json_object_array_add(steps, s);
		json_object_object_add(o, cal_stats_funnel_names[i], json_object_new_int64(counts[i]));
	}
	json_object_object_add(o, "steps", steps);
	return send(resp, o);
}
