/*
 * The benchmark baseline for writes (SPEC §15): a libfcgi responder doing one durable INSERT per request
 * through a prepared statement of the MariaDB C API, autocommit on (InnoDB flushes the log at every commit),
 * so bench/run can compare Caloria's food-log webhooks to the cost of the one write they cannot avoid.
 * Connection settings come from the environment: BASELINE_DB_SOCKET, BASELINE_DB_USER,
 * BASELINE_DB_PASSWORD, BASELINE_DB_NAME. The table is created by bench/run:
 *   bench_baseline (id BIGINT AUTO_INCREMENT PRIMARY KEY, body TEXT, created_at DATETIME)
 * BASELINE_SQL replaces the INSERT with another statement of one string parameter (the body); bench/run
 * uses it for the floor of a food log, a CALL of the bare writes every food log must make, so the HTTP
 * side of that floor is measured by the same responder rather than estimated.
 */
#include <fcgiapp.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY 65536

static const char insert_sql[] = "INSERT INTO bench_baseline (body, created_at) VALUES (?, UTC_TIMESTAMP())";

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL ? v : fallback;
}

/* Reads at most MAX_BODY bytes of the request body into buf; returns the length. */
static unsigned long
read_body(FCGX_Request *req, char *buf)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	long want = cl != NULL ? strtol(cl, NULL, 10) : 0;
	int got;

	if (want <= 0)
		return 0;
	if (want > MAX_BODY)
		want = MAX_BODY;
	got = FCGX_GetStr(buf, (int)want, req->in);
	return got > 0 ? (unsigned long)got : 0;
}

static void
reply(FCGX_Request *req, int ok, unsigned long long id)
{
	if (ok)
		FCGX_FPrintF(req->out, "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
				       "{\"id\":%llu}", id);
	else
		FCGX_FPrintF(req->out, "Status: 503 Service Unavailable\r\n"
				       "Content-Type: application/json; charset=utf-8\r\n\r\n{\"error\":\"insert failed\"}");
}

int
main(void)
{
	static char body[MAX_BODY];
	MYSQL *db = NULL;
	MYSQL_STMT *stmt = NULL;
	MYSQL_BIND bind;
	unsigned long body_len = 0;
	FCGX_Request req;
	const char *sql;
	int rc = 1;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("insert: FastCGI initialisation failed\n", stderr);
		goto out;
	}
	db = mysql_init(NULL);
	if (db == NULL || mysql_real_connect(db, NULL, env_or("BASELINE_DB_USER", "caloria"),
					     env_or("BASELINE_DB_PASSWORD", ""), env_or("BASELINE_DB_NAME", "caloria"),
					     0, getenv("BASELINE_DB_SOCKET"), 0) == NULL) {
		fprintf(stderr, "insert: connect: %s\n", db != NULL ? mysql_error(db) : "out of memory");
		goto out;
	}
	sql = env_or("BASELINE_SQL", insert_sql);
	stmt = mysql_stmt_init(db);
	if (stmt == NULL || mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
		fprintf(stderr, "insert: prepare: %s\n", mysql_error(db));
		goto out;
	}
	memset(&bind, 0, sizeof(bind));
	bind.buffer_type = MYSQL_TYPE_STRING;
	bind.buffer = body;
	bind.buffer_length = sizeof(body);
	bind.length = &body_len;
	if (mysql_stmt_bind_param(stmt, &bind) != 0) {
		fprintf(stderr, "insert: bind: %s\n", mysql_stmt_error(stmt));
		goto out;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		body_len = read_body(&req, body);
		int ok = mysql_stmt_execute(stmt) == 0;

		/* A CALL ends with a status result of its own; it must be read before the next execute. */
		while (ok && mysql_stmt_next_result(stmt) == 0)
			;
		reply(&req, ok, ok ? (unsigned long long)mysql_stmt_insert_id(stmt) : 0);
		FCGX_Finish_r(&req);
	}
	rc = 0;
out:
	if (stmt != NULL)
		mysql_stmt_close(stmt);
	if (db != NULL)
		mysql_close(db);
	return rc;
}
