/*
 * Admin authentication (SPEC §10, §4.4): scrypt password hashes, server-side sessions behind the signed
 * caloria_session cookie, CSRF tokens for every form, the failed-login lockout, API tokens with a role, and
 * the audit trail of admin actions. The pipeline's auth stage calls the *_from_headers functions, which
 * look only at headers and cookies; form tokens are checked by the handlers once the body is read.
 */
#ifndef CALORIA_ADMIN_AUTH_H
#define CALORIA_ADMIN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/http.h"

#define CAL_ADMIN_PASSWORD_MIN 12   /* characters a new password needs at least */
#define CAL_ADMIN_PASSWORD_MAX 1024 /* bytes; longer input is refused before hashing */
#define CAL_ADMIN_USERNAME_MAX 64
#define CAL_ADMIN_LOCKOUT_FAILURES 5   /* failed logins per username and per IP … */
#define CAL_ADMIN_LOCKOUT_WINDOW_S 900 /* … within 15 minutes, then 429 (§4.4) */
#define CAL_ADMIN_SESSION_COOKIE "caloria_session"
#define CAL_ADMIN_LOGIN_COOKIE "caloria_login" /* nonce the login form's CSRF token is bound to */

typedef enum cal_admin_role {
	CAL_ROLE_VIEWER = 0, /* read-only, never sees a full subscriber id */
	CAL_ROLE_ADMIN
} cal_admin_role;

/* Who authenticated a request: an admin session or an API token (request arena). */
typedef struct cal_admin_who {
	long long admin_id;    /* admin_users.id; 0 for an API token */
	long long token_id;    /* api_tokens.id; 0 for a session */
	const char *username;  /* the admin's name, or the token's name */
	cal_admin_role role;
	const char *csrf;      /* the session's CSRF token (sessions only) */
} cal_admin_who;

/* "scrypt$N$r$p$<salt hex>$<key hex>" with a fresh salt, into *out (malloc'd). */
cal_err cal_admin_password_hash(const char *password, char **out);
/* True when password matches a stored hash (constant-time comparison; malformed hashes never match). */
bool cal_admin_password_verify(const char *password, const char *stored);
/* n random bytes as 2n lowercase hex chars into out[2n + 1]; 0 or -1. */
int cal_admin_random_hex(char *out, size_t nbytes);
/* HMAC-SHA256 of msg under key, as 64 hex chars into out[65]. */
void cal_admin_hmac_hex(const char *key, const char *msg, char out[65]);

/* The admin session of the request's cookie: CAL_OK (*who filled), CAL_ERR_UNAUTHORIZED, CAL_ERR_UNAVAILABLE. */
cal_err cal_admin_session_from_headers(cal_ctx *ctx, cal_request *req, cal_admin_who **who);
/* The API token of the Authorization header, with its role. */
cal_err cal_admin_token_from_headers(cal_ctx *ctx, cal_request *req, cal_admin_who **who);

/*
 * Checks username/password with the lockout of §4.4. CAL_OK: *admin_id and *role set. CAL_ERR_UNAUTHORIZED:
 * wrong (the failure is recorded). CAL_ERR_RATE_LIMITED: locked out, *retry_after set.
 */
cal_err cal_admin_login_check(cal_ctx *ctx, cal_request *req, const char *username, const char *password,
			      long long *admin_id, unsigned *retry_after);
/* Creates a session; *cookie is the Set-Cookie value (request arena). */
cal_err cal_admin_session_create(cal_ctx *ctx, cal_request *req, long long admin_id, const char **cookie);
/* Deletes the request's session server-side; *cookie is the Set-Cookie value that clears it. */
cal_err cal_admin_session_delete(cal_ctx *ctx, cal_request *req, const char **cookie);
/* The login form: the nonce cookie to set (Set-Cookie value) and the token bound to it. */
void cal_admin_login_csrf_issue(cal_ctx *ctx, cal_request *req, const char **cookie, const char **token);
/* The login form's csrf_token matches the request's nonce cookie. */
bool cal_admin_login_csrf_ok(cal_ctx *ctx, const cal_request *req, const char *token);
/* A form's csrf_token matches the session's. */
bool cal_admin_csrf_ok(const cal_admin_who *who, const char *token);

/* Audit: one activity_log row for an admin action (admin_id 0 = the command line). Failures are logged. */
void cal_admin_audit(cal_ctx *ctx, long long admin_id, const char *event, const char *detail);

/* Command line (SPEC §11): `caloria admin create|passwd|token create`. Exit status 0, 1 or 2. */
int cal_admin_cli_main(cal_ctx *ctx, int argc, char **argv);
/* The same with the password read from in (tests). */
int cal_admin_cli_run(cal_ctx *ctx, int argc, char **argv, FILE *in);

#endif
