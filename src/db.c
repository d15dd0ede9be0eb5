/*
 * The MariaDB access layer (db.h): one lazily opened connection per worker, a cache of server-side prepared
 * statements keyed by SQL text, results copied as text into the caller's arena, and the reconnect policy.
 *
 * Failure policy, in one place so every caller gets the same behaviour:
 *  - A lost connection (server restart, KILL, network) closes the handle and drops every cached statement,
 *    since statement ids die with the session. Outside a transaction the statement is retried once on a
 *    fresh connection, but only when the failure came fast: a read timeout must not be paid twice.
 *  - Inside a transaction nothing is retried: the server has rolled the transaction back, so the handle
 *    stays "in a transaction with no connection" and every statement fails with CAL_ERR_UNAVAILABLE until
 *    the caller rolls back. That is what keeps a half-written request from continuing in autocommit.
 *  - After a connect that failed slowly (a timeout: the host drops packets or the server hangs), new
 *    connects are refused for a back-off that starts at CONNECT_BACKOFF_MS and doubles with every further
 *    slow failure up to CONNECT_BACKOFF_MAX_MS (jittered downwards, so workers do not probe in step), so a dead
 *    database answers 503 at once instead of every request waiting for a connect timeout, and a host that
 *    stays silent is probed less and less. A connect that is refused at once is simply tried again by the
 *    next request: that costs nothing, and a restarted server is used the moment it is back.
 *  - Every session carries server-side limits below database.query_timeout_ms (session_limits()): the
 *    server aborts a statement, a lock wait or a metadata-lock wait before the worker would give up on it,
 *    so a request that answered 503 never commits later when a lock clears (SPEC §14).
 *  - A connection idle for more than IDLE_PING_MS is pinged before use, which finds most dead sessions
 *    before a write is sent and so keeps the blind retry of a write rare.
 *  - Connects, and the ping /health makes, run through the connector's non-blocking API against a
 *    deadline (database.connect_timeout_ms, or the caller's budget), so they hold to the millisecond even
 *    against a host that drops packets; statements use the ordinary blocking calls and the query timeout.
 *
 * SQL parameter values never reach the log (they can hold user text); errors name the statement by its
 * first words only.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "caloria/db.h"
#include "caloria/log.h"

#define CONNECT_BACKOFF_MS 500        /* first wait after a slow connect failure; doubles per further one */
#define CONNECT_BACKOFF_MAX_MS 30000
#define SLOW_CONNECT_FAILURE_MS 50 /* a failed connect that took this long starts the back-off */
#define IDLE_PING_MS 5000
#define RETRY_IF_FAILED_WITHIN_MS 1000
#define STMT_BUCKETS 128
#define STMT_CACHE_MAX 512 /* constant SQL keeps this small; the cap guards against a caller building SQL */
#define COL_BUF 256        /* first guess per column; longer values are fetched with mysql_stmt_fetch_column */
#define SQL_MODE "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

typedef struct stmt_entry {
	struct stmt_entry *next;
	uint64_t hash;
	char *sql;
	MYSQL_STMT *stmt;
} stmt_entry;

struct cal_db {
	const cal_conf *conf;
	MYSQL *my;                 /* NULL when not connected */
	bool in_tx;                /* a transaction is open, or was lost and not yet rolled back */
	unsigned last_errno;
	double connect_failed_at;  /* monotonic ms of the last failed connect, 0 = none */
	double backoff_ms;         /* current back-off after slow connect failures, 0 = none */
	unsigned long timeouts;    /* statements the server or the client gave up on for time (cal_db_timeouts) */
	double last_used;          /* monotonic ms of the last successful round trip */
	stmt_entry *buckets[STMT_BUCKETS];
	unsigned nstmts;
	char server_version[64];
};

/* How a failed attempt should be handled by the caller of run_once(). */
typedef enum failure {
	FAIL_FATAL = 0, /* give up with the mapped error */
	FAIL_LOST,      /* connection lost: reconnect and maybe retry */
	FAIL_REPREPARE  /* statement invalid on the server: prepare again and retry */
} failure;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* "INSERT INTO food_logs" out of the SQL text: enough to find the statement, never any value. */
static void sql_head(const char *sql, char *out, size_t outlen)
{
	size_t n = 0;
	int words = 0;
	bool in_word = false;

	while (*sql != '\0' && isspace((unsigned char)*sql))
		sql++;
	for (; *sql != '\0' && n + 1 < outlen; sql++) {
		unsigned char c = (unsigned char)*sql;
		if (isspace(c)) {
			if (in_word && ++words == 3)
				break;
			in_word = false;
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		/* Stop at anything that could start a literal; identifiers and keywords only. */
		if (!isalnum(c) && c != '_' && c != '.' && c != '`' && c != '*' && c != '(' && c != ',')
			break;
		in_word = true;
		out[n++] = (char)c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static bool is_lost(unsigned e)
{
	switch (e) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_LOST_EXTENDED:
	case CR_ERR_NET_READ:
	case CR_ERR_NET_WRITE:
	case CR_COMMANDS_OUT_OF_SYNC: /* the session state is unknown; a fresh one is the only safe answer */
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
		return true;
	default:
		return false;
	}
}

static bool is_duplicate(unsigned e)
{
	return e == ER_DUP_ENTRY || e == ER_DUP_KEY || e == ER_DUP_ENTRY_WITH_KEY_NAME;
}

/* The error a caller sees for a server or client error number. */
static cal_err map_errno(unsigned e)
{
	if (is_lost(e))
		return CAL_ERR_UNAVAILABLE;
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_KEY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
	case ER_ROW_IS_REFERENCED_2:
	case ER_NO_REFERENCED_ROW_2:
		return CAL_ERR_CONFLICT;
	case ER_WARN_DATA_OUT_OF_RANGE:
	case ER_DATA_OUT_OF_RANGE:
		/* Strict mode refused a number too large for its column: the input's fault, and nothing was
		 * written; a 500 would blame the server and invite a retry of the same input. */
		return CAL_ERR_VALIDATION;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_CON_COUNT_ERROR:
	case ER_STATEMENT_TIMEOUT:
	case ER_QUERY_INTERRUPTED:
		return CAL_ERR_UNAVAILABLE;
	default:
		return CAL_ERR_INTERNAL;
	}
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static void stmt_cache_clear(cal_db *db)
{
	for (unsigned b = 0; b < STMT_BUCKETS; b++) {
		stmt_entry *e = db->buckets[b];
		while (e != NULL) {
			stmt_entry *next = e->next;
			/* On a live session this frees the server side too; after mysql_close() the statement is
			 * detached and this only frees client memory. */
			mysql_stmt_close(e->stmt);
			free(e->sql);
			free(e);
			e = next;
		}
		db->buckets[b] = NULL;
	}
	db->nstmts = 0;
}

static void stmt_cache_drop(cal_db *db, MYSQL_STMT *stmt)
{
	for (unsigned b = 0; b < STMT_BUCKETS; b++) {
		for (stmt_entry **pp = &db->buckets[b]; *pp != NULL; pp = &(*pp)->next) {
			stmt_entry *e = *pp;
			if (e->stmt != stmt)
				continue;
			*pp = e->next;
			mysql_stmt_close(e->stmt);
			free(e->sql);
			free(e);
			db->nstmts--;
			return;
		}
	}
}

/* Closes the connection (if any) and forgets every statement; the transaction flag is left alone. */
static void disconnect(cal_db *db)
{
	if (db->my != NULL) {
		mysql_close(db->my);
		db->my = NULL;
	}
	stmt_cache_clear(db);
	db->server_version[0] = '\0';
}

cal_db *cal_db_new(const cal_conf *conf)
{
	cal_db *db = cal_calloc(1, sizeof *db);

	db->conf = conf;
	return db;
}

void cal_db_free(cal_db *db)
{
	if (db == NULL)
		return;
	if (db->in_tx && db->my != NULL)
		mysql_rollback(db->my);
	disconnect(db);
	free(db);
}

bool cal_db_connected(const cal_db *db)
{
	return db != NULL && db->my != NULL;
}

bool cal_db_in_transaction(const cal_db *db)
{
	return db != NULL && db->in_tx;
}

unsigned cal_db_last_errno(const cal_db *db)
{
	return db != NULL ? db->last_errno : 0;
}

bool cal_db_last_was_duplicate(const cal_db *db)
{
	return db != NULL && is_duplicate(db->last_errno);
}

bool cal_db_last_was_deadlock(const cal_db *db)
{
	return db != NULL && db->last_errno == ER_LOCK_DEADLOCK;
}

const char *cal_db_server_version(cal_db *db)
{
	if (db == NULL || db->my == NULL || db->server_version[0] == '\0')
		return NULL;
	return db->server_version;
}

static unsigned ms_to_s(long ms)
{
	if (ms <= 0)
		return 1;
	return (unsigned)((ms + 999) / 1000);
}

static int set_options(MYSQL *my, const cal_conf *conf)
{
	unsigned connect_s = ms_to_s(conf->database_connect_timeout_ms);
	unsigned query_s = ms_to_s(conf->database_query_timeout_ms);
	my_bool off = 0;

	if (mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s) != 0 ||
	    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &query_s) != 0 ||
	    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &query_s) != 0 ||
	    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(my, MYSQL_OPT_RECONNECT, &off) != 0 || /* we reconnect ourselves, statements included */
	    mysql_options(my, MYSQL_OPT_NONBLOCK, 0) != 0)      /* connect and health ping keep a deadline */
		return -1;
	/* Never read ~/.my.cnf or /etc/mysql: the Caloria config is the only source of settings. */
	return 0;
}

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Waits for what a non-blocking call asked for (MYSQL_WAIT_*), at most left_ms; what happened, 0 on timeout. */
static int wait_for_io(MYSQL *my, int status, int left_ms)
{
	struct pollfd pfd = { .fd = mysql_get_socket(my), .events = 0 };
	bool lib_timeout = false; /* the connector's own timeout comes first: tell it, it fails the call */
	int rc;

	if (status & MYSQL_WAIT_READ)
		pfd.events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		pfd.events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		pfd.events |= POLLPRI;
	if (status & MYSQL_WAIT_TIMEOUT) {
		unsigned lib_ms = mysql_get_timeout_value_ms(my);
		if (lib_ms < (unsigned)left_ms) {
			left_ms = (int)lib_ms;
			lib_timeout = true;
		}
	}
	do
		rc = poll(&pfd, 1, left_ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return 0;
	if (rc == 0)
		return lib_timeout ? MYSQL_WAIT_TIMEOUT : 0;
	return ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) ? MYSQL_WAIT_READ : 0) |
	       ((pfd.revents & (POLLOUT | POLLERR)) ? MYSQL_WAIT_WRITE : 0) |
	       ((pfd.revents & POLLPRI) ? MYSQL_WAIT_EXCEPT : 0);
}

/* The events a suspended non-blocking call waits for have happened before the deadline: which (0 = time up). */
static int wait_until(MYSQL *my, int status, double deadline)
{
	int left = (int)(deadline - now_ms());

	return left > 0 ? wait_for_io(my, status, left) : 0;
}

/*
 * Opens a fresh session within budget_ms (the connector's non-blocking API, so the budget holds to the
 * millisecond whatever the server or the network does); CAL_OK or CAL_ERR_UNAVAILABLE, *late (may be NULL)
 * when the budget ran out. Honours the back-off after a slow failure.
 */
/*
 * The session's setup statement: UTC, strict mode, and the server-side limits. max_statement_time (seconds,
 * fractional) sits at 80 % of the query timeout and the lock waits (whole seconds, InnoDB row locks and
 * metadata locks such as LOCK TABLES) at 60 %, so the server always gives up first and the worker hears
 * about it; only numbers from the validated configuration are formatted in.
 */
static void session_limits(const cal_conf *c, char *out, size_t outlen)
{
	double q = c->database_query_timeout_ms > 0 ? (double)c->database_query_timeout_ms : 5000.0;
	double stmt_s = q * 0.8 / 1000.0;
	long lock_s = (long)(q * 0.6 / 1000.0);

	if (stmt_s < 0.05)
		stmt_s = 0.05;
	if (lock_s < 1)
		lock_s = 1;
	snprintf(out, outlen,
		 "SET time_zone = '+00:00', sql_mode = '" SQL_MODE "', autocommit = 1, max_statement_time = %.3f, "
		 "innodb_lock_wait_timeout = %ld, lock_wait_timeout = %ld",
		 stmt_s, lock_s, lock_s);
}

cal_err cal_db_statement_limits(cal_db *db, bool on)
{
	char sql[384];

	if (on)
		session_limits(db->conf, sql, sizeof sql);
	else
		snprintf(sql, sizeof sql, "SET max_statement_time = 0, innodb_lock_wait_timeout = 50, "
					  "lock_wait_timeout = 600");
	return cal_db_exec_script(db, sql);
}

/* The next back-off after a slow connect failure: doubled, capped, less up to 25 % of jitter. */
static double next_backoff(double current)
{
	double b = current <= 0 ? CONNECT_BACKOFF_MS : current * 2;

	if (b > CONNECT_BACKOFF_MAX_MS)
		b = CONNECT_BACKOFF_MAX_MS;
	return b * (0.75 + 0.25 * ((double)(rand() & 0xffff) / 65535.0)); /* never above the step */
}

static cal_err connect_within(cal_db *db, double budget_ms, bool *late)
{
	char setup_sql[384];
	const cal_conf *c = db->conf;
	double t = now_ms(), deadline = t + budget_ms;
	unsigned port = c->database_port > 0 && c->database_port <= 65535 ? (unsigned)c->database_port : 0;
	MYSQL *my = NULL, *ret = NULL;
	cal_err err = CAL_ERR_UNAVAILABLE;
	int status, ev, rc = 1;

	session_limits(c, setup_sql, sizeof setup_sql);
	if (late != NULL)
		*late = false;
	if (db->connect_failed_at > 0 && t - db->connect_failed_at < db->backoff_ms) {
		db->last_errno = CR_CONNECTION_ERROR;
		return CAL_ERR_UNAVAILABLE;
	}
	disconnect(db);
	my = mysql_init(NULL);
	if (my == NULL || set_options(my, c) != 0) {
		cal_error("database", "could not prepare a connection (out of memory or bad options)");
		goto out;
	}
	status = mysql_real_connect_start(&ret, my, nonempty(c->database_host), nonempty(c->database_user),
					  c->database_password, nonempty(c->database_name), port,
					  nonempty(c->database_socket), 0);
	while (status != 0 && (ev = wait_until(my, status, deadline)) != 0)
		status = mysql_real_connect_cont(&ret, my, ev);
	if (status == 0 && ret != NULL) {
		status = mysql_real_query_start(&rc, my, setup_sql, strlen(setup_sql));
		while (status != 0 && (ev = wait_until(my, status, deadline)) != 0)
			status = mysql_real_query_cont(&rc, my, ev);
	}
	if (status != 0) {
		db->last_errno = CR_CONNECTION_ERROR;
		cal_error("database", "connect gave up after %.0f ms", budget_ms);
		if (late != NULL)
			*late = true;
		goto out;
	}
	if (ret == NULL || rc != 0) {
		db->last_errno = mysql_errno(my);
		/* mysql_error() holds host and user but never the password. */
		cal_error("database", "%s failed: errno %u: %s", ret == NULL ? "connect" : "session setup",
			  db->last_errno, mysql_error(my));
		goto out;
	}
	snprintf(db->server_version, sizeof db->server_version, "%s", mysql_get_server_info(my));
	db->my = my;
	my = NULL;
	db->connect_failed_at = 0;
	db->backoff_ms = 0;
	db->last_used = now_ms();
	db->last_errno = 0;
	err = CAL_OK;
	cal_debug("database", "connected to MariaDB %s", db->server_version);
out:
	if (my != NULL) {
		/* A call given up half-way leaves the protocol mid-exchange: cut the socket before closing. */
		if (mysql_get_socket(my) >= 0)
			shutdown(mysql_get_socket(my), SHUT_RDWR);
		mysql_close(my);
	}
	if (err != CAL_OK) {
		double failed_at = now_ms();

		bool slow = failed_at - t >= SLOW_CONNECT_FAILURE_MS;

		db->connect_failed_at = slow ? failed_at : 0;
		if (slow)
			db->backoff_ms = next_backoff(db->backoff_ms);
		db->server_version[0] = '\0';
	}
	return err;
}

/*
 * The configured timeouts. Loading the config keeps both at 1 ms or more; the fallbacks, conf.c's defaults,
 * are for a conf built by hand.
 */
static double connect_timeout_ms(const cal_conf *c)
{
	return c->database_connect_timeout_ms > 0 ? (double)c->database_connect_timeout_ms : 2000.0;
}

static double query_timeout_ms(const cal_conf *c)
{
	return c->database_query_timeout_ms > 0 ? (double)c->database_query_timeout_ms : 5000.0;
}

/* Opens a fresh session within database.connect_timeout_ms. */
static cal_err connect_db(cal_db *db)
{
	return connect_within(db, connect_timeout_ms(db->conf), NULL);
}

/*
 * Makes sure a usable session exists before a statement. Inside a transaction whose connection is gone
 * there is nothing to do but fail: the work done so far is lost and the caller must roll back.
 */
static cal_err ensure_connected(cal_db *db)
{
	if (db->my == NULL) {
		if (db->in_tx) {
			db->last_errno = CR_SERVER_GONE_ERROR;
			return CAL_ERR_UNAVAILABLE;
		}
		return connect_db(db);
	}
	if (now_ms() - db->last_used < IDLE_PING_MS)
		return CAL_OK;
	if (mysql_ping(db->my) == 0) {
		db->last_used = now_ms();
		return CAL_OK;
	}
	db->last_errno = mysql_errno(db->my);
	cal_warn("database", "idle connection is dead (errno %u); reconnecting", db->last_errno);
	disconnect(db);
	if (db->in_tx)
		return CAL_ERR_UNAVAILABLE;
	return connect_db(db);
}

cal_err cal_db_ping_within(cal_db *db, double budget_ms, double *latency_ms, bool *timed_out)
{
	double t0 = now_ms(), deadline = t0 + budget_ms;
	bool late = false;
	cal_err err = CAL_ERR_UNAVAILABLE;
	int status, ev, rc = 1;

	if (db->my != NULL) {
		status = mysql_ping_start(&rc, db->my);
		while (status != 0 && (ev = wait_until(db->my, status, deadline)) != 0)
			status = mysql_ping_cont(&rc, db->my, ev);
		if (status != 0) {
			/* The session is mid-exchange with a server that stopped answering: it cannot be reused. */
			late = true;
			cal_warn("database", "ping gave up after %.0f ms; dropping the session", budget_ms);
			shutdown(mysql_get_socket(db->my), SHUT_RDWR);
			disconnect(db);
			goto out;
		}
		if (rc == 0) {
			db->last_used = now_ms();
			err = CAL_OK;
			goto out;
		}
		db->last_errno = mysql_errno(db->my);
		disconnect(db);
	}
	/* No session, or a dead one (a restarted server): one fresh connect within what is left. */
	if (!db->in_tx) {
		double left = deadline - now_ms(), limit = connect_timeout_ms(db->conf);

		err = connect_within(db, limit < left ? limit : left, &late);
	}
out:
	if (latency_ms != NULL)
		*latency_ms = now_ms() - t0;
	if (timed_out != NULL)
		*timed_out = late;
	return err;
}

cal_err cal_db_ping(cal_db *db, double *latency_ms)
{
	return cal_db_ping_within(db, connect_timeout_ms(db->conf) + query_timeout_ms(db->conf), latency_ms, NULL);
}

static MYSQL_STMT *stmt_get(cal_db *db, const char *sql, unsigned *err_no)
{
	uint64_t h = fnv1a(sql);
	unsigned b = (unsigned)(h % STMT_BUCKETS);
	MYSQL_STMT *stmt;
	stmt_entry *e;

	for (e = db->buckets[b]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->sql, sql) == 0)
			return e->stmt;
	if (db->nstmts >= STMT_CACHE_MAX) {
		cal_warn("database", "statement cache full (%u); clearing it", db->nstmts);
		stmt_cache_clear(db);
	}
	stmt = mysql_stmt_init(db->my);
	if (stmt == NULL) {
		*err_no = mysql_errno(db->my);
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
		*err_no = mysql_stmt_errno(stmt);
		mysql_stmt_close(stmt);
		return NULL;
	}
	e = cal_malloc(sizeof *e);
	e->hash = h;
	e->sql = cal_strdup(sql);
	e->stmt = stmt;
	e->next = db->buckets[b];
	db->buckets[b] = e;
	db->nstmts++;
	return stmt;
}

/* Byte length of a string parameter: CAL_DB_STRN's length is exact, even 0 (never strlen past it). */
static unsigned long param_len(const cal_dbv *p)
{
	if (p->has_len || p->len > 0)
		return (unsigned long)p->len;
	return (unsigned long)strlen(p->s);
}

/* Parameter storage that must outlive mysql_stmt_bind_param until execute. */
typedef struct param_store {
	MYSQL_BIND *bind;
	long long *ints;
	double *dbls;
	unsigned long *lens;
} param_store;

static int bind_params(MYSQL_STMT *stmt, const cal_dbv *params, unsigned n, cal_arena *a)
{
	param_store ps;

	if (n == 0)
		return 0;
	ps.bind = cal_arena_alloc(a, sizeof *ps.bind * n);
	ps.ints = cal_arena_alloc(a, sizeof *ps.ints * n);
	ps.dbls = cal_arena_alloc(a, sizeof *ps.dbls * n);
	ps.lens = cal_arena_alloc(a, sizeof *ps.lens * n);
	for (unsigned i = 0; i < n; i++) {
		MYSQL_BIND *b = &ps.bind[i];
		switch (params[i].type) {
		case CAL_DBV_INT:
			ps.ints[i] = params[i].i;
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &ps.ints[i];
			break;
		case CAL_DBV_DOUBLE:
			ps.dbls[i] = params[i].d;
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = &ps.dbls[i];
			break;
		case CAL_DBV_STR:
			if (params[i].s == NULL) {
				b->buffer_type = MYSQL_TYPE_NULL;
				break;
			}
			ps.lens[i] = param_len(&params[i]);
			b->buffer_type = MYSQL_TYPE_STRING;
			/* The library only reads input buffers; the cast is the API's, not a write. */
			b->buffer = (void *)(uintptr_t)params[i].s;
			b->buffer_length = ps.lens[i];
			b->length = &ps.lens[i];
			break;
		case CAL_DBV_NULL:
		default:
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		}
	}
	return mysql_stmt_bind_param(stmt, ps.bind) != 0 ? -1 : 0;
}

/* Column buffers for one result set, all in the arena. */
typedef struct result_store {
	MYSQL_BIND *bind;
	unsigned long *lens;
	my_bool *nulls;
	my_bool *errs;
} result_store;

static int bind_results(MYSQL_STMT *stmt, unsigned ncols, cal_arena *a, result_store *rs)
{
	rs->bind = cal_arena_alloc(a, sizeof *rs->bind * ncols);
	rs->lens = cal_arena_alloc(a, sizeof *rs->lens * ncols);
	rs->nulls = cal_arena_alloc(a, sizeof *rs->nulls * ncols);
	rs->errs = cal_arena_alloc(a, sizeof *rs->errs * ncols);
	for (unsigned c = 0; c < ncols; c++) {
		MYSQL_BIND *b = &rs->bind[c];
		b->buffer_type = MYSQL_TYPE_STRING;
		b->buffer = cal_arena_alloc(a, COL_BUF);
		b->buffer_length = COL_BUF;
		b->length = &rs->lens[c];
		b->is_null = &rs->nulls[c];
		b->error = &rs->errs[c];
	}
	return mysql_stmt_bind_result(stmt, rs->bind) != 0 ? -1 : 0;
}

/* Copies one fetched column into the arena, fetching it again whole when it did not fit. */
static int copy_cell(MYSQL_STMT *stmt, result_store *rs, unsigned c, cal_arena *a, char **cell)
{
	unsigned long len = rs->lens[c];
	MYSQL_BIND whole;
	char *p;

	if (rs->nulls[c]) {
		*cell = NULL;
		return 0;
	}
	if (len < COL_BUF) {
		*cell = cal_arena_strndup(a, rs->bind[c].buffer, len);
		return 0;
	}
	p = cal_arena_alloc(a, (size_t)len + 1);
	memset(&whole, 0, sizeof whole);
	whole.buffer_type = MYSQL_TYPE_STRING;
	whole.buffer = p;
	whole.buffer_length = len + 1;
	whole.length = &len;
	if (mysql_stmt_fetch_column(stmt, &whole, c, 0) != 0)
		return -1;
	p[len] = '\0';
	*cell = p;
	return 0;
}

static int fetch_rows(MYSQL_STMT *stmt, unsigned ncols, cal_arena *a, cal_dbrows *out)
{
	result_store rs;
	size_t nrows;
	int rc;

	if (mysql_stmt_store_result(stmt) != 0 || bind_results(stmt, ncols, a, &rs) != 0)
		return -1;
	nrows = (size_t)mysql_stmt_num_rows(stmt);
	out->ncols = ncols;
	out->rows = cal_arena_alloc(a, sizeof *out->rows * (nrows > 0 ? nrows : 1));
	out->nrows = 0;
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		char **row;
		if (out->nrows == nrows)
			return -1; /* more rows than stored: cannot happen unless the library is broken */
		row = cal_arena_alloc(a, sizeof *row * ncols);
		for (unsigned c = 0; c < ncols; c++)
			if (copy_cell(stmt, &rs, c, a, &row[c]) != 0)
				return -1;
		out->rows[out->nrows++] = row;
	}
	return rc == MYSQL_NO_DATA ? 0 : -1;
}

/*
 * A CALL answers its result sets and then a final status packet; the first result set is the caller's,
 * anything after it is read and dropped so the session is ready for the next command. Plain statements have
 * no further results and cost nothing here.
 */
static int drain_more_results(MYSQL_STMT *stmt)
{
	while (mysql_stmt_more_results(stmt)) {
		int rc = mysql_stmt_next_result(stmt);
		if (rc > 0)
			return -1;
		if (rc < 0)
			break;
		if (mysql_stmt_field_count(stmt) > 0 && mysql_stmt_store_result(stmt) != 0)
			return -1;
		mysql_stmt_free_result(stmt);
	}
	return 0;
}

/*
 * One attempt: prepare (cached), bind, execute, collect. On failure *how says whether the caller may
 * reconnect or re-prepare and try again.
 */
static cal_err run_once(cal_db *db, cal_arena *a, const char *sql, const cal_dbv *params, unsigned nparams,
			cal_dbrows *rows, cal_dbresult *res, failure *how)
{
	unsigned err_no = 0;
	MYSQL_STMT *stmt = stmt_get(db, sql, &err_no);
	unsigned ncols;

	*how = FAIL_FATAL;
	if (stmt == NULL)
		goto fail;
	if (mysql_stmt_param_count(stmt) != nparams) {
		char head[48];
		sql_head(sql, head, sizeof head);
		cal_error("database", "%s: statement takes %lu parameters, %u given", head,
			  mysql_stmt_param_count(stmt), nparams);
		db->last_errno = 0;
		return CAL_ERR_INTERNAL;
	}
	if (bind_params(stmt, params, nparams, a) != 0 || mysql_stmt_execute(stmt) != 0)
		goto stmt_fail;
	ncols = mysql_stmt_field_count(stmt);
	if (rows != NULL) {
		memset(rows, 0, sizeof *rows);
		if (ncols > 0 && fetch_rows(stmt, ncols, a, rows) != 0)
			goto stmt_fail;
	} else if (ncols > 0 && mysql_stmt_store_result(stmt) != 0) {
		goto stmt_fail; /* a result nobody asked for must still be drained */
	}
	if (res != NULL) {
		res->affected = ncols > 0 ? 0 : (unsigned long long)mysql_stmt_affected_rows(stmt);
		res->insert_id = (unsigned long long)mysql_stmt_insert_id(stmt);
	}
	mysql_stmt_free_result(stmt);
	if (drain_more_results(stmt) != 0)
		goto stmt_fail;
	db->last_errno = 0;
	db->last_used = now_ms();
	return CAL_OK;

stmt_fail:
	err_no = mysql_stmt_errno(stmt);
	mysql_stmt_free_result(stmt);
fail:
	db->last_errno = err_no;
	if (is_lost(err_no)) {
		*how = FAIL_LOST;
	} else if (err_no == ER_NEED_REPREPARE || err_no == ER_UNKNOWN_STMT_HANDLER || err_no == CR_NO_PREPARE_STMT) {
		if (stmt != NULL)
			stmt_cache_drop(db, stmt);
		*how = FAIL_REPREPARE;
	}
	return map_errno(err_no);
}

static void log_failure(const cal_db *db, const char *sql, cal_err err)
{
	char head[48];

	if (db->last_errno == 0)
		return; /* already reported where it was found */
	sql_head(sql, head, sizeof head);
	if (is_duplicate(db->last_errno))
		cal_debug("database", "%s: duplicate key", head);
	else if (err == CAL_ERR_UNAVAILABLE)
		cal_warn("database", "%s: failed with errno %u (database unavailable)", head, db->last_errno);
	else
		cal_error("database", "%s: failed with errno %u", head, db->last_errno);
}

/* A failure that was about time: a server-side limit fired, or the client's read timeout ran out. */
static bool is_timeout(const cal_db *db, double took_ms)
{
	unsigned e = db->last_errno;

	if (e == ER_LOCK_WAIT_TIMEOUT || e == ER_STATEMENT_TIMEOUT || e == ER_QUERY_INTERRUPTED)
		return true;
	return is_lost(e) && took_ms >= query_timeout_ms(db->conf) * 0.9;
}

unsigned long cal_db_timeouts(const cal_db *db)
{
	return db != NULL ? db->timeouts : 0;
}

static cal_err run(cal_db *db, cal_arena *a, const char *sql, const cal_dbv *params, unsigned nparams,
		   cal_dbrows *rows, cal_dbresult *res)
{
	bool reprepared = false, reconnected = false;
	cal_err err;

	for (;;) {
		double t0 = now_ms();
		failure how;

		err = ensure_connected(db);
		if (err != CAL_OK)
			return err;
		err = run_once(db, a, sql, params, nparams, rows, res, &how);
		if (err == CAL_OK)
			return CAL_OK;
		if (how == FAIL_REPREPARE && !reprepared) {
			reprepared = true;
			continue;
		}
		if (is_timeout(db, now_ms() - t0))
			db->timeouts++;
		if (how == FAIL_LOST) {
			disconnect(db);
			if (!db->in_tx && !reconnected && now_ms() - t0 < RETRY_IF_FAILED_WITHIN_MS) {
				reconnected = true;
				cal_info("database", "connection lost (errno %u); reconnecting once", db->last_errno);
				continue;
			}
		}
		log_failure(db, sql, err);
		return err;
	}
}

cal_err cal_db_exec(cal_db *db, const char *sql, const cal_dbv *params, unsigned nparams, cal_dbresult *res)
{
	cal_arena scratch;
	cal_err err;

	/* Bind arrays need a home for the call only; a small private arena keeps the signature arena-free. */
	cal_arena_init(&scratch, 1024);
	if (res != NULL)
		memset(res, 0, sizeof *res);
	err = run(db, &scratch, sql, params, nparams, NULL, res);
	cal_arena_free(&scratch);
	return err;
}

cal_err cal_db_query(cal_db *db, cal_arena *arena, const char *sql, const cal_dbv *params, unsigned nparams,
		     cal_dbrows *out)
{
	memset(out, 0, sizeof *out);
	return run(db, arena, sql, params, nparams, out, NULL);
}

/* Drains every result of a multi-statement text query; returns the first error number or 0. */
static unsigned drain_results(MYSQL *my)
{
	int status;

	do {
		MYSQL_RES *r = mysql_store_result(my);
		if (r != NULL)
			mysql_free_result(r);
		else if (mysql_field_count(my) != 0)
			return mysql_errno(my);
		status = mysql_next_result(my);
		if (status > 0)
			return mysql_errno(my);
	} while (status == 0);
	return 0;
}

cal_err cal_db_exec_script(cal_db *db, const char *sql_text)
{
	cal_err err;
	unsigned e = 0;

	/* Scripts are DDL: never retried blindly, so look for a dead session first. */
	err = cal_db_ping(db, NULL);
	if (err != CAL_OK)
		return err;
	if (mysql_set_server_option(db->my, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
		e = mysql_errno(db->my);
		goto out;
	}
	if (mysql_real_query(db->my, sql_text, (unsigned long)strlen(sql_text)) != 0)
		e = mysql_errno(db->my);
	else
		e = drain_results(db->my);
	/* Multi-statements stay off for everything else: they make injected SQL far more dangerous. */
	if (!is_lost(e) && mysql_set_server_option(db->my, MYSQL_OPTION_MULTI_STATEMENTS_OFF) != 0 && e == 0)
		e = mysql_errno(db->my);
out:
	db->last_errno = e;
	if (e == 0) {
		db->last_used = now_ms();
		return CAL_OK;
	}
	err = map_errno(e);
	log_failure(db, sql_text, err);
	if (is_lost(e))
		disconnect(db);
	return err;
}

cal_err cal_db_begin(cal_db *db)
{
	cal_err err;

	if (db->in_tx) {
		cal_error("database", "begin inside an open transaction");
		return CAL_ERR_INTERNAL;
	}
	err = ensure_connected(db);
	if (err != CAL_OK)
		return err;
	if (mysql_query(db->my, "START TRANSACTION") != 0) {
		db->last_errno = mysql_errno(db->my);
		if (!is_lost(db->last_errno))
			return map_errno(db->last_errno);
		/* Nothing happened yet, so one reconnect is safe. */
		disconnect(db);
		err = connect_db(db);
		if (err != CAL_OK)
			return err;
		if (mysql_query(db->my, "START TRANSACTION") != 0) {
			db->last_errno = mysql_errno(db->my);
			if (is_lost(db->last_errno))
				disconnect(db);
			return map_errno(db->last_errno);
		}
	}
	db->in_tx = true;
	db->last_used = now_ms();
	return CAL_OK;
}

cal_err cal_db_begin_query(cal_db *db, cal_arena *arena, const char *sql, const cal_dbv *params, unsigned nparams,
			   cal_dbrows *out)
{
	cal_err err;

	memset(out, 0, sizeof *out);
	if (db->in_tx) {
		cal_error("database", "begin inside an open transaction");
		return CAL_ERR_INTERNAL;
	}
	/* Outside a transaction run() may retry once on a fresh connection: the server rolled back whatever the
	 * lost session had begun, so that is as safe as cal_db_begin()'s own retry. */
	err = run(db, arena, sql, params, nparams, out, NULL);
	if (err != CAL_OK) {
		/* The procedure may have opened the transaction before its failing statement. */
		if (db->my != NULL && mysql_rollback(db->my) != 0 && is_lost(mysql_errno(db->my)))
			disconnect(db);
		return err;
	}
	db->in_tx = true;
	return CAL_OK;
}

cal_err cal_db_commit(cal_db *db)
{
	unsigned e;

	if (!db->in_tx) {
		cal_error("database", "commit without a transaction");
		return CAL_ERR_INTERNAL;
	}
	db->in_tx = false;
	if (db->my == NULL) {
		db->last_errno = CR_SERVER_GONE_ERROR;
		cal_warn("database", "commit after the connection was lost; the transaction was rolled back");
		return CAL_ERR_UNAVAILABLE;
	}
	if (mysql_commit(db->my) == 0) {
		db->last_errno = 0;
		db->last_used = now_ms();
		return CAL_OK;
	}
	e = db->last_errno = mysql_errno(db->my);
	cal_warn("database", "commit failed with errno %u", e);
	if (is_lost(e))
		disconnect(db);
	else
		mysql_rollback(db->my); /* leave the session clean for the next request */
	return map_errno(e);
}

void cal_db_committed_by_server(cal_db *db)
{
	db->in_tx = false;
	db->last_errno = 0;
	db->last_used = now_ms();
}

void cal_db_rollback(cal_db *db)
{
	if (db == NULL || !db->in_tx)
		return;
	db->in_tx = false;
	if (db->my != NULL && mysql_rollback(db->my) != 0) {
		unsigned e = mysql_errno(db->my);
		if (is_lost(e))
			disconnect(db);
	}
}

long long cal_db_cell_int(const cal_dbrows *r, size_t row, unsigned col, long long def)
{
	const char *s = cal_db_cell(r, row, col);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtoll(s, &end, 10);
	/* "12.0" from a DECIMAL column is still the integer 12. */
	if (errno != 0 || end == s || (*end != '\0' && !(*end == '.' && strspn(end + 1, "0") == strlen(end + 1))))
		return def;
	return v;
}

double cal_db_cell_double(const cal_dbrows *r, size_t row, unsigned col, double def)
{
	const char *s = cal_db_cell(r, row, col);
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0')
		return def;
	return v;
}

const char *cal_db_cell(const cal_dbrows *r, size_t row, unsigned col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->rows[row][col];
}
