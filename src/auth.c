/*
 * Route authentication. The pipeline calls cal_auth_check() with the route's auth kind before the handler
 * runs. MercadoPago signatures are checked here from the query string and headers alone (billing_signature.c
 * owns the format), so a forged notification is refused before its body is read; signed subscribe links are
 * verified by their handler, which needs the user they name.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "caloria/auth.h"
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

static const char SQL_TOKEN_LOOKUP[] =
	"SELECT id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL";
static const char SQL_TOKEN_USED[] =
	"UPDATE api_tokens SET last_used_at = UTC_TIMESTAMP() WHERE id = ?";

cal_err cal_auth_api_token(cal_ctx *ctx, cal_request *req, const char *token, long long *token_id)
{
	char hash[65];
	cal_dbrows rows;
	cal_err e;

	if (token == NULL || strlen(token) < 16 || strlen(token) > 200)
		return CAL_ERR_UNAUTHORIZED;
	cal_auth_sha256_hex(token, strlen(token), hash);
	cal_dbv p[] = {CAL_DB_STR(hash)};
	e = cal_db_query(ctx->db, req->arena, SQL_TOKEN_LOOKUP, p, 1, &rows);
	if (e != CAL_OK)
		return e;
	if (rows.nrows != 1)
		return CAL_ERR_UNAUTHORIZED;
	*token_id = cal_db_cell_int(&rows, 0, 0, 0);
	cal_dbv q[] = {CAL_DB_INT(*token_id)};
	if (cal_db_exec(ctx->db, SQL_TOKEN_USED, q, 1, NULL) != CAL_OK)
		cal_warn("security", "could not record api token use");
	return CAL_OK;
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

/* Operators' endpoints: loopback callers, or an API token. Admin sessions are accepted by the admin module. */
static cal_err check_ops(cal_ctx *ctx, cal_request *req)
{
	long long id;
	const char *token = cal_auth_bearer(req);

	if (token == NULL && cal_auth_is_loopback(req->client_ip))
		return CAL_OK;
	cal_err e = cal_auth_api_token(ctx, req, token, &id);
	if (e == CAL_OK)
		req->principal = cal_arena_printf(req->arena, "token:%lld", id);
	return e;
}

static cal_err check_token(cal_ctx *ctx, cal_request *req)
{
	long long id;
	cal_err e = cal_auth_api_token(ctx, req, cal_auth_bearer(req), &id);
	if (e == CAL_OK)
		req->principal = cal_arena_printf(req->arena, "token:%lld", id);
	return e;
}

cal_err cal_auth_check(cal_ctx *ctx, cal_request *req, cal_auth kind)
{
	switch (kind) {
	case CAL_AUTH_NONE:
	case CAL_AUTH_SIGNED_LINK:
		return CAL_OK;
	case CAL_AUTH_MP_SIGNATURE:
		return cal_billing_sig_check(ctx, req);
	case CAL_AUTH_WEBHOOK_TOKEN:
		return check_webhook_token(ctx, req);
	case CAL_AUTH_OPS:
		return check_ops(ctx, req);
	case CAL_AUTH_SESSION_OR_TOKEN:
		return check_token(ctx, req);
	case CAL_AUTH_CSRF:
	case CAL_AUTH_SESSION:
	case CAL_AUTH__MAX:
		break;
	}
	/* Admin sessions arrive with the admin panel; until then nothing passes. */
	return CAL_ERR_UNAUTHORIZED;
}
