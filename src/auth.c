/*
 * Route authentication. The pipeline calls cal_auth_check() with the route's auth kind before the handler
 * runs, and it looks only at headers, cookies and the query string: admin sessions and API tokens
 * (admin_auth.c), MercadoPago signatures from the query string and headers alone (billing_signature.c owns
 * the format) and signed subscribe links from their query's token (billing_link.c), so a forged
 * notification or link is refused before its body is read. Form CSRF tokens are checked by the admin handlers.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "caloria/admin_auth.h"
#include "caloria/auth.h"
#include "caloria/billing_link.h"
#include "caloria/billing_signature.h"
#include "caloria/db.h"
#include "caloria/log.h"

bool cal_auth_secret_eq(const char *secret, const char *candidate)
{
	if (secret == NULL || candidate == NULL || secret[0] == '\0')
		return false;
	/* Hash both sides so the comparison length never depends on the secret's length. */
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)secret, strlen(secret), a);
	SHA256((const unsigned char *)candidate, strlen(candidate), b);
	return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

const char *cal_auth_bearer(const cal_request *req)
{
	const char *h = cal_http_header(req, "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

bool cal_auth_is_loopback(const char *ip)
{
	if (ip == NULL)
		return false;
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 || strncmp(ip, "::ffff:127.", 11) == 0;
}

void cal_auth_sha256_hex(const char *s, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, len, d);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

static cal_err check_webhook_token(cal_ctx *ctx, cal_request *req)
{
	const char *secret = ctx->conf.manychat_webhook_token;
	const char *given = cal_http_header(req, "X-Caloria-Token");
	if (given == NULL)
		given = cal_auth_bearer(req);
	if (!cal_auth_secret_eq(secret, given)) {
		cal_warn("security", "webhook token %s from %s", given ? "wrong" : "missing", req->client_ip);
		return CAL_ERR_UNAUTHORIZED;
	}
	return CAL_OK;
}

static void set_principal(cal_request *req, const cal_admin_who *who)
{
	req->who = who;
	req->principal = who->token_id > 0 ? cal_arena_printf(req->arena, "token:%lld", who->token_id)
					   : cal_arena_printf(req->arena, "admin:%lld", who->admin_id);
}

/* An admin session cookie, else an API bearer token (SPEC §10); headers and cookies only. */
static cal_err check_session_or_token(cal_ctx *ctx, cal_request *req, bool token_allowed)
{
	cal_admin_who *who = NULL;
	cal_err e = token_allowed && cal_auth_bearer(req) != NULL ? cal_admin_token_from_headers(ctx, req, &who)
								  : cal_admin_session_from_headers(ctx, req, &who);
	if (e == CAL_OK)
		set_principal(req, who);
	return e;
}

/*
 * Operators' endpoints (§4.3): an API token, an admin session (role admin: a viewer gets 403), or a
 * loopback caller without credentials.
 */
static cal_err check_ops(cal_ctx *ctx, cal_request *req)
{
	bool creds = cal_auth_bearer(req) != NULL || cal_http_cookie(req, CAL_ADMIN_SESSION_COOKIE) != NULL;

	if (!creds && cal_auth_is_loopback(req->client_ip))
		return CAL_OK;
	cal_err e = check_session_or_token(ctx, req, true);
	if (e == CAL_OK && req->who->token_id == 0 && req->who->role != CAL_ROLE_ADMIN)
		return CAL_ERR_FORBIDDEN;
	return e;
}

/* The login form: its CSRF nonce cookie must be there; the handler compares the form's token with it. */
static cal_err check_login_form(cal_request *req)
{
	return cal_http_cookie(req, CAL_ADMIN_LOGIN_COOKIE) != NULL ? CAL_OK : CAL_ERR_FORBIDDEN;
}

cal_err cal_auth_check(cal_ctx *ctx, cal_request *req, cal_auth kind)
{
	switch (kind) {
	case CAL_AUTH_NONE:
		return CAL_OK;
	case CAL_AUTH_SIGNED_LINK:
		return cal_billing_link_check(&ctx->conf, cal_http_query(req, "t"), req->arena);
	case CAL_AUTH_MP_SIGNATURE:
		return cal_billing_sig_check(ctx, req);
	case CAL_AUTH_WEBHOOK_TOKEN:
		return check_webhook_token(ctx, req);
	case CAL_AUTH_OPS:
		return check_ops(ctx, req);
	case CAL_AUTH_SESSION_OR_TOKEN:
		return check_session_or_token(ctx, req, true);
	case CAL_AUTH_SESSION:
		return check_session_or_token(ctx, req, false);
	case CAL_AUTH_CSRF:
		return check_login_form(req);
	case CAL_AUTH__MAX:
		break;
	}
	return CAL_ERR_UNAUTHORIZED;
}
