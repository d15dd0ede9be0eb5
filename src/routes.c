/*
 * The dispatch table: every route of SPEC §4.3 that exists, as data. Adding a route is adding a row here
 * and a handler in src/handlers/; the pipeline (app.c) does the rest.
 */
#include "config.h"

#include "caloria/admin_pages.h"
#include "caloria/billing_page.h"
#include "caloria/handlers.h"
#include "caloria/router.h"

#define ROW(m, p, h, a, r, n) {.methods = (m), .pattern = (p), .handler = (h), .auth = (a), .rate = (r), .name = (n)}
/* Admin panel pages: errors are rendered as HTML (a missing session redirects to the login form). */
#define PAGE(m, p, h, a, n)                                                                                  \
	{.methods = (m), .pattern = (p), .handler = (h), .auth = (a), .rate = CAL_RATE_ADMIN, .name = (n),      \
	 .render_error = cal_admin_page_error}

const cal_route cal_routes[] = {
	ROW(CAL_GET, "/health", cal_h_health, CAL_AUTH_NONE, CAL_RATE_NONE, "health"),
	ROW(CAL_GET, "/health/", cal_h_health, CAL_AUTH_NONE, CAL_RATE_NONE, "health"),
	ROW(CAL_GET, "/health/live", cal_h_health_live, CAL_AUTH_NONE, CAL_RATE_NONE, "health_live"),
	ROW(CAL_GET, "/health/ready", cal_h_health_ready, CAL_AUTH_NONE, CAL_RATE_NONE, "health_ready"),
	ROW(CAL_GET, "/health/version", cal_h_health_version, CAL_AUTH_NONE, CAL_RATE_NONE, "health_version"),
	ROW(CAL_GET, "/health/database", cal_h_health_database, CAL_AUTH_OPS, CAL_RATE_NONE, "health_database"),
	ROW(CAL_GET, "/health/cache", cal_h_health_cache, CAL_AUTH_OPS, CAL_RATE_NONE, "health_cache"),
	ROW(CAL_GET, "/health/metrics", cal_h_health_metrics, CAL_AUTH_OPS, CAL_RATE_NONE, "health_metrics"),
	ROW(CAL_GET, "/metrics", cal_h_metrics, CAL_AUTH_OPS, CAL_RATE_NONE, "metrics"),
	ROW(CAL_GET, "/", cal_h_page_home, CAL_AUTH_NONE, CAL_RATE_API, "page_home"),
	ROW(CAL_GET, "/privacy-policy", cal_h_page_privacy, CAL_AUTH_NONE, CAL_RATE_API, "page_privacy"),
	ROW(CAL_GET, "/terms-and-conditions", cal_h_page_terms, CAL_AUTH_NONE, CAL_RATE_API, "page_terms"),
	PAGE(CAL_GET, "/admin", cal_h_admin, CAL_AUTH_NONE, "admin"),
	PAGE(CAL_POST, "/admin/login", cal_h_admin_login, CAL_AUTH_CSRF, "admin_login"),
	PAGE(CAL_POST, "/admin/logout", cal_h_admin_logout, CAL_AUTH_SESSION, "admin_logout"),
	PAGE(CAL_GET, "/admin/dashboard", cal_h_admin_dashboard, CAL_AUTH_SESSION, "admin_dashboard"),
	PAGE(CAL_GET, "/admin/users", cal_h_admin_users, CAL_AUTH_SESSION, "admin_users"),
	PAGE(CAL_GET, "/admin/users/{id}", cal_h_admin_user, CAL_AUTH_SESSION, "admin_user"),
	PAGE(CAL_GET, "/admin/system-status", cal_h_admin_status, CAL_AUTH_SESSION, "admin_system_status"),
	ROW(CAL_GET, "/api/users", cal_h_api_users, CAL_AUTH_SESSION_OR_TOKEN, CAL_RATE_API, "api_users"),
	ROW(CAL_GET, "/api/users/{id}", cal_h_api_user, CAL_AUTH_SESSION_OR_TOKEN, CAL_RATE_API, "api_user"),
	ROW(CAL_GET, "/api/users/{id}/stats", cal_h_api_user_stats, CAL_AUTH_SESSION_OR_TOKEN, CAL_RATE_API,
	    "api_user_stats"),
	ROW(CAL_GET, "/api/subscription-analytics", cal_h_api_analytics, CAL_AUTH_SESSION_OR_TOKEN, CAL_RATE_API,
	    "api_subscription_analytics"),
	ROW(CAL_GET, "/api/analytics/funnel", cal_h_api_funnel, CAL_AUTH_SESSION_OR_TOKEN, CAL_RATE_API, "api_funnel"),
	{.methods = CAL_POST, .pattern = "/webhook/manychat", .handler = cal_h_manychat, .auth = CAL_AUTH_WEBHOOK_TOKEN,
	 .rate = CAL_RATE_WEBHOOK, .name = "webhook_manychat", .render_error = cal_manychat_render_error,
	 .rate_key = cal_manychat_rate_key},
	ROW(CAL_POST, "/webhook/mercadopago", cal_h_mp_webhook, CAL_AUTH_MP_SIGNATURE, CAL_RATE_WEBHOOK, "webhook_mercadopago"),
	ROW(CAL_POST, "/api/create-subscription", cal_h_create_subscription, CAL_AUTH_WEBHOOK_TOKEN, CAL_RATE_WEBHOOK,
	    "create_subscription"),
	{.methods = CAL_GET | CAL_POST, .pattern = "/subscribe", .handler = cal_h_subscribe, .auth = CAL_AUTH_SIGNED_LINK,
	 .rate = CAL_RATE_API, .name = "subscribe", .render_error = cal_billing_page_render_error},
	ROW(CAL_GET, "/subscription-success", cal_h_subscription_success, CAL_AUTH_NONE, CAL_RATE_API,
	    "subscription_success"),
	ROW(CAL_GET, "/subscription-cancel", cal_h_subscription_cancel, CAL_AUTH_NONE, CAL_RATE_API,
	    "subscription_cancel"),
};

const int cal_routes_count = (int)(sizeof cal_routes / sizeof cal_routes[0]);
