/*
 * Health endpoints (SPEC §13): /health (every component, 503 only when unhealthy), /health/live (the
 * process answers; no database), /health/ready (may this worker take traffic: database, migrations,
 * required config), /health/version, /health/database and /health/cache.
 *
 * Nothing here probes an external API: provider states come from the client layer's counters in the
 * shared segment, so a health check never waits on the internet. /health pings the worker's database
 * session with a deadline (cal_db_ping_within, DB_PROBE_BUDGET_MS), so it answers within 100 ms even when
 * the database host drops packets or the server hangs; /health/ready and /health/database use the ordinary
 * ping, whose connect back-off makes a dead database answer at once.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include <json-c/json.h>

#include "caloria/cache.h"
#include "caloria/db.h"
#include "caloria/dbwatch.h"
#include "caloria/apiclient.h"
#include "caloria/handlers.h"
#include "caloria/metrics.h"
#include "caloria/migrate.h"
#include "caloria/version.h"

#define READY_RECHECK_S 5          /* how long a migration check is trusted */
#define DB_SLOW_MS 50.0            /* a probe slower than this makes the database "degraded" */
#define DB_PROBE_BUDGET_MS 80.0    /* the probe gives up here, leaving /health room for its other checks */
#define LOW_DISK_MB 100
#define LOW_MEMORY_MB 50
#define ER_NO_SUCH_TABLE 1146

/* A number with a fixed number of decimals, so JSON shows 1.25 and not 1.2499999999999999. */
static struct json_object *num(double v, int decimals)
{
	char s[64];

	snprintf(s, sizeof s, "%.*f", decimals, v);
	return json_object_new_double_s(v, s);
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *str(const char *s)
{
	return json_object_new_string(s);
}

/* "2025-01-31T14:05:09.123Z" */
static struct json_object *timestamp(void)
{
	struct timespec ts;
	struct tm tm;
	char s[96];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000) % 1000);
	return str(s);
}

static cal_err reply(cal_response *resp, int status, struct json_object *o)
{
	cal_resp_json(resp, status, o);
	json_object_put(o);
	return CAL_OK;
}

/*
 * The worker's session, pinged (or opened) within DB_PROBE_BUDGET_MS: /health answers within 100 ms. A ping
 * touches no table, so a database whose tables are locked or whose statements stall still answers it;
 * what other workers saw (dbwatch: calls timed out in the last CAL_DBWATCH_WINDOW_S s) makes it degraded.
 */
static bool db_check(cal_ctx *ctx, struct json_object *parent, const char *key, bool *degraded)
{
	struct json_object *o = json_object_new_object();
	double ms = 0;
	bool timed_out = false;
	cal_err e = cal_db_ping_within(ctx->db, DB_PROBE_BUDGET_MS, &ms, &timed_out);
	bool stalled = e == CAL_OK && cal_dbwatch_recent_timeouts(ctx->shm, time(NULL));
	bool slow = e == CAL_OK && (ms > DB_SLOW_MS || stalled);

	add(o, "status", str(e != CAL_OK ? "unhealthy" : slow ? "degraded" : "healthy"));
	add(o, "latency_ms", num(ms, 2));
	if (e != CAL_OK)
		add(o, "error", str(timed_out ? "timeout" : "unavailable"));
	else if (stalled)
		add(o, "reason", str("database calls timed out in the last 30 s"));
	else if (slow)
		add(o, "reason", str("slow ping"));
	add(parent, key, o);
	*degraded = stalled; /* a slow ping alone is load, not a stall: shown, not escalated */
	return e == CAL_OK;
}

static struct json_object *cache_object(cal_ctx *ctx, bool *ok)
{
	struct json_object *o = json_object_new_object();
	struct cal_cache_stats st;
	double lookups;

	*ok = false;
	if (ctx->shm == NULL) {
		add(o, "status", str("unavailable"));
		return o;
	}
	if (cal_cache_stats(ctx->shm, &st) != 0) {
		add(o, "status", str("degraded"));
		return o;
	}
	*ok = true;
	lookups = (double)st.hits + (double)st.misses;
	add(o, "status", str("healthy"));
	add(o, "entries", json_object_new_int64((int64_t)st.entries));
	add(o, "capacity_bytes", json_object_new_int64((int64_t)st.capacity_bytes));
	add(o, "used_bytes", json_object_new_int64((int64_t)st.used_bytes));
	add(o, "hits", json_object_new_int64((int64_t)st.hits));
	add(o, "misses", json_object_new_int64((int64_t)st.misses));
	add(o, "hit_rate", num(lookups > 0 ? (double)st.hits / lookups : 0.0, 4));
	add(o, "evictions", json_object_new_int64((int64_t)st.evictions));
	return o;
}

static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/*
 * One provider: its state from the client layer (breaker and recent calls of this worker, no network
 * call), with the pool-wide call and failure counts beside it for context.
 */
static bool api_check(cal_ctx *ctx, struct json_object *parent, cal_api_provider p)
{
	struct json_object *o = json_object_new_object();
	const char *name = cal_api_provider_name(p);
	const char *status = ctx->api != NULL ? cal_api_provider_status(ctx->api, p) : "not_configured";
	unsigned long long calls = 0, failures = 0;

	add(o, "status", str(status));
	if (strcmp(status, "not_configured") != 0 && ctx->shm != NULL &&
	    cal_metrics_api_counts(ctx->shm, name, &calls, &failures) == 0) {
		add(o, "calls", json_object_new_int64((int64_t)calls));
		add(o, "failures", json_object_new_int64((int64_t)failures));
	}
	add(parent, name, o);
	return strcmp(status, "healthy") == 0 || strcmp(status, "not_configured") == 0;
}

static bool apis_check(cal_ctx *ctx, struct json_object *parent)
{
	static const cal_api_provider shown[] = {CAL_API_MANYCHAT, CAL_API_MERCADOPAGO, CAL_API_SPOONACULAR,
						 CAL_API_GEMINI, CAL_API_GOOGLE_SPEECH, CAL_API_GOOGLE_VISION};
	struct json_object *o = json_object_new_object();
	bool ok = true;

	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		ok &= api_check(ctx, o, shown[i]);
	add(parent, "external_apis", o);
	return ok;
}

static int read_meminfo_mb(long *mb)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb;
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1) {
			*mb = kb / 1024;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int read_load1(double *load)
{
	FILE *f = fopen("/proc/loadavg", "r");
	int rc;

	if (f == NULL)
		return -1;
	rc = fscanf(f, "%lf", load) == 1 ? 0 : -1;
	fclose(f);
	return rc;
}

static bool system_check(cal_ctx *ctx, struct json_object *parent)
{
	struct json_object *o = json_object_new_object();
	const char *dir = empty(ctx->conf.paths_run_dir) ? "/" : ctx->conf.paths_run_dir;
	struct statvfs vfs;
	double load;
	long mem_mb;
	bool ok = true;

	if (read_load1(&load) == 0)
		add(o, "load1", num(load, 2));
	else
		add(o, "load1", NULL);
	if (read_meminfo_mb(&mem_mb) == 0) {
		add(o, "memory_available_mb", json_object_new_int64(mem_mb));
		ok &= mem_mb >= LOW_MEMORY_MB;
	} else {
		add(o, "memory_available_mb", NULL);
	}
	if (statvfs(dir, &vfs) == 0) {
		long long free_mb = (long long)((unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024));
		add(o, "disk_free_mb", json_object_new_int64(free_mb));
		ok &= free_mb >= LOW_DISK_MB;
	} else {
		add(o, "disk_free_mb", NULL);
	}
	json_object_object_add(o, "status", str(ok ? "healthy" : "degraded"));
	add(parent, "system", o);
	return ok;
}

cal_err cal_h_health(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	struct json_object *o = json_object_new_object();
	struct json_object *checks = json_object_new_object();
	bool db_ok, db_slow, cache_ok, degraded = false;
	const char *status;

	db_ok = db_check(ctx, checks, "database", &db_slow);
	degraded |= db_slow;
	add(checks, "cache", cache_object(ctx, &cache_ok));
	degraded |= !cache_ok;
	degraded |= !apis_check(ctx, checks);
	degraded |= !system_check(ctx, checks);
	status = !db_ok ? "unhealthy" : degraded ? "degraded" : "healthy";
	add(o, "status", str(status));
	add(o, "timestamp", timestamp());
	add(o, "version", str(cal_version()));
	add(o, "uptime_seconds", json_object_new_int64((int64_t)(time(NULL) - ctx->started)));
	add(o, "checks", checks);
	return reply(resp, db_ok ? 200 : 503, o);
}

cal_err cal_h_health_live(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	struct json_object *o = json_object_new_object();

	add(o, "status", str("alive"));
	add(o, "pid", json_object_new_int64((int64_t)ctx->pid));
	add(o, "timestamp", timestamp());
	return reply(resp, 200, o);
}

/* Pending migrations, re-checked at most every READY_RECHECK_S; -1 when the check failed. */
static int pending_migrations(cal_ctx *ctx)
{
	time_t now = time(NULL);
	cal_migration_status st;

	if (ctx->ready_checked != 0 && now - ctx->ready_checked < READY_RECHECK_S && now >= ctx->ready_checked)
		return ctx->ready_pending;
	if (empty(ctx->conf.paths_schema_dir) ||
	    cal_migrate_status(ctx->db, ctx->conf.paths_schema_dir, &st, NULL) != CAL_OK)
		ctx->ready_pending = -1;
	else
		ctx->ready_pending = st.pending;
	ctx->ready_checked = now;
	return ctx->ready_pending;
}

cal_err cal_h_health_ready(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	struct json_object *o = json_object_new_object();
	struct json_object *checks = json_object_new_object();
	const char *missing = cal_conf_missing_required(&ctx->conf);
	bool db_ok = cal_db_ping(ctx->db, NULL) == CAL_OK;
	int pending = db_ok ? pending_migrations(ctx) : -1;
	bool ready;

	add(checks, "database", str(db_ok ? "ok" : "unavailable"));
	if (!db_ok)
		add(checks, "migrations", str("unknown"));
	else if (pending < 0)
		add(checks, "migrations", str("error"));
	else if (pending > 0)
		add(checks, "migrations", json_object_new_string(cal_arena_printf(req->arena, "%d pending", pending)));
	else
		add(checks, "migrations", str("ok"));
	if (missing == NULL)
		add(checks, "config", str("ok"));
	else
		add(checks, "config", json_object_new_string(cal_arena_printf(req->arena, "missing %s", missing)));
	ready = db_ok && pending == 0 && missing == NULL;
	add(o, "status", str(ready ? "ready" : "not_ready"));
	add(o, "checks", checks);
	return reply(resp, ready ? 200 : 503, o);
}

cal_err cal_h_health_version(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return reply(resp, 200, cal_version_json());
}

static struct json_object *table_estimates(cal_ctx *ctx, cal_arena *a)
{
	struct json_object *o = json_object_new_object();
	cal_dbrows rows;

	if (cal_db_query(ctx->db, a, "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES"
				     " WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME", NULL, 0, &rows) != CAL_OK)
		return o;
	for (size_t r = 0; r < rows.nrows; r++)
		if (cal_db_cell(&rows, r, 0) != NULL)
			add(o, cal_db_cell(&rows, r, 0), json_object_new_int64(cal_db_cell_int(&rows, r, 1, 0)));
	return o;
}

cal_err cal_h_health_database(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	struct json_object *o = json_object_new_object();
	cal_dbrows rows;
	double ms = 0;
	const char *ver;

	if (cal_db_ping(ctx->db, &ms) != CAL_OK) {
		add(o, "status", str("unhealthy"));
		add(o, "latency_ms", num(ms, 2));
		return reply(resp, 503, o);
	}
	add(o, "status", str(ms > DB_SLOW_MS ? "degraded" : "healthy"));
	add(o, "latency_ms", num(ms, 2));
	ver = cal_db_server_version(ctx->db);
	add(o, "server_version", ver != NULL ? str(ver) : NULL);
	/* No schema_migrations yet (fresh database) is schema version 0, not an error. */
	if (cal_db_query(ctx->db, req->arena, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0,
			 &rows) == CAL_OK)
		add(o, "schema_version", json_object_new_int64(cal_db_cell_int(&rows, 0, 0, 0)));
	else if (cal_db_last_errno(ctx->db) == ER_NO_SUCH_TABLE)
		add(o, "schema_version", json_object_new_int64(0));
	else
		add(o, "schema_version", NULL);
	add(o, "tables", table_estimates(ctx, req->arena));
	return reply(resp, 200, o);
}

cal_err cal_h_health_cache(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	bool ok;
	struct json_object *o = cache_object(ctx, &ok);

	return reply(resp, ok ? 200 : 503, o);
}
