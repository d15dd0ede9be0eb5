/*
 * Admin authentication (SPEC §10): passwords, sessions, CSRF, lockout, API tokens, audit.
 *
 * Passwords are scrypt (EVP_PBE_scrypt) with a per-user random salt; the parameters travel with the hash
 * ("scrypt$N$r$p$salt$key"), so they can be raised later without invalidating stored hashes.
 *
 * A session is 32 random bytes. The cookie carries them in hex with an HMAC-SHA256 under
 * admin.session_secret, so a forged or truncated cookie is refused before the database is asked; the
 * database keeps only the SHA-256 of the id, so a leaked admin_sessions table opens no session.
 *
 * CSRF: a session has its own random token (admin_sessions.csrf_token) that every panel form carries. The
 * login form has no session yet, so its token is the HMAC of a random nonce kept in a SameSite=Strict
 * cookie: another site can neither read the cookie nor compute the token.
 *
 * Lockout (§4.4): failed logins are rows of admin_login_failures, counted per username and per client IP
 * over 15 minutes. They live in the database, not the shared segment, so the lockout holds across pool
 * restarts and across hosts (§15b).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "caloria/admin_auth.h"
#include "caloria/auth.h"
#include "caloria/db.h"
#include "caloria/log.h"

/* scrypt cost: 16 MiB and ~50 ms per hash on the reference machine; verify accepts up to these bounds. */
#define SCRYPT_N 16384ULL
#define SCRYPT_R 8ULL
#define SCRYPT_P 1ULL
#define SCRYPT_MAX_N (1ULL << 20)
#define SCRYPT_MAXMEM (256ULL * 1024 * 1024)
#define SALT_BYTES 16
#define KEY_BYTES 32
#define SESSION_BYTES 32
#define TOKEN_USE_RESOLUTION_S 60 /* api_tokens.last_used_at is written at most once a minute */

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int from_hex(const char *in, size_t len, unsigned char *out, size_t max)
{
	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = nibble(in[2 * i]), lo = nibble(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0' || s[n] == '.';
}

int cal_admin_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];

	if (nbytes > sizeof buf || RAND_bytes(buf, (int)nbytes) != 1)
		return -1;
	to_hex(buf, nbytes, out);
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

void cal_admin_hmac_hex(const char *key, const char *msg, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &len);
	to_hex(mac, len > 32 ? 32 : len, out);
}

/* Constant-time equality of two hex strings of the same expected length. */
static bool hex_eq(const char *a, const char *b, size_t n)
{
	if (a == NULL || b == NULL || strlen(a) != n || strlen(b) != n)
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---- passwords ------------------------------------------------------------------------------------- */

static int scrypt_key(const char *pw, const unsigned char *salt, size_t saltlen, unsigned long long n,
		      unsigned long long r, unsigned long long p, unsigned char *key, size_t keylen)
{
	return EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, n, r, p, SCRYPT_MAXMEM, key, keylen) == 1 ? 0 : -1;
}

cal_err cal_admin_password_hash(const char *password, char **out)
{
	unsigned char salt[SALT_BYTES], key[KEY_BYTES];
	char salt_hex[2 * SALT_BYTES + 1], key_hex[2 * KEY_BYTES + 1], buf[160];

	*out = NULL;
	if (password == NULL || strlen(password) > CAL_ADMIN_PASSWORD_MAX)
		return CAL_ERR_VALIDATION;
	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    scrypt_key(password, salt, sizeof salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, key, sizeof key) != 0)
		return CAL_ERR_INTERNAL;
	to_hex(salt, sizeof salt, salt_hex);
	to_hex(key, sizeof key, key_hex);
	OPENSSL_cleanse(key, sizeof key);
	snprintf(buf, sizeof buf, "scrypt$%llu$%llu$%llu$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P, salt_hex, key_hex);
	*out = cal_strdup(buf);
	return CAL_OK;
}

bool cal_admin_password_verify(const char *password, const char *stored)
{
	unsigned long long n, r, p;
	char salt_hex[129], key_hex[129];
	unsigned char salt[64], want[64], got[64];
	int saltlen, keylen;
	bool ok;

	if (password == NULL || stored == NULL || strlen(password) > CAL_ADMIN_PASSWORD_MAX)
		return false;
	if (sscanf(stored, "scrypt$%llu$%llu$%llu$%128[0-9a-f]$%128[0-9a-f]", &n, &r, &p, salt_hex, key_hex) != 5)
		return false;
	/* Bounds keep a tampered row from making a login burn unbounded memory or time. */
	if (n < 2 || n > SCRYPT_MAX_N || (n & (n - 1)) != 0 || r < 1 || r > 32 || p < 1 || p > 16)
		return false;
	saltlen = from_hex(salt_hex, strlen(salt_hex), salt, sizeof salt);
	keylen = from_hex(key_hex, strlen(key_hex), want, sizeof want);
	if (saltlen < 8 || keylen < 16)
		return false;
	if (scrypt_key(password, salt, (size_t)saltlen, n, r, p, got, (size_t)keylen) != 0)
		return false;
	ok = CRYPTO_memcmp(got, want, (size_t)keylen) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return ok;
}

/* ---- sessions -------------------------------------------------------------------------------------- */

static bool secure_cookies(const cal_ctx *ctx)
{
	const char *u = ctx->conf.server_public_url;
	return u != NULL && strncmp(u, "https://", 8) == 0;
}

static const char *cookie_value(cal_ctx *ctx, cal_request *req, const char *name, const char *value,
				const char *path, long max_age)
{
	return cal_arena_printf(req->arena, "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name, value,
				path, max_age, secure_cookies(ctx) ? "; Secure" : "");
}

/* The raw session id of a well-formed, correctly signed cookie, else NULL. */
static const char *session_id_of(cal_ctx *ctx, const cal_request *req)
{
	const char *c = cal_http_cookie(req, CAL_ADMIN_SESSION_COOKIE);
	const char *secret = ctx->conf.admin_session_secret;
	char mac[65];

	if (c == NULL || secret == NULL || secret[0] == '\0' || strlen(c) != 2 * SESSION_BYTES + 1 + 64 ||
	    c[2 * SESSION_BYTES] != '.' || !is_hex(c, 2 * SESSION_BYTES))
		return NULL;
	char *id = cal_arena_strndup(req->arena, c, 2 * SESSION_BYTES);
	cal_admin_hmac_hex(secret, id, mac);
	return hex_eq(mac, c + 2 * SESSION_BYTES + 1, 64) ? id : NULL;
}

static const char SQL_SESSION[] =
	"SELECT s.admin_user_id, u.username, u.role, s.csrf_token FROM admin_sessions s"
	" JOIN admin_users u ON u.id = s.admin_user_id WHERE s.id = ? AND s.expires_at > UTC_TIMESTAMP()";

cal_err cal_admin_session_from_headers(cal_ctx *ctx, cal_request *req, cal_admin_who **who)
{
	const char *id = session_id_of(ctx, req);
	char hash[65];
	cal_dbrows rows;
	cal_err e;

	*who = NULL;
	if (id == NULL)
		return CAL_ERR_UNAUTHORIZED;
	cal_auth_sha256_hex(id, strlen(id), hash);
	cal_dbv p[] = {CAL_DB_STR(hash)};
	e = cal_db_query(ctx->db, req->arena, SQL_SESSION, p, 1, &rows);
	if (e != CAL_OK)
		return e;
	if (rows.nrows != 1)
		return CAL_ERR_UNAUTHORIZED;
	cal_admin_who *w = cal_arena_alloc(req->arena, sizeof *w);
	w->admin_id = cal_db_cell_int(&rows, 0, 0, 0);
	w->username = cal_db_cell(&rows, 0, 1);
	w->role = strcmp(cal_db_cell(&rows, 0, 2), "admin") == 0 ? CAL_ROLE_ADMIN : CAL_ROLE_VIEWER;
	w->csrf = cal_db_cell(&rows, 0, 3);
	*who = w;
	return CAL_OK;
}

static const char SQL_TOKEN[] =
	"SELECT id, name, role, last_used_at IS NULL OR last_used_at < UTC_TIMESTAMP() - INTERVAL ? SECOND"
	" FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL";
static const char SQL_TOKEN_USED[] = "UPDATE api_tokens SET last_used_at = UTC_TIMESTAMP() WHERE id = ?";

cal_err cal_admin_token_from_headers(cal_ctx *ctx, cal_request *req, cal_admin_who **who)
{
	const char *token = cal_auth_bearer(req);
	char hash[65];
	cal_dbrows rows;
	cal_err e;

	*who = NULL;
	if (token == NULL || strlen(token) < 16 || strlen(token) > 200)
		return CAL_ERR_UNAUTHORIZED;
	cal_auth_sha256_hex(token, strlen(token), hash);
	cal_dbv p[] = {CAL_DB_INT(TOKEN_USE_RESOLUTION_S), CAL_DB_STR(hash)};
	e = cal_db_query(ctx->db, req->arena, SQL_TOKEN, p, 2, &rows);
	if (e != CAL_OK)
		return e;
	if (rows.nrows != 1)
		return CAL_ERR_UNAUTHORIZED;
	cal_admin_who *w = cal_arena_alloc(req->arena, sizeof *w);
	w->token_id = cal_db_cell_int(&rows, 0, 0, 0);
	w->username = cal_db_cell(&rows, 0, 1);
	w->role = strcmp(cal_db_cell(&rows, 0, 2), "admin") == 0 ? CAL_ROLE_ADMIN : CAL_ROLE_VIEWER;
	if (cal_db_cell_int(&rows, 0, 3, 0) == 1) {
		cal_dbv q[] = {CAL_DB_INT(w->token_id)};
		if (cal_db_exec(ctx->db, SQL_TOKEN_USED, q, 1, NULL) != CAL_OK)
			cal_warn("security", "could not record api token use");
	}
	*who = w;
	return CAL_OK;
}

static const char SQL_SESSION_NEW[] =
	"INSERT INTO admin_sessions (id, admin_user_id, csrf_token, expires_at, client_ip)"
	" VALUES (?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, ?)";
static const char SQL_LAST_LOGIN[] = "UPDATE admin_users SET last_login_at = UTC_TIMESTAMP() WHERE id = ?";

cal_err cal_admin_session_create(cal_ctx *ctx, cal_request *req, long long admin_id, const char **cookie)
{
	const char *secret = ctx->conf.admin_session_secret;
	char id[2 * SESSION_BYTES + 1], csrf[65], hash[65], mac[65];
	cal_err e;

	if (secret == NULL || secret[0] == '\0')
		return CAL_ERR_UNAVAILABLE;
	if (cal_admin_random_hex(id, SESSION_BYTES) != 0 || cal_admin_random_hex(csrf, 32) != 0)
		return CAL_ERR_INTERNAL;
	cal_auth_sha256_hex(id, strlen(id), hash);
	cal_dbv p[] = {CAL_DB_STR(hash), CAL_DB_INT(admin_id), CAL_DB_STR(csrf),
		       CAL_DB_INT(ctx->conf.admin_session_ttl_s), CAL_DB_STR(req->client_ip)};
	e = cal_db_exec(ctx->db, SQL_SESSION_NEW, p, 5, NULL);
	if (e != CAL_OK)
		return e;
	cal_dbv q[] = {CAL_DB_INT(admin_id)};
	(void)cal_db_exec(ctx->db, SQL_LAST_LOGIN, q, 1, NULL);
	cal_admin_hmac_hex(secret, id, mac);
	*cookie = cookie_value(ctx, req, CAL_ADMIN_SESSION_COOKIE, cal_arena_printf(req->arena, "%s.%s", id, mac), "/",
			       ctx->conf.admin_session_ttl_s);
	return CAL_OK;
}

cal_err cal_admin_session_delete(cal_ctx *ctx, cal_request *req, const char **cookie)
{
	static const char sql[] = "DELETE FROM admin_sessions WHERE id = ?";
	const char *id = session_id_of(ctx, req);
	char hash[65];

	*cookie = cookie_value(ctx, req, CAL_ADMIN_SESSION_COOKIE, "", "/", 0);
	if (id == NULL)
		return CAL_OK;
	cal_auth_sha256_hex(id, strlen(id), hash);
	cal_dbv p[] = {CAL_DB_STR(hash)};
	return cal_db_exec(ctx->db, sql, p, 1, NULL);
}

/* ---- CSRF ------------------------------------------------------------------------------------------ */

static const char *login_nonce(const cal_request *req)
{
	const char *n = cal_http_cookie(req, CAL_ADMIN_LOGIN_COOKIE);
	return n != NULL && strlen(n) == 32 && is_hex(n, 32) ? n : NULL;
}

static void login_token(cal_ctx *ctx, const char *nonce, char out[65])
{
	char msg[64];

	snprintf(msg, sizeof msg, "login:%s", nonce);
	cal_admin_hmac_hex(ctx->conf.admin_session_secret != NULL ? ctx->conf.admin_session_secret : "", msg, out);
}

void cal_admin_login_csrf_issue(cal_ctx *ctx, cal_request *req, const char **cookie, const char **token)
{
	const char *nonce = login_nonce(req);
	char fresh[33], tok[65];

	if (nonce == NULL) {
		if (cal_admin_random_hex(fresh, 16) != 0)
			snprintf(fresh, sizeof fresh, "%032lx", (unsigned long)time(NULL)); /* the form then fails: safe */
		nonce = cal_arena_strdup(req->arena, fresh);
	}
	login_token(ctx, nonce, tok);
	*cookie = cookie_value(ctx, req, CAL_ADMIN_LOGIN_COOKIE, nonce, "/admin", 3600);
	*token = cal_arena_strdup(req->arena, tok);
}

bool cal_admin_login_csrf_ok(cal_ctx *ctx, const cal_request *req, const char *token)
{
	const char *nonce = login_nonce(req);
	char want[65];

	if (nonce == NULL || ctx->conf.admin_session_secret == NULL || ctx->conf.admin_session_secret[0] == '\0')
		return false;
	login_token(ctx, nonce, want);
	return hex_eq(want, token, 64);
}

bool cal_admin_csrf_ok(const cal_admin_who *who, const char *token)
{
	return who != NULL && who->csrf != NULL && hex_eq(who->csrf, token, strlen(who->csrf));
}

/* ---- login and lockout ----------------------------------------------------------------------------- */

static const char SQL_FAILS_USER[] =
	"SELECT COUNT(*), TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), MIN(created_at) + INTERVAL ? SECOND)"
	" FROM admin_login_failures WHERE username = ? AND created_at > UTC_TIMESTAMP() - INTERVAL ? SECOND";
static const char SQL_FAILS_IP[] =
	"SELECT COUNT(*), TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), MIN(created_at) + INTERVAL ? SECOND)"
	" FROM admin_login_failures WHERE client_ip = ? AND created_at > UTC_TIMESTAMP() - INTERVAL ? SECOND";
static const char SQL_FAIL_ADD[] = "INSERT INTO admin_login_failures (username, client_ip) VALUES (?, ?)";
static const char SQL_FAILS_CLEAR[] = "DELETE FROM admin_login_failures WHERE username = ?";
static const char SQL_ADMIN_BY_NAME[] = "SELECT id, password_hash FROM admin_users WHERE username = ?";

/* Seconds until key may try again (0 = not locked), or -1 on a database error. */
static long locked_for(cal_ctx *ctx, cal_request *req, const char *sql, const char *key)
{
	cal_dbrows rows;
	cal_dbv p[] = {CAL_DB_INT(CAL_ADMIN_LOCKOUT_WINDOW_S), CAL_DB_STR(key), CAL_DB_INT(CAL_ADMIN_LOCKOUT_WINDOW_S)};

	if (cal_db_query(ctx->db, req->arena, sql, p, 3, &rows) != CAL_OK || rows.nrows != 1)
		return -1;
	if (cal_db_cell_int(&rows, 0, 0, 0) < CAL_ADMIN_LOCKOUT_FAILURES)
		return 0;
	long s = (long)cal_db_cell_int(&rows, 0, 1, 1);
	return s < 1 ? 1 : s;
}

/* A stored hash to verify against when the user does not exist, so both cases cost one scrypt. */
static const char *dummy_hash(void)
{
	static char *h;
	if (h == NULL && cal_admin_password_hash("caloria-no-such-user", &h) != CAL_OK)
		return NULL;
	return h;
}

cal_err cal_admin_login_check(cal_ctx *ctx, cal_request *req, const char *username, const char *password,
			      long long *admin_id, unsigned *retry_after)
{
	const char *ip = req->client_ip != NULL ? req->client_ip : "-";
	long wait_user, wait_ip;
	cal_dbrows rows;
	cal_err e;

	*admin_id = 0;
	*retry_after = 0;
	if (username == NULL || username[0] == '\0' || strlen(username) > CAL_ADMIN_USERNAME_MAX)
		username = "";
	wait_user = username[0] != '\0' ? locked_for(ctx, req, SQL_FAILS_USER, username) : 0;
	wait_ip = locked_for(ctx, req, SQL_FAILS_IP, ip);
	if (wait_user < 0 || wait_ip < 0)
		return CAL_ERR_UNAVAILABLE;
	if (wait_user > 0 || wait_ip > 0) {
		*retry_after = (unsigned)(wait_user > wait_ip ? wait_user : wait_ip);
		cal_warn("security", "admin login refused: locked out (client %s)", ip);
		return CAL_ERR_RATE_LIMITED;
	}
	cal_dbv p[] = {CAL_DB_STR(username)};
	e = cal_db_query(ctx->db, req->arena, SQL_ADMIN_BY_NAME, p, 1, &rows);
	if (e != CAL_OK)
		return e;
	const char *stored = rows.nrows == 1 ? cal_db_cell(&rows, 0, 1) : dummy_hash();
	bool ok = cal_admin_password_verify(password != NULL ? password : "", stored) && rows.nrows == 1;
	if (ok) {
		*admin_id = cal_db_cell_int(&rows, 0, 0, 0);
		(void)cal_db_exec(ctx->db, SQL_FAILS_CLEAR, p, 1, NULL);
		cal_admin_audit(ctx, *admin_id, "admin_login", cal_arena_printf(req->arena, "ip=%s", ip));
		cal_info("security", "admin login (id %lld) from %s", *admin_id, ip);
		return CAL_OK;
	}
	cal_dbv f[] = {CAL_DB_STR(username), CAL_DB_STR(ip)};
	if (cal_db_exec(ctx->db, SQL_FAIL_ADD, f, 2, NULL) != CAL_OK)
		return CAL_ERR_UNAVAILABLE;
	/* The name is recorded only when it is an account: a password typed into the wrong field stays out. */
	cal_admin_audit(ctx, rows.nrows == 1 ? cal_db_cell_int(&rows, 0, 0, 0) : 0, "admin_login_failed",
			cal_arena_printf(req->arena, "ip=%s%s", ip, rows.nrows == 1 ? "" : " unknown user"));
	cal_warn("security", "admin login failed from %s", ip);
	return CAL_ERR_UNAUTHORIZED;
}

/* ---- audit ----------------------------------------------------------------------------------------- */

void cal_admin_audit(cal_ctx *ctx, long long admin_id, const char *event, const char *detail)
{
	static const char sql[] = "INSERT INTO activity_log (admin_user_id, event, detail) VALUES (?, ?, ?)";
	cal_dbv p[] = {admin_id > 0 ? CAL_DB_INT(admin_id) : CAL_DB_NULL, CAL_DB_STR(event), CAL_DB_STR(detail)};

	if (cal_db_exec(ctx->db, sql, p, 3, NULL) != CAL_OK)
		cal_error("security", "audit record %s could not be written", event);
}
