/*
 * The JSON API of SPEC §10 for an admin session or an API token: users (paginated, searchable), one user's
 * profile and days, subscription analytics and the funnel. The caller's role decides whether subscriber
 * ids are shown whole (admin) or masked (viewer).
 */
#ifndef CALORIA_ADMIN_API_H
#define CALORIA_ADMIN_API_H

#include "caloria/ctx.h"
#include "caloria/http.h"

#define CAL_API_PER_PAGE_DEFAULT 20
#define CAL_API_PER_PAGE_MAX 100

cal_err cal_admin_api_users(cal_ctx *ctx, cal_request *req, cal_response *resp, const char *q, int page,
			    int per_page);
cal_err cal_admin_api_user(cal_ctx *ctx, cal_request *req, cal_response *resp, long long id);
cal_err cal_admin_api_user_stats(cal_ctx *ctx, cal_request *req, cal_response *resp, long long id, int days);
cal_err cal_admin_api_analytics(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_admin_api_funnel(cal_ctx *ctx, cal_request *req, cal_response *resp, int days);

#endif
