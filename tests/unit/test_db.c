/*
 * Unit tests of the database layer that need no server: error classification, the statement label used
 * in logs (never a value), cell parsing, the fast failure against a missing server, and against one that
 * never answers: the connect back-off and the ping with a deadline that /health uses.
 * db.c is included to reach its static helpers.
 */
#include "../../src/db.c"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

static void quiet(void)
{
	cal_log_init("error", "/dev/null");
}

Test(db_unit, sql_head_names_the_statement_without_values, .init = quiet)
{
	char h[48];

	sql_head("  SELECT id, name FROM users WHERE subscriber_id = ?", h, sizeof h);
	cr_assert_str_eq(h, "SELECT id, name");
	sql_head("INSERT INTO food_logs (user_id) VALUES (?)", h, sizeof h);
	cr_assert_str_eq(h, "INSERT INTO food_logs");
	sql_head("UPDATE users SET x = 'secret-token' WHERE 1", h, sizeof h);
	cr_assert_str_eq(h, "UPDATE users SET");
	sql_head("SELECT 'secret' FROM t", h, sizeof h);
	cr_assert_str_eq(h, "SELECT", "a literal is never copied");
	sql_head("SET password = \"hunter2\"", h, sizeof h);
	cr_assert_null(strstr(h, "hunter2"));
	sql_head("", h, sizeof h);
	cr_assert_str_eq(h, "");
	sql_head("SELECTAVERYLONGIDENTIFIERTHATDOESNOTFITINTHESMALLBUFFER", h, 8);
	cr_assert_eq(strlen(h), 7);
}

Test(db_unit, errors_map_to_the_right_class)
{
	cr_assert_eq(map_errno(2006), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(map_errno(2013), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(map_errno(1927), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(map_errno(1213), CAL_ERR_UNAVAILABLE, "deadlock: try again later");
	cr_assert_eq(map_errno(1205), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(map_errno(1062), CAL_ERR_CONFLICT);
	cr_assert_eq(map_errno(1452), CAL_ERR_CONFLICT);
	cr_assert_eq(map_errno(1064), CAL_ERR_INTERNAL, "a syntax error is a bug");
	cr_assert_eq(map_errno(1146), CAL_ERR_INTERNAL);
	cr_assert(is_lost(2013));
	cr_assert_not(is_lost(1062));
	cr_assert(is_duplicate(1062));
	cr_assert(is_duplicate(1586));
	cr_assert_not(is_duplicate(1452));
}

Test(db_unit, timeouts_round_up_to_whole_seconds)
{
	cr_assert_eq(ms_to_s(2000), 2);
	cr_assert_eq(ms_to_s(2001), 3);
	cr_assert_eq(ms_to_s(1), 1);
	cr_assert_eq(ms_to_s(0), 1, "0 would mean 'wait forever'");
	cr_assert_eq(ms_to_s(-5), 1);
}

Test(db_unit, cells_parse_with_defaults)
{
	char *row0[] = {"12", "12.0", "-3.5", NULL, "abc", "9223372036854775808", ""};
	char **rows[] = {row0};
	cal_dbrows r = {.nrows = 1, .ncols = 7, .rows = rows};

	cr_assert_eq(cal_db_cell_int(&r, 0, 0, -1), 12);
	cr_assert_eq(cal_db_cell_int(&r, 0, 1, -1), 12, "a DECIMAL with a zero fraction is an integer");
	cr_assert_eq(cal_db_cell_int(&r, 0, 2, -1), -1, "a real fraction is not an integer");
	cr_assert_eq(cal_db_cell_int(&r, 0, 3, -1), -1);
	cr_assert_eq(cal_db_cell_int(&r, 0, 4, -1), -1);
	cr_assert_eq(cal_db_cell_int(&r, 0, 5, -1), -1, "overflow is not silently clamped");
	cr_assert_eq(cal_db_cell_int(&r, 0, 6, -1), -1);
	cr_assert_float_eq(cal_db_cell_double(&r, 0, 2, 0), -3.5, 1e-12);
	cr_assert_float_eq(cal_db_cell_double(&r, 0, 4, 7.0), 7.0, 1e-12);
	cr_assert_null(cal_db_cell(&r, 0, 3));
	cr_assert_null(cal_db_cell(&r, 1, 0));
	cr_assert_null(cal_db_cell(&r, 0, 7));
	cr_assert_null(cal_db_cell(NULL, 0, 0));
}

Test(db_unit, refused_connect_fails_fast_and_is_retried, .init = quiet)
{
	cal_conf c;
	cal_db *db;
	double t0;

	memset(&c, 0, sizeof c);
	c.database_socket = (char *)"/nonexistent/caloria-unit.sock";
	c.database_host = (char *)"localhost";
	c.database_user = (char *)"nobody";
	c.database_connect_timeout_ms = 2000;
	c.database_query_timeout_ms = 2000;
	db = cal_db_new(&c);
	cr_assert_not(cal_db_connected(db));
	t0 = now_ms();
	cr_assert_eq(cal_db_ping(db, NULL), CAL_ERR_UNAVAILABLE);
	cr_assert_lt(now_ms() - t0, 1000.0);
	cr_assert_eq(db->connect_failed_at, 0, "a refused connect starts no back-off: the next call tries again");
	t0 = now_ms();
	cr_assert_eq(cal_db_exec(db, "SELECT 1", NULL, 0, NULL), CAL_ERR_UNAVAILABLE);
	cr_assert_eq(cal_db_begin(db), CAL_ERR_UNAVAILABLE);
	cr_assert_lt(now_ms() - t0, 20.0, "trying a refusing server again costs nothing");
	cr_assert_not(cal_db_in_transaction(db));
	cal_db_rollback(db); /* safe without a connection */
	cr_assert_null(cal_db_server_version(db));
	cal_db_free(db);
}

/* A listener that never accepts: the connect completes at TCP level and then waits for a greeting. */
static int silent_listener(unsigned short *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

Test(db_unit, slow_connect_failure_backs_off_and_health_ping_keeps_its_budget, .init = quiet)
{
	cal_conf c;
	cal_db *db;
	unsigned short port;
	int fd = silent_listener(&port);
	bool timed_out = false;
	double t0, ms = 0;

	memset(&c, 0, sizeof c);
	c.database_host = (char *)"127.0.0.1";
	c.database_port = port;
	c.database_user = (char *)"nobody";
	c.database_connect_timeout_ms = 1000;
	c.database_query_timeout_ms = 1000;
	db = cal_db_new(&c);
	t0 = now_ms();
	cr_assert_eq(cal_db_ping_within(db, 60.0, &ms, &timed_out), CAL_ERR_UNAVAILABLE);
	cr_assert(timed_out, "the ping says it gave up");
	cr_assert_lt(now_ms() - t0, 500.0, "the ping keeps to its budget, not the 1 s connect timeout");
	cr_assert_geq(ms, 55.0, "and reports what it waited (%.1f ms)", ms);
	cr_assert_gt(db->connect_failed_at, 0, "a connect given up after 60 ms is a slow failure: back-off");
	t0 = now_ms();
	cr_assert_eq(cal_db_ping_within(db, 60.0, NULL, &timed_out), CAL_ERR_UNAVAILABLE);
	cr_assert_lt(now_ms() - t0, 20.0, "within the back-off it answers at once");
	cal_db_free(db);

	db = cal_db_new(&c);
	t0 = now_ms();
	cr_assert_eq(cal_db_ping(db, NULL), CAL_ERR_UNAVAILABLE);
	ms = now_ms() - t0;
	cr_assert_geq(ms, 900.0, "an ordinary connect waits for database.connect_timeout_ms (%.1f ms)", ms);
	cr_assert_lt(ms, 1500.0, "and not longer: the timeout holds in milliseconds (%.1f ms)", ms);
	cr_assert_gt(db->connect_failed_at, 0, "a slow failure starts the back-off");
	t0 = now_ms();
	cr_assert_eq(cal_db_exec(db, "SELECT 1", NULL, 0, NULL), CAL_ERR_UNAVAILABLE);
	cr_assert_lt(now_ms() - t0, 20.0, "no connect attempt during the back-off");
	cal_db_free(db);
	close(fd);
}

/* CAL_DB_STRN(p, 0) is the empty string, not "the rest of p" (the old strlen fallback read past it). */
Test(db_unit, strn_length_is_exact_even_when_zero)
{
	const char text[] = "abcdef";
	cal_dbv empty = CAL_DB_STRN(text + 2, 0);
	cal_dbv part = CAL_DB_STRN(text, 3);
	cal_dbv whole = CAL_DB_STR(text);

	cr_assert_eq(param_len(&empty), 0);
	cr_assert_eq(param_len(&part), 3);
	cr_assert_eq(param_len(&whole), 6);
}
