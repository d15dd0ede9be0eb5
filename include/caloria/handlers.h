/*
 * Every route handler, declared in one place for the dispatch table (routes.c). A handler fills resp and
 * returns CAL_OK, or returns an error and the pipeline renders the error envelope (router.h). Each module
 * in src/handlers/ appends its own block here.
 */
#ifndef CALORIA_HANDLERS_H
#define CALORIA_HANDLERS_H

#include <time.h>

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/http.h"

/* src/handlers/health.c — SPEC §13 health endpoints. */
cal_err cal_h_health(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_live(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_ready(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_version(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_database(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_cache(cal_ctx *ctx, cal_request *req, cal_response *resp);

/* src/handlers/metrics.c — SPEC §13 metrics endpoints. */
cal_err cal_h_health_metrics(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_metrics(cal_ctx *ctx, cal_request *req, cal_response *resp);

/* src/handlers/manychat.c — SPEC §5 the chatbot conversation; errors rendered as a ManyChat v2 block. */
cal_err cal_h_manychat(cal_ctx *ctx, cal_request *req, cal_response *resp);
void cal_manychat_render_error(cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e,
			       const char *message);
/* Rate-limit key "mc:<subscriber id>" from the body; NULL (client address) when the body has no valid id. */
const char *cal_manychat_rate_key(cal_request *req);

/* src/handlers/billing.c — SPEC §9 subscriptions: MercadoPago notifications, payment links, pages. */
cal_err cal_h_mp_webhook(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_create_subscription(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_subscribe(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_subscription_success(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_subscription_cancel(cal_ctx *ctx, cal_request *req, cal_response *resp);

/* src/handlers/pages.c — SPEC §4.3 public pages (es/en). */
cal_err cal_h_page_home(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_page_privacy(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_page_terms(cal_ctx *ctx, cal_request *req, cal_response *resp);

/* src/handlers/admin.c — SPEC §10 admin panel (HTML; errors rendered as pages) and JSON API. */
cal_err cal_h_admin(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_admin_login(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_admin_logout(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_admin_dashboard(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_admin_users(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_admin_user(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_admin_status(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_api_users(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_api_user(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_api_user_stats(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_api_analytics(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_api_funnel(cal_ctx *ctx, cal_request *req, cal_response *resp);

#endif
