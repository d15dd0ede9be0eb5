/*
 * Tests of the health endpoints (handlers/health.c), calling the handlers directly with a hand-built
 * per-worker context. Without a database they check the "database down" answers; with
 * CALORIA_TEST_DB_SOCKET (a private MariaDB, tests/integration/run.sh) the "database up" suite runs too.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "caloria/apiclient.h"
#include "caloria/cache.h"
#include "caloria/db.h"
#include "caloria/handlers.h"
#include "caloria/log.h"
#include "caloria/migrate.h"
#include "caloria/router.h"
#include "caloria/shm.h"

static cal_ctx ctx;
static cal_arena arena;
static cal_request req;
static cal_response resp;
static struct json_object *body;
static char cache_file[] = "/tmp/caloria-health-shmXXXXXX";

static void base_conf(const char *socket)
{
	memset(&ctx, 0, sizeof ctx);
	ctx.conf.database_socket = (char *)socket;
	ctx.conf.database_host = (char *)"localhost";
	ctx.conf.database_user = (char *)(getenv("CALORIA_TEST_DB_USER") ? getenv("CALORIA_TEST_DB_USER") : "root");
	ctx.conf.database_password = (char *)(getenv("CALORIA_TEST_DB_PASSWORD") ? getenv("CALORIA_TEST_DB_PASSWORD") : "");
	ctx.conf.database_name = (char *)"mysql";
	ctx.conf.database_connect_timeout_ms = 2000;
	ctx.conf.database_query_timeout_ms = 2000;
	ctx.conf.paths_run_dir = (char *)"/tmp";
	ctx.conf.paths_schema_dir = (char *)SCHEMA_DIR;
	ctx.conf.manychat_webhook_token = (char *)"token";
	ctx.conf.gemini_api_key = (char *)"k";
	ctx.conf.gemini_api_base = (char *)"http://127.0.0.1:9";
	ctx.started = time(NULL) - 5;
	ctx.pid = getpid();
	ctx.db = cal_db_new(&ctx.conf);
	ctx.api = cal_api_new(&ctx.conf, NULL);
	cal_arena_init(&arena, 4096);
	memset(&req, 0, sizeof req);
	req.arena = &arena;
	cal_resp_init(&resp);
	body = NULL;
}

static void down_init(void)
{
	cal_log_init("error", "/dev/null");
	base_conf("/nonexistent/caloria-health.sock");
}

static void fini(void)
{
	if (body != NULL)
		json_object_put(body);
	cal_resp_free(&resp);
	cal_api_free(ctx.api);
	cal_db_free(ctx.db);
	if (ctx.shm != NULL) {
		char lock[sizeof cache_file + 8];
		cal_shm_close(ctx.shm);
		unlink(cache_file);
		snprintf(lock, sizeof lock, "%s.lock", cache_file); /* cal_shm_open's creation lock */
		unlink(lock);
	}
	cal_arena_free(&arena);
}

/* Runs a handler and parses its JSON body into `body`. */
static void call(cal_handler h)
{
	if (body != NULL)
		json_object_put(body);
	cal_resp_free(&resp);
	cal_resp_init(&resp);
	cr_assert_eq(h(&ctx, &req, &resp), CAL_OK);
	cr_assert_not_null(resp.body.data);
	body = json_tokener_parse(resp.body.data);
	cr_assert_not_null(body, "body is not JSON: %s", resp.body.data);
	cr_assert_not_null(strstr(resp.content_type, "application/json"));
}

static const char *s_at(const char *path)
{
	struct json_object *o = body;
	char buf[128], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL; k = strtok_r(NULL, ".", &save))
		cr_assert(json_object_object_get_ex(o, k, &o), "no %s in %s", path, resp.body.data);
	return json_object_get_string(o);
}

static bool has(const char *path)
{
	struct json_object *o = body;
	char buf[128], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return false;
	return true;
}

TestSuite(health_down, .init = down_init, .fini = fini);

Test(health_down, health_is_unhealthy_503_when_the_database_is_down)
{
	call(cal_h_health);
	cr_assert_eq(resp.status, 503);
	cr_assert_str_eq(s_at("status"), "unhealthy");
	cr_assert_str_eq(s_at("checks.database.status"), "unhealthy");
	cr_assert(has("checks.database.latency_ms"));
	cr_assert_str_eq(s_at("version"), PACKAGE_VERSION);
	cr_assert_geq(atoi(s_at("uptime_seconds")), 5);
	cr_assert_eq(strlen(s_at("timestamp")), 24, "RFC 3339 with ms and Z: %s", s_at("timestamp"));
	cr_assert_str_eq(s_at("checks.cache.status"), "unavailable");
	cr_assert_str_eq(s_at("checks.external_apis.gemini.status"), "healthy");
	cr_assert_str_eq(s_at("checks.external_apis.spoonacular.status"), "not_configured");
	cr_assert_str_eq(s_at("checks.external_apis.manychat.status"), "not_configured");
	cr_assert(has("checks.system.status"));
	cr_assert(has("checks.system.load1"));
	cr_assert_gt(atol(s_at("checks.system.memory_available_mb")), 0);
	cr_assert_gt(atol(s_at("checks.system.disk_free_mb")), 0);
}

Test(health_down, live_answers_without_the_database)
{
	call(cal_h_health_live);
	cr_assert_eq(resp.status, 200);
	cr_assert_str_eq(s_at("status"), "alive");
	cr_assert_eq(atol(s_at("pid")), (long)getpid());
	cr_assert(has("timestamp"));
	cr_assert_not(cal_db_connected(ctx.db), "live must not touch the database");
}

Test(health_down, ready_is_503_with_reasons)
{
	ctx.conf.manychat_webhook_token = (char *)"";
	call(cal_h_health_ready);
	cr_assert_eq(resp.status, 503);
	cr_assert_str_eq(s_at("status"), "not_ready");
	cr_assert_str_eq(s_at("checks.database"), "unavailable");
	cr_assert_str_eq(s_at("checks.migrations"), "unknown");
	cr_assert_str_eq(s_at("checks.config"), "missing manychat.webhook_token");
}

Test(health_down, version_names_the_build)
{
	call(cal_h_health_version);
	cr_assert_eq(resp.status, 200);
	cr_assert_str_eq(s_at("name"), "caloria");
	cr_assert_str_eq(s_at("version"), PACKAGE_VERSION);
	cr_assert(has("git_commit"));
	cr_assert(has("build_date"));
	cr_assert(has("libraries.mariadb_client"));
	cr_assert(has("libraries.openssl"));
}

Test(health_down, database_endpoint_is_503)
{
	call(cal_h_health_database);
	cr_assert_eq(resp.status, 503);
	cr_assert_str_eq(s_at("status"), "unhealthy");
}

Test(health_down, cache_without_shared_segment_is_503)
{
	call(cal_h_health_cache);
	cr_assert_eq(resp.status, 503);
	cr_assert_str_eq(s_at("status"), "unavailable");
}

Test(health_down, cache_reports_the_shared_statistics)
{
	char err[256] = "", val[16];
	size_t vlen;
	int fd = mkstemp(cache_file);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(cal_shm_open(&ctx.shm, cache_file, 4u << 20, err, sizeof err), 0, "%s", err);
	cr_assert_eq(cal_cache_set(ctx.shm, "k", 1, "v", 1, 60), 0);
	cr_assert_eq(cal_cache_get(ctx.shm, "k", 1, val, sizeof val, &vlen), 0);
	cr_assert_eq(cal_cache_get(ctx.shm, "nope", 4, val, sizeof val, &vlen), 1);
	call(cal_h_health_cache);
	cr_assert_eq(resp.status, 200);
	cr_assert_str_eq(s_at("status"), "healthy");
	cr_assert_eq(atol(s_at("entries")), 1);
	cr_assert_eq(atol(s_at("hits")), 1);
	cr_assert_eq(atol(s_at("misses")), 1);
	cr_assert_str_eq(s_at("hit_rate"), "0.5000");
	cr_assert_gt(atoll(s_at("capacity_bytes")), 0);
	cr_assert(has("used_bytes"));
	cr_assert(has("evictions"));
}

/* ---- with a database ---- */

static char dbname[48];

static void up_init(void)
{
	const char *sock = getenv("CALORIA_TEST_DB_SOCKET");
	char sql[160];
	cal_db *admin;

	if (sock == NULL)
		cr_skip_test("CALORIA_TEST_DB_SOCKET not set");
	cal_log_init("error", "/dev/null");
	base_conf(sock);
	snprintf(dbname, sizeof dbname, "caloria_health_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", dbname, dbname);
	admin = ctx.db;
	cr_assert_eq(cal_db_exec_script(admin, sql), CAL_OK);
	cal_db_free(admin);
	ctx.conf.database_name = dbname;
	ctx.db = cal_db_new(&ctx.conf);
}

static void up_fini(void)
{
	char sql[96];

	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", dbname);
	if (ctx.db != NULL)
		(void)cal_db_exec_script(ctx.db, sql);
	fini();
}

TestSuite(health_up, .init = up_init, .fini = up_fini, .timeout = 60);

Test(health_up, health_is_not_unhealthy_with_the_database_up)
{
	call(cal_h_health);
	cr_assert_eq(resp.status, 200);
	cr_assert_str_neq(s_at("status"), "unhealthy");
	cr_assert_str_eq(s_at("checks.database.status"), "healthy");
}

/* The migrations shipped in SCHEMA_DIR (all pending on this fresh database), so the expectations follow the
 * files instead of a fixed count; counted as files, since version numbers may have gaps. */
static int shipped_migrations(void)
{
	cal_migration_status st;

	cr_assert_eq(cal_migrate_status(ctx.db, SCHEMA_DIR, &st, NULL), CAL_OK);
	cr_assert_gt(st.pending, 0);
	return st.pending;
}

Test(health_up, ready_follows_the_migrations)
{
	cal_migration_status st;
	char pending[32];

	snprintf(pending, sizeof pending, "%d pending", shipped_migrations());
	call(cal_h_health_ready);
	cr_assert_eq(resp.status, 503);
	cr_assert_str_eq(s_at("checks.database"), "ok");
	cr_assert_str_eq(s_at("checks.migrations"), pending);
	cr_assert_eq(cal_migrate_apply(ctx.db, SCHEMA_DIR, NULL), CAL_OK);
	cr_assert_eq(cal_migrate_status(ctx.db, SCHEMA_DIR, &st, NULL), CAL_OK);
	/* The previous answer is cached for a few seconds; a fresh worker state sees the change. */
	call(cal_h_health_ready);
	cr_assert_str_eq(s_at("checks.migrations"), pending, "cached answer");
	ctx.ready_checked = 0;
	call(cal_h_health_ready);
	cr_assert_eq(resp.status, 200);
	cr_assert_str_eq(s_at("status"), "ready");
	cr_assert_str_eq(s_at("checks.migrations"), "ok");
	cr_assert_str_eq(s_at("checks.config"), "ok");
}

Test(health_up, database_reports_version_schema_and_tables)
{
	call(cal_h_health_database);
	cr_assert_eq(resp.status, 200);
	cr_assert_eq(atoi(s_at("schema_version")), 0, "fresh database");
	cr_assert_eq(cal_migrate_apply(ctx.db, SCHEMA_DIR, NULL), CAL_OK);
	call(cal_h_health_database);
	cr_assert_eq(resp.status, 200);
	cr_assert_str_eq(s_at("status"), "healthy");
	cr_assert_not_null(strstr(s_at("server_version"), "MariaDB"));
	cal_migration_status st;
	cr_assert_eq(cal_migrate_status(ctx.db, SCHEMA_DIR, &st, NULL), CAL_OK);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(atoi(s_at("schema_version")), st.latest_available);
	cr_assert(has("tables.users"));
	cr_assert(has("tables.food_logs"));
	cr_assert(has("tables.daily_stats"));
	cr_assert(has("latency_ms"));
}
