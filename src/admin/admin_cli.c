/*
 * `caloria admin …` (SPEC §11): create an admin or viewer, change a password, create an API token. Passwords
 * come from stdin (never from argv, which other users can read in /proc); there is no default password
 * anywhere. A token is printed once and only its SHA-256 is stored. Each action is recorded in the audit log.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "caloria/admin_auth.h"
#include "caloria/auth.h"
#include "caloria/db.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: caloria admin create USER --role admin|viewer   (password on stdin)\n"
	"       caloria admin passwd USER                      (new password on stdin)\n"
	"       caloria admin token create NAME [--role admin|viewer]\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* 1–64 chars of [A-Za-z0-9._@-]: names appear in pages and logs, so nothing that needs escaping. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CAL_ADMIN_USERNAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '@' || *s == '-'))
			return false;
	return true;
}

/* One line from in without its line end; echo is off when in is a terminal. NULL on EOF. */
static char *read_password(FILE *in, const char *prompt)
{
	char buf[CAL_ADMIN_PASSWORD_MAX + 2];
	struct termios old, quiet;
	bool tty = isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;
	char *r;

	if (tty) {
		fprintf(stderr, "%s: ", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSAFLUSH, &quiet);
	}
	r = fgets(buf, sizeof buf, in);
	if (tty) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	r = cal_strdup(buf);
	OPENSSL_cleanse(buf, sizeof buf);
	return r;
}

/* A password read and hashed; NULL (message printed) when it is missing or too short. */
static char *new_password_hash(FILE *in)
{
	char *pw = read_password(in, "password"), *hash = NULL;

	if (pw == NULL || strlen(pw) < CAL_ADMIN_PASSWORD_MIN) {
		fprintf(stderr, "caloria admin: the password (one line on stdin) needs at least %d characters\n",
			CAL_ADMIN_PASSWORD_MIN);
	} else if (strlen(pw) > CAL_ADMIN_PASSWORD_MAX) {
		fprintf(stderr, "caloria admin: the password is longer than %d bytes\n", CAL_ADMIN_PASSWORD_MAX);
	} else if (cal_admin_password_hash(pw, &hash) != CAL_OK) {
		fprintf(stderr, "caloria admin: could not hash the password\n");
	}
	if (pw != NULL) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
	return hash;
}

static int role_arg(int argc, char **argv, int from, const char **role, const char *def)
{
	*role = def;
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			*role = argv[++i];
		else if (strncmp(argv[i], "--role=", 7) == 0)
			*role = argv[i] + 7;
		else
			return -1;
	}
	return *role != NULL && (strcmp(*role, "admin") == 0 || strcmp(*role, "viewer") == 0) ? 0 : -1;
}

static int create(cal_ctx *ctx, const char *user, const char *role, FILE *in)
{
	static const char sql[] = "INSERT INTO admin_users (username, password_hash, role) VALUES (?, ?, ?)";
	cal_dbresult res = {0};
	char *hash = new_password_hash(in);
	cal_err e;

	if (hash == NULL)
		return 1;
	cal_dbv p[] = {CAL_DB_STR(user), CAL_DB_STR(hash), CAL_DB_STR(role)};
	e = cal_db_exec(ctx->db, sql, p, 3, &res);
	free(hash);
	if (e != CAL_OK) {
		fprintf(stderr, "caloria admin create: %s\n",
			cal_db_last_was_duplicate(ctx->db) ? "that user already exists" : "database unavailable");
		return 1;
	}
	char detail[128];
	snprintf(detail, sizeof detail, "cli: created %s (%s)", user, role);
	cal_admin_audit(ctx, 0, "admin_created", detail);
	printf("admin user %s (%s) created\n", user, role);
	return 0;
}

static int passwd(cal_ctx *ctx, const char *user, FILE *in)
{
	static const char sql[] = "UPDATE admin_users SET password_hash = ? WHERE username = ?";
	static const char end_sessions[] =
		"DELETE s FROM admin_sessions s JOIN admin_users u ON u.id = s.admin_user_id WHERE u.username = ?";
	cal_dbresult res = {0};
	char *hash = new_password_hash(in);
	cal_err e;

	if (hash == NULL)
		return 1;
	cal_dbv p[] = {CAL_DB_STR(hash), CAL_DB_STR(user)};
	e = cal_db_exec(ctx->db, sql, p, 2, &res);
	free(hash);
	if (e == CAL_OK && res.affected == 0) {
		fprintf(stderr, "caloria admin passwd: no such user\n");
		return 1;
	}
	/* A changed password ends the account's open sessions: whoever knew the old one is logged out. */
	if (e == CAL_OK)
		e = cal_db_exec(ctx->db, end_sessions, p + 1, 1, NULL);
	if (e != CAL_OK) {
		fprintf(stderr, "caloria admin passwd: database unavailable\n");
		return 1;
	}
	char detail[128];
	snprintf(detail, sizeof detail, "cli: password of %s", user);
	cal_admin_audit(ctx, 0, "admin_password_changed", detail);
	printf("password of %s changed; its sessions were ended\n", user);
	return 0;
}

static int token_create(cal_ctx *ctx, const char *name, const char *role)
{
	static const char sql[] = "INSERT INTO api_tokens (name, token_hash, role) VALUES (?, ?, ?)";
	char raw[41], token[48], hash[65];

	if (cal_admin_random_hex(raw, 20) != 0) {
		fprintf(stderr, "caloria admin token create: no randomness available\n");
		return 1;
	}
	snprintf(token, sizeof token, "cal_%s", raw);
	cal_auth_sha256_hex(token, strlen(token), hash);
	cal_dbv p[] = {CAL_DB_STR(name), CAL_DB_STR(hash), CAL_DB_STR(role)};
	if (cal_db_exec(ctx->db, sql, p, 3, NULL) != CAL_OK) {
		fprintf(stderr, "caloria admin token create: database unavailable\n");
		return 1;
	}
	char detail[128];
	snprintf(detail, sizeof detail, "cli: token %s (%s)", name, role);
	cal_admin_audit(ctx, 0, "admin_token_created", detail);
	/* The only time the token is ever shown: stdout alone, so `TOKEN=$(caloria admin token create x)` works. */
	printf("%s\n", token);
	fprintf(stderr, "token %s (%s) created; it is shown only this once\n", name, role);
	OPENSSL_cleanse(token, sizeof token);
	return 0;
}

int cal_admin_cli_run(cal_ctx *ctx, int argc, char **argv, FILE *in)
{
	const char *role;

	if (argc >= 3 && strcmp(argv[1], "create") == 0) {
		if (!name_ok(argv[2]) || role_arg(argc, argv, 3, &role, NULL) != 0)
			return usage();
		return create(ctx, argv[2], role, in);
	}
	if (argc == 3 && strcmp(argv[1], "passwd") == 0)
		return name_ok(argv[2]) ? passwd(ctx, argv[2], in) : usage();
	if (argc >= 4 && strcmp(argv[1], "token") == 0 && strcmp(argv[2], "create") == 0) {
		if (!name_ok(argv[3]) || role_arg(argc, argv, 4, &role, "admin") != 0)
			return usage();
		return token_create(ctx, argv[3], role);
	}
	return usage();
}

int cal_admin_cli_main(cal_ctx *ctx, int argc, char **argv)
{
	return cal_admin_cli_run(ctx, argc, argv, stdin);
}
