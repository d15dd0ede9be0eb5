/*
 * A long-lived cal_db handle driven line by line from stdin, for tests that restart the server underneath
 * it (test_db_restart.sh). Commands: "ping", "query", "health" (the 80 ms ping of /health), "quit". Each
 * answer is one line:
 * "ok <ms>" or "unavailable <ms>" / "error <code> <ms>". The connection comes from CALORIA_TEST_DB_SOCKET
 * (user CALORIA_TEST_DB_USER, default root; password CALORIA_TEST_DB_PASSWORD).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caloria/db.h"
#include "caloria/log.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

static void answer(cal_err e, double ms)
{
	if (e == CAL_OK)
		printf("ok %.1f\n", ms);
	else if (e == CAL_ERR_UNAVAILABLE)
		printf("unavailable %.1f\n", ms);
	else
		printf("error %s %.1f\n", cal_err_code(e), ms);
	fflush(stdout);
}

int main(void)
{
	cal_conf conf;
	cal_arena arena;
	cal_db *db;
	char line[64];

	memset(&conf, 0, sizeof conf);
	conf.database_socket = (char *)env_or("CALORIA_TEST_DB_SOCKET", "");
	conf.database_host = (char *)"localhost";
	conf.database_user = (char *)env_or("CALORIA_TEST_DB_USER", "root");
	conf.database_password = (char *)env_or("CALORIA_TEST_DB_PASSWORD", "");
	conf.database_connect_timeout_ms = 2000;
	conf.database_query_timeout_ms = 5000;
	cal_log_init("error", env_or("CALORIA_TEST_LOG", "/dev/null"));
	cal_arena_init(&arena, 4096);
	db = cal_db_new(&conf);
	while (fgets(line, sizeof line, stdin) != NULL) {
		double t0 = now_ms();
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "ping") == 0) {
			cal_err e = cal_db_ping(db, NULL);
			answer(e, now_ms() - t0);
		} else if (strcmp(line, "health") == 0) {
			cal_err e = cal_db_ping_within(db, 80.0, NULL, NULL);
			answer(e, now_ms() - t0);
		} else if (strcmp(line, "query") == 0) {
			cal_dbrows r;
			cal_err e = cal_db_query(db, &arena, "SELECT 40 + 2", NULL, 0, &r);
			if (e == CAL_OK && cal_db_cell_int(&r, 0, 0, 0) != 42)
				e = CAL_ERR_INTERNAL;
			answer(e, now_ms() - t0);
			cal_arena_reset(&arena);
		} else if (strcmp(line, "quit") == 0) {
			break;
		} else {
			printf("error unknown_command 0\n");
			fflush(stdout);
		}
	}
	cal_db_free(db);
	cal_arena_free(&arena);
	return 0;
}
