/*
 * The admin panel's pages (SPEC §10): login form, dashboard, users, user detail and system status, rendered
 * on the server from admin_stats.h with admin_html.h. Every page carries the logout form with the session's
 * CSRF token; every user-controlled string is escaped.
 */
#ifndef CALORIA_ADMIN_PAGES_H
#define CALORIA_ADMIN_PAGES_H

#include "caloria/admin_auth.h"
#include "caloria/ctx.h"
#include "caloria/http.h"

/* The login form (sets the CSRF nonce cookie); message NULL or a generic notice. */
void cal_admin_page_login(cal_ctx *ctx, cal_request *req, cal_response *resp, int status, const char *message);
cal_err cal_admin_page_dashboard(cal_ctx *ctx, cal_request *req, cal_response *resp);
/* page ≥ 1; q may be NULL. */
cal_err cal_admin_page_users(cal_ctx *ctx, cal_request *req, cal_response *resp, const char *q, int page);
cal_err cal_admin_page_user(cal_ctx *ctx, cal_request *req, cal_response *resp, long long id);
cal_err cal_admin_page_status(cal_ctx *ctx, cal_request *req, cal_response *resp);
/* An error as a small HTML page with the status of e (401 becomes a 303 to the login form). */
void cal_admin_page_error(cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e, const char *message);

#endif
