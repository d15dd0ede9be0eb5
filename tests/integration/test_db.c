/*
 * Integration tests of the MariaDB layer (db.c) and the migrator (migrate.c) against a private server.
 * CALORIA_TEST_DB_SOCKET names its socket (tests/integration/run.sh starts one with tests/lib/mariadb.sh);
 * without it every test that needs a server is skipped. The tests connect as root over that socket
 * (CALORIA_TEST_DB_USER / CALORIA_TEST_DB_PASSWORD override) and work in their own databases.
 * The project's real migrations are applied too, from SCHEMA_DIR (set by the build) or
 * CALORIA_TEST_SCHEMA_DIR.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "caloria/db.h"
#include "caloria/log.h"
#include "caloria/migrate.h"

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "schema"
#endif

/* Criterion runs tests in parallel processes: each gets its own database, caloria_itest_<pid>. */
static char test_db[40];
static cal_conf conf;
static cal_db *db;
static cal_arena arena;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : def;
}

static void conf_for(cal_conf *c, const char *dbname)
{
	memset(c, 0, sizeof *c);
	c->database_socket = (char *)env_or("CALORIA_TEST_DB_SOCKET", "");
	c->database_host = (char *)"localhost";
	c->database_port = 0;
	c->database_user = (char *)env_or("CALORIA_TEST_DB_USER", "root");
	c->database_password = (char *)env_or("CALORIA_TEST_DB_PASSWORD", "");
	c->database_name = (char *)dbname;
	c->database_connect_timeout_ms = 2000;
	c->database_query_timeout_ms = 5000;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Creates the test database once with a handle that has no default database. */
static void setup(void)
{
	cal_conf bare;
	cal_db *admin;
	char sql[256];

	if (getenv("CALORIA_TEST_DB_SOCKET") == NULL)
		cr_skip_test("CALORIA_TEST_DB_SOCKET not set; integration tests need a private MariaDB");
	cal_log_init("error", getenv("CALORIA_TEST_LOG") != NULL ? getenv("CALORIA_TEST_LOG") : "/dev/null");
	snprintf(test_db, sizeof test_db, "caloria_itest_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET utf8mb4"
				  " COLLATE utf8mb4_unicode_ci", test_db, test_db);
	conf_for(&bare, NULL);
	admin = cal_db_new(&bare);
	cr_assert_eq(cal_db_exec_script(admin, sql), CAL_OK);
	cal_db_free(admin);
	conf_for(&conf, test_db);
	db = cal_db_new(&conf);
	cal_arena_init(&arena, 4096);
}

static void teardown(void)
{
	char sql[96];

	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", test_db);
	if (db != NULL && cal_db_exec_script(db, sql) != CAL_OK)
		fprintf(stderr, "could not drop %s\n", test_db);
	if (db != NULL)
		cal_db_free(db);
	db = NULL;
	cal_arena_free(&arena);
}

static long long count_rows(const char *sql)
{
	cal_dbrows r;
	cr_assert_eq(cal_db_query(db, &arena, sql, NULL, 0, &r), CAL_OK, "%s", sql);
	return cal_db_cell_int(&r, 0, 0, -1);
}

TestSuite(db, .init = setup, .fini = teardown, .timeout = 60);

Test(db, connects_lazily_and_sets_up_the_session)
{
	cal_dbrows r;
	double ms = -1;

	cr_assert_not(cal_db_connected(db));
	cr_assert_null(cal_db_server_version(db));
	cr_assert_eq(cal_db_ping(db, &ms), CAL_OK);
	cr_assert(ms >= 0);
	cr_assert(cal_db_connected(db));
	cr_assert_not_null(strstr(cal_db_server_version(db), "MariaDB"));
	cr_assert_eq(cal_db_query(db, &arena, "SELECT @@session.time_zone, @@session.sql_mode, @@autocommit,"
					      " @@character_set_client, DATABASE()", NULL, 0, &r), CAL_OK);
	cr_assert_eq(r.nrows, 1);
	cr_assert_eq(r.ncols, 5);
	cr_assert_str_eq(cal_db_cell(&r, 0, 0), "+00:00");
	cr_assert_not_null(strstr(cal_db_cell(&r, 0, 1), "STRICT_ALL_TABLES"));
	cr_assert_str_eq(cal_db_cell(&r, 0, 2), "1");
	cr_assert_str_eq(cal_db_cell(&r, 0, 3), "utf8mb4");
	cr_assert_str_eq(cal_db_cell(&r, 0, 4), test_db);
}

Test(db, round_trips_every_parameter_type)
{
	const char *emoji = "pizza 🍕 palta 🥑 ñandú";
	const char *part = "abcdefXYZ";
	cal_dbresult res;
	cal_dbrows r;

	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE IF EXISTS t_types"), CAL_OK);
	cr_assert_eq(cal_db_exec_script(db, "CREATE TABLE t_types (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
					    " i BIGINT NULL, d DOUBLE NULL, s VARCHAR(100) NULL, n VARCHAR(10) NULL,"
					    " p VARCHAR(10) NULL, dec_col DECIMAL(12,2) NULL, ts DATETIME NULL)"
					    " DEFAULT CHARSET=utf8mb4"), CAL_OK);
	cal_dbv p[] = {CAL_DB_INT(-9223372036854775807LL), CAL_DB_DBL(3.25), CAL_DB_STR(emoji), CAL_DB_NULL,
		       CAL_DB_STRN(part, 6), CAL_DB_STR("4999.00"), CAL_DB_STR("2025-01-31 14:05:09")};
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_types (i, d, s, n, p, dec_col, ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
				 p, 7, &res), CAL_OK);
	cr_assert_eq(res.affected, 1);
	cr_assert_gt(res.insert_id, 0);

	cal_dbv key[] = {CAL_DB_INT(res.insert_id)};
	cr_assert_eq(cal_db_query(db, &arena, "SELECT i, d, s, n, p, dec_col, ts, NULL IS NULL FROM t_types"
					      " WHERE id = ?", key, 1, &r), CAL_OK);
	cr_assert_eq(r.nrows, 1);
	cr_assert_eq(r.ncols, 8);
	cr_assert_str_eq(cal_db_cell(&r, 0, 0), "-9223372036854775807");
	cr_assert_eq(cal_db_cell_int(&r, 0, 0, 0), -9223372036854775807LL);
	cr_assert_float_eq(cal_db_cell_double(&r, 0, 1, 0), 3.25, 1e-9);
	cr_assert_str_eq(cal_db_cell(&r, 0, 2), emoji, "4-byte UTF-8 must survive the round trip");
	cr_assert_null(cal_db_cell(&r, 0, 3));
	cr_assert_eq(cal_db_cell_int(&r, 0, 3, 42), 42, "NULL cell gives the default");
	cr_assert_str_eq(cal_db_cell(&r, 0, 4), "abcdef", "explicit length must be honoured");
	cr_assert_str_eq(cal_db_cell(&r, 0, 5), "4999.00");
	cr_assert_str_eq(cal_db_cell(&r, 0, 6), "2025-01-31 14:05:09");
	cr_assert_str_eq(cal_db_cell(&r, 0, 7), "1");
	cr_assert_null(cal_db_cell(&r, 1, 0), "out of range row is NULL");
	cr_assert_null(cal_db_cell(&r, 0, 8), "out of range column is NULL");

	/* A query with no rows is success with nrows 0. */
	cal_dbv none[] = {CAL_DB_INT(-1)};
	cr_assert_eq(cal_db_query(db, &arena, "SELECT i FROM t_types WHERE id = ?", none, 1, &r), CAL_OK);
	cr_assert_eq(r.nrows, 0);
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE t_types"), CAL_OK);
}

Test(db, wrong_parameter_count_is_an_internal_error_not_a_crash)
{
	cal_dbv p[] = {CAL_DB_INT(1)};
	cal_dbrows r;

	cr_assert_eq(cal_db_query(db, &arena, "SELECT ? + ?", p, 1, &r), CAL_ERR_INTERNAL);
	cr_assert_eq(cal_db_query(db, &arena, "SELECT 1 FROM no_such_table_here", NULL, 0, &r), CAL_ERR_INTERNAL);
	cr_assert_eq(cal_db_last_errno(db), 1146);
	/* The connection is still usable afterwards. */
	cr_assert_eq(count_rows("SELECT 7"), 7);
}

Test(db, caches_prepared_statements_per_connection)
{
	const char *probe = "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'";
	const char *sql = "SELECT ? * 2";
	cal_dbrows r;
	long long before, after;

	cr_assert_eq(cal_db_query(db, &arena, probe, NULL, 0, &r), CAL_OK); /* prepares the probe itself */
	cr_assert_eq(cal_db_query(db, &arena, probe, NULL, 0, &r), CAL_OK);
	before = cal_db_cell_int(&r, 0, 1, -1);
	for (int i = 0; i < 5; i++) {
		cal_dbv p[] = {CAL_DB_INT(i)};
		cr_assert_eq(cal_db_query(db, &arena, sql, p, 1, &r), CAL_OK);
		cr_assert_eq(cal_db_cell_int(&r, 0, 0, -1), i * 2);
	}
	cr_assert_eq(cal_db_query(db, &arena, probe, NULL, 0, &r), CAL_OK);
	after = cal_db_cell_int(&r, 0, 1, -1);
	cr_assert_eq(after - before, 1, "five executions must prepare once (prepared %lld times)", after - before);
}

Test(db, rollback_leaves_nothing_and_commit_keeps_everything)
{
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE IF EXISTS t_tx"), CAL_OK);
	cr_assert_eq(cal_db_exec_script(db, "CREATE TABLE t_tx (id INT PRIMARY KEY) ENGINE=InnoDB"), CAL_OK);

	cr_assert_eq(cal_db_begin(db), CAL_OK);
	cr_assert(cal_db_in_transaction(db));
	for (int i = 1; i <= 3; i++) {
		cal_dbv p[] = {CAL_DB_INT(i)};
		cr_assert_eq(cal_db_exec(db, "INSERT INTO t_tx (id) VALUES (?)", p, 1, NULL), CAL_OK);
	}
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_tx"), 3, "visible inside the transaction");
	cal_db_rollback(db);
	cr_assert_not(cal_db_in_transaction(db));
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_tx"), 0, "rollback must leave nothing");

	cr_assert_eq(cal_db_begin(db), CAL_OK);
	cr_assert_eq(cal_db_begin(db), CAL_ERR_INTERNAL, "nested begin is a bug");
	cal_dbv p[] = {CAL_DB_INT(10)};
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_tx (id) VALUES (?)", p, 1, NULL), CAL_OK);
	cr_assert_eq(cal_db_commit(db), CAL_OK);
	cr_assert_eq(cal_db_commit(db), CAL_ERR_INTERNAL, "commit without begin is a bug");
	cal_db_rollback(db); /* no transaction: a no-op */
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_tx"), 1);
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE t_tx"), CAL_OK);
}

Test(db, detects_duplicate_keys)
{
	cal_dbv p[] = {CAL_DB_STR("sub-1")};

	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE IF EXISTS t_dup"), CAL_OK);
	cr_assert_eq(cal_db_exec_script(db, "CREATE TABLE t_dup (id INT AUTO_INCREMENT PRIMARY KEY,"
					    " k VARCHAR(20) NOT NULL, UNIQUE KEY (k))"), CAL_OK);
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_dup (k) VALUES (?)", p, 1, NULL), CAL_OK);
	cr_assert_not(cal_db_last_was_duplicate(db));
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_dup (k) VALUES (?)", p, 1, NULL), CAL_ERR_CONFLICT);
	cr_assert(cal_db_last_was_duplicate(db));
	cr_assert_eq(cal_db_last_errno(db), 1062);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_dup"), 1);
	cr_assert_not(cal_db_last_was_duplicate(db), "a later success clears the flag");
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE t_dup"), CAL_OK);
}

/* JSON text of exactly len bytes with multibyte characters in it. */
static char *json_of_length(size_t len)
{
	char *s = malloc(len + 1);
	size_t n = 0;

	cr_assert_not_null(s);
	s[n++] = '[';
	while (n + 16 < len) {
		n += (size_t)sprintf(s + n, "\"a🍕%05zu\",", n % 100000);
	}
	while (n + 3 < len)
		s[n++] = ' ';
	memcpy(s + n, "\"\"]", 3);
	n += 3;
	s[n] = '\0';
	cr_assert_eq(n, len);
	return s;
}

Test(db, fetches_long_json_columns_intact)
{
	static const size_t sizes[] = {2, 254, 255, 256, 257, 1000, 100 * 1024};
	cal_dbresult res;

	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE IF EXISTS t_json"), CAL_OK);
	cr_assert_eq(cal_db_exec_script(db, "CREATE TABLE t_json (id INT AUTO_INCREMENT PRIMARY KEY, doc JSON NOT NULL,"
					    " tail VARCHAR(10)) DEFAULT CHARSET=utf8mb4"), CAL_OK);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *doc = sizes[i] == 2 ? strdup("[]") : json_of_length(sizes[i]);
		cal_dbv p[] = {CAL_DB_STR(doc)};
		cal_dbrows r;
		cr_assert_eq(cal_db_exec(db, "INSERT INTO t_json (doc, tail) VALUES (?, 'end')", p, 1, &res), CAL_OK);
		cal_dbv key[] = {CAL_DB_INT(res.insert_id)};
		cr_assert_eq(cal_db_query(db, &arena, "SELECT doc, tail, LENGTH(doc) FROM t_json WHERE id = ?", key, 1,
					  &r), CAL_OK);
		cr_assert_eq(strlen(cal_db_cell(&r, 0, 0)), sizes[i]);
		cr_assert_str_eq(cal_db_cell(&r, 0, 0), doc, "document of %zu bytes changed", sizes[i]);
		cr_assert_str_eq(cal_db_cell(&r, 0, 1), "end", "columns after a long one are intact");
		cr_assert_eq(cal_db_cell_int(&r, 0, 2, 0), (long long)sizes[i]);
		free(doc);
	}
	/* Several long rows in one result. */
	cal_dbrows all;
	cr_assert_eq(cal_db_query(db, &arena, "SELECT doc FROM t_json ORDER BY id", NULL, 0, &all), CAL_OK);
	cr_assert_eq(all.nrows, sizeof sizes / sizeof sizes[0]);
	cr_assert_eq(strlen(cal_db_cell(&all, all.nrows - 1, 0)), 100 * 1024);
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE t_json"), CAL_OK);
}

static long long connection_id(cal_db *h)
{
	cal_dbrows r;
	cr_assert_eq(cal_db_query(h, &arena, "SELECT CONNECTION_ID()", NULL, 0, &r), CAL_OK);
	return cal_db_cell_int(&r, 0, 0, -1);
}

static void kill_connection(long long id)
{
	cal_db *killer = cal_db_new(&conf);
	char sql[64];

	snprintf(sql, sizeof sql, "KILL CONNECTION %lld", id);
	cr_assert_eq(cal_db_exec_script(killer, sql), CAL_OK);
	cal_db_free(killer);
}

Test(db, reconnects_after_the_connection_is_killed)
{
	long long first, second;
	cal_dbrows r;

	first = connection_id(db);
	cr_assert_eq(count_rows("SELECT 1"), 1); /* cache a statement on the old connection */
	kill_connection(first);
	/* The next statement (a cached one) fails on the dead session, reconnects and succeeds. */
	cr_assert_eq(cal_db_query(db, &arena, "SELECT 1", NULL, 0, &r), CAL_OK);
	cr_assert_eq(cal_db_cell_int(&r, 0, 0, 0), 1);
	second = connection_id(db);
	cr_assert_neq(first, second);
	/* The session setup ran again on the new connection. */
	cr_assert_eq(cal_db_query(db, &arena, "SELECT @@session.time_zone", NULL, 0, &r), CAL_OK);
	cr_assert_str_eq(cal_db_cell(&r, 0, 0), "+00:00");
}

Test(db, connection_lost_inside_a_transaction_fails_until_rollback)
{
	cal_dbv p1[] = {CAL_DB_INT(1)}, p2[] = {CAL_DB_INT(2)};

	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE IF EXISTS t_lost"), CAL_OK);
	cr_assert_eq(cal_db_exec_script(db, "CREATE TABLE t_lost (id INT PRIMARY KEY) ENGINE=InnoDB"), CAL_OK);
	cr_assert_eq(cal_db_begin(db), CAL_OK);
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_lost (id) VALUES (?)", p1, 1, NULL), CAL_OK);
	kill_connection(connection_id(db));
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_lost (id) VALUES (?)", p2, 1, NULL), CAL_ERR_UNAVAILABLE);
	cr_assert(cal_db_in_transaction(db), "the caller must still roll back");
	cr_assert_eq(cal_db_exec(db, "INSERT INTO t_lost (id) VALUES (?)", p2, 1, NULL), CAL_ERR_UNAVAILABLE,
		     "no statement may run in autocommit as if the transaction were still open");
	cr_assert_eq(cal_db_commit(db), CAL_ERR_UNAVAILABLE);
	cal_db_rollback(db);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_lost"), 0, "nothing half-written");
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE t_lost"), CAL_OK);
}

Test(db, dead_server_answers_fast)
{
	cal_conf dead;
	cal_db *h;
	double t0, ms;

	conf_for(&dead, test_db);
	dead.database_socket = (char *)"/nonexistent/caloria-test.sock";
	h = cal_db_new(&dead);
	t0 = now_ms();
	cr_assert_eq(cal_db_ping(h, NULL), CAL_ERR_UNAVAILABLE);
	cr_assert_lt(now_ms() - t0, 1000.0);
	cr_assert_neq(cal_db_last_errno(h), 0);
	t0 = now_ms();
	cr_assert_eq(cal_db_exec(h, "SELECT 1", NULL, 0, NULL), CAL_ERR_UNAVAILABLE);
	ms = now_ms() - t0;
	cr_assert_lt(ms, 50.0, "a refused connect answers at once (took %.1f ms)", ms);
	cr_assert_not(cal_db_connected(h));
	cr_assert_null(cal_db_server_version(h));
	cal_db_free(h);
}

Test(db, exec_script_runs_several_statements_and_reports_errors)
{
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE IF EXISTS t_s; CREATE TABLE t_s (id INT);"
					    " INSERT INTO t_s VALUES (1), (2); SELECT * FROM t_s"), CAL_OK);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_s"), 2);
	cr_assert_eq(cal_db_exec_script(db, "INSERT INTO t_s VALUES (3); INSERT INTO nowhere VALUES (1)"),
		     CAL_ERR_INTERNAL);
	cr_assert_eq(cal_db_last_errno(db), 1146);
	/* Multi-statement mode is switched off again for ordinary statements. */
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM t_s"), 3);
	cr_assert_eq(cal_db_exec_script(db, "DROP TABLE t_s"), CAL_OK);
}

/* ---- migrations ---- */

static char migdir[] = "/tmp/caloria-itest-migXXXXXX";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void capture_begin(FILE **f, size_t *len, char **buf)
{
	*f = open_memstream(buf, len);
	cr_assert_not_null(*f);
}

static void migsetup(void)
{
	setup();
	cr_assert_not_null(mkdtemp(migdir));
}

static void migteardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", migdir);
	if (strncmp(migdir, "/tmp/caloria-itest-mig", 22) == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", migdir);
	teardown();
}

TestSuite(migrate, .init = migsetup, .fini = migteardown, .timeout = 120);

static const char m1[] =
	"-- first migration; a ';' in a comment must not split\n"
	"CREATE TABLE IF NOT EXISTS m_items (\n"
	"  id INT PRIMARY KEY,\n"
	"  note VARCHAR(64) NOT NULL DEFAULT 'a;b' -- default with a semicolon;\n"
	") ENGINE=InnoDB;\n"
	"/* block comment;\n   over lines; */\n"
	"# hash comment;\n"
	"INSERT IGNORE INTO m_items (id, note) VALUES (1, 'it''s; fine'), (2, \"x;\\\"y\");\n";
static const char m2[] = "INSERT IGNORE INTO m_items (id) VALUES (3);\n";

Test(migrate, applies_once_and_reports_status)
{
	cal_migration_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	cal_dbrows r;

	write_file(migdir, "0001_items.sql", m1);
	write_file(migdir, "0002_more.sql", m2);
	write_file(migdir, "README.md", "not a migration");
	write_file(migdir, "0003_backup.sql~", "garbage");

	cr_assert_eq(cal_migrate_status(db, migdir, &st, NULL), CAL_OK, "status on a fresh database works");
	cr_assert_eq(st.latest_available, 2);
	cr_assert_eq(st.latest_applied, 0);
	cr_assert_eq(st.pending, 2);

	capture_begin(&out, &len, &buf);
	cr_assert_eq(cal_migrate_apply(db, migdir, out), CAL_OK);
	fclose(out);
	cr_assert_not_null(strstr(buf, "applied 0001_items.sql (2 statements)"), "%s", buf);
	cr_assert_not_null(strstr(buf, "applied 0002_more.sql (1 statements)"), "%s", buf);
	free(buf);

	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_items"), 3);
	cr_assert_eq(cal_db_query(db, &arena, "SELECT note FROM m_items ORDER BY id", NULL, 0, &r), CAL_OK);
	cr_assert_str_eq(cal_db_cell(&r, 0, 0), "it's; fine");
	cr_assert_str_eq(cal_db_cell(&r, 1, 0), "x;\"y");
	cr_assert_str_eq(cal_db_cell(&r, 2, 0), "a;b");
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM schema_migrations WHERE LENGTH(checksum) = 64"), 2);

	/* Second run applies nothing. */
	buf = NULL;
	capture_begin(&out, &len, &buf);
	cr_assert_eq(cal_migrate_apply(db, migdir, out), CAL_OK);
	fclose(out);
	cr_assert_null(strstr(buf, "applied 0"), "%s", buf);
	cr_assert_not_null(strstr(buf, "up to date"), "%s", buf);
	free(buf);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM schema_migrations"), 2);

	buf = NULL;
	capture_begin(&out, &len, &buf);
	cr_assert_eq(cal_migrate_status(db, migdir, &st, out), CAL_OK);
	fclose(out);
	cr_assert_eq(st.latest_available, 2);
	cr_assert_eq(st.latest_applied, 2);
	cr_assert_eq(st.pending, 0);
	cr_assert_not_null(strstr(buf, "0001_items.sql: applied "), "%s", buf);
	free(buf);

	write_file(migdir, "0003_new.sql", "CREATE TABLE IF NOT EXISTS m_more (id INT);\n");
	cr_assert_eq(cal_migrate_status(db, migdir, &st, NULL), CAL_OK);
	cr_assert_eq(st.pending, 1);
	cr_assert_eq(st.latest_available, 3);
	cr_assert_eq(cal_migrate_apply(db, migdir, NULL), CAL_OK);
	cr_assert_eq(cal_migrate_status(db, migdir, &st, NULL), CAL_OK);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.latest_applied, 3);
}

Test(migrate, refuses_an_applied_file_that_changed)
{
	cal_migration_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	write_file(migdir, "0001_items.sql", m1);
	cr_assert_eq(cal_migrate_apply(db, migdir, NULL), CAL_OK);
	write_file(migdir, "0001_items.sql", "CREATE TABLE IF NOT EXISTS m_items (id INT PRIMARY KEY);\n");
	write_file(migdir, "0002_more.sql", m2);

	capture_begin(&out, &len, &buf);
	cr_assert_eq(cal_migrate_status(db, migdir, &st, out), CAL_ERR_CONFLICT);
	fclose(out);
	cr_assert_not_null(strstr(buf, "0001_items.sql was changed after it was applied"), "%s", buf);
	free(buf);
	cr_assert_eq(st.pending, 1, "status is still filled in");

	cr_assert_eq(cal_migrate_apply(db, migdir, NULL), CAL_ERR_CONFLICT);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM schema_migrations"), 1, "nothing more applied");
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_items"), 2, "0002 did not run");
}

Test(migrate, a_failing_file_is_not_recorded_and_names_the_statement)
{
	cal_migration_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	write_file(migdir, "0001_items.sql", m1);
	write_file(migdir, "0002_bad.sql", "CREATE TABLE IF NOT EXISTS m_bad (id INT);\n\nINSERT INTO m_bad VALUES (1);\n"
					   "\nTHIS IS NOT SQL;\n");
	write_file(migdir, "0003_more.sql", m2);
	capture_begin(&out, &len, &buf);
	cr_assert_neq(cal_migrate_apply(db, migdir, out), CAL_OK);
	fclose(out);
	cr_assert_not_null(strstr(buf, "0002_bad.sql: statement 3 (line 5) failed"), "%s", buf);
	free(buf);
	cr_assert_eq(cal_migrate_status(db, migdir, &st, NULL), CAL_OK);
	cr_assert_eq(st.latest_applied, 1);
	cr_assert_eq(st.pending, 2);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_items"), 2, "0003 did not run after the failure");
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_bad"), 0, "the data statement was rolled back");

	/* Fixing the file and re-running completes it: the DDL is re-runnable. */
	write_file(migdir, "0002_bad.sql", "CREATE TABLE IF NOT EXISTS m_bad (id INT);\n\nINSERT INTO m_bad VALUES (1);\n");
	cr_assert_eq(cal_migrate_apply(db, migdir, NULL), CAL_OK);
	cr_assert_eq(cal_migrate_status(db, migdir, &st, NULL), CAL_OK);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_bad"), 1);
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_items"), 3);
}

Test(migrate, missing_directory_and_duplicate_versions_are_errors)
{
	cal_migration_status st;

	cr_assert_eq(cal_migrate_apply(db, "/nonexistent/caloria-schema", NULL), CAL_ERR_NOT_FOUND);
	cr_assert_eq(cal_migrate_status(db, "/nonexistent/caloria-schema", &st, NULL), CAL_ERR_NOT_FOUND);
	write_file(migdir, "0001_a.sql", "SELECT 1;\n");
	write_file(migdir, "0001_b.sql", "SELECT 2;\n");
	cr_assert_eq(cal_migrate_apply(db, migdir, NULL), CAL_ERR_VALIDATION);
}

Test(migrate, applies_the_project_schema_twice)
{
	/* The build passes the source tree's schema/; the environment may point elsewhere. */
	const char *dir = env_or("CALORIA_TEST_SCHEMA_DIR", SCHEMA_DIR);
	cal_migration_status st;
	cal_conf c2;
	cal_db *fresh;
	cal_dbrows r;

	char name[64], sql[256];

	snprintf(name, sizeof name, "%s_schema", test_db);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET utf8mb4", name, name);
	cr_assert_eq(cal_db_exec_script(db, sql), CAL_OK);
	conf_for(&c2, name);
	fresh = cal_db_new(&c2);
	cr_assert_eq(cal_migrate_apply(fresh, dir, NULL), CAL_OK);
	cr_assert_eq(cal_migrate_apply(fresh, dir, NULL), CAL_OK);
	cr_assert_eq(cal_migrate_status(fresh, dir, &st, NULL), CAL_OK);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.latest_applied, st.latest_available);
	cr_assert_eq(cal_db_query(fresh, &arena, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA ="
						 " DATABASE() AND TABLE_NAME IN ('users', 'food_logs', 'daily_stats',"
						 " 'subscriptions', 'payments', 'mp_notifications', 'admin_users',"
						 " 'admin_sessions', 'api_tokens', 'activity_log', 'jobs', 'schema_migrations')",
				  NULL, 0, &r), CAL_OK);
	cr_assert_eq(cal_db_cell_int(&r, 0, 0, 0), 12, "every table of SPEC §14 exists");
	cal_db_free(fresh);
	snprintf(sql, sizeof sql, "DROP DATABASE %s", name);
	cr_assert_eq(cal_db_exec_script(db, sql), CAL_OK);
}

Test(migrate, concurrent_runs_apply_each_file_once)
{
	pid_t kids[2];
	int status;

	write_file(migdir, "0001_slow.sql", "CREATE TABLE IF NOT EXISTS m_items (id INT AUTO_INCREMENT PRIMARY KEY);\n"
					    "DO SLEEP(1);\n"
					    "INSERT INTO m_items () VALUES ();\n");
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		cr_assert_geq(kids[i], 0);
		if (kids[i] == 0) {
			/* A child gets its own connection: the parent's handle must not be shared. */
			cal_db *own = cal_db_new(&conf);
			int rc = cal_migrate_apply(own, migdir, NULL) == CAL_OK ? 0 : 1;
			cal_db_free(own);
			_exit(rc);
		}
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run %d failed", i);
	}
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM m_items"), 1, "the file ran once");
	cr_assert_eq(count_rows("SELECT COUNT(*) FROM schema_migrations"), 1);
}
