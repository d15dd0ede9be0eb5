/*
 * `caloria cleanup`: one DELETE per kind of expired row, each bounded so a long backlog is removed in
 * batches without holding locks for long.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "caloria/db.h"
#include "caloria/log.h"
#include "caloria/maintenance.h"

#define BATCH 5000

struct sweep {
	const char *what;
	const char *sql; /* one parameter: the batch size (some also take a retention in days) */
	int days;        /* 0 = no retention parameter */
};

static const struct sweep sweeps[] = {
	{"expired admin sessions", "DELETE FROM admin_sessions WHERE expires_at < UTC_TIMESTAMP() LIMIT ?", 0},
	{"old MercadoPago notifications",
	 "DELETE FROM mp_notifications WHERE status IN ('processed', 'ignored')"
	 " AND received_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT ?",
	 CAL_CLEANUP_NOTIFICATION_DAYS},
	{"old failed admin logins",
	 "DELETE FROM admin_login_failures WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT ?",
	 CAL_CLEANUP_LOGIN_FAILURE_DAYS},
	{"finished jobs",
	 "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT ?",
	 CAL_CLEANUP_JOB_DAYS},
};

static cal_err sweep_one(cal_db *db, const struct sweep *s, unsigned long long *deleted)
{
	cal_dbresult res;
	cal_err e;

	*deleted = 0;
	do {
		cal_dbv p[2] = {CAL_DB_INT(s->days), CAL_DB_INT(BATCH)};
		memset(&res, 0, sizeof res);
		e = s->days > 0 ? cal_db_exec(db, s->sql, p, 2, &res) : cal_db_exec(db, s->sql, p + 1, 1, &res);
		if (e != CAL_OK)
			return e;
		*deleted += res.affected;
	} while (res.affected == BATCH);
	return CAL_OK;
}

cal_err cal_maintenance_cleanup(cal_ctx *ctx, FILE *out)
{
	for (size_t i = 0; i < sizeof sweeps / sizeof sweeps[0]; i++) {
		unsigned long long n = 0;
		cal_err e = sweep_one(ctx->db, &sweeps[i], &n);
		if (e != CAL_OK) {
			cal_error("database", "cleanup of %s failed: %s", sweeps[i].what, cal_strerror(e));
			return e;
		}
		if (out != NULL)
			fprintf(out, "%s: %llu deleted\n", sweeps[i].what, n);
	}
	return CAL_OK;
}

int cal_maintenance_cli_main(cal_ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: caloria cleanup\n");
		return 2;
	}
	if (cal_maintenance_cleanup(ctx, stdout) != CAL_OK) {
		fprintf(stderr, "caloria cleanup: failed (database unavailable?)\n");
		return 1;
	}
	return 0;
}
