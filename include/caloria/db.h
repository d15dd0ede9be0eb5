/*
 * The MariaDB access layer. One connection per worker, opened lazily on first use, checked and re-opened
 * after a lost connection; every statement is a server-side prepared statement cached per connection by
 * its SQL text. Callers pass constant SQL and typed parameters; results come back as rows of strings in the
 * caller's arena (NULL for SQL NULL), which keeps ownership trivial.
 *
 * A lost server surfaces as CAL_ERR_UNAVAILABLE; outside a transaction the statement is retried once on a
 * fresh connection, inside one the transaction is lost and the caller's error path rolls back.
 */
#ifndef CALORIA_DB_H
#define CALORIA_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "caloria/conf.h"
#include "caloria/err.h"
#include "caloria/mem.h"

typedef struct cal_db cal_db;

typedef enum cal_dbv_type {
	CAL_DBV_NULL = 0,
	CAL_DBV_INT,
	CAL_DBV_DOUBLE,
	CAL_DBV_STR
} cal_dbv_type;

/* One bound parameter. */
typedef struct cal_dbv {
	cal_dbv_type type;
	long long i;
	double d;
	const char *s;
	size_t len; /* for strings; computed with strlen when 0 and s non-NULL, unless has_len */
	bool has_len; /* len is exact even when 0 (CAL_DB_STRN): s need not be NUL-terminated */
} cal_dbv;

#define CAL_DB_NULL ((cal_dbv){.type = CAL_DBV_NULL})
#define CAL_DB_INT(v) ((cal_dbv){.type = CAL_DBV_INT, .i = (long long)(v)})
#define CAL_DB_DBL(v) ((cal_dbv){.type = CAL_DBV_DOUBLE, .d = (double)(v)})
/* A function, not a macro test: `(v) ? …` on an array argument trips -Waddress (always true). */
static inline cal_dbv cal_db_str_(const char *s)
{
	return (cal_dbv){.type = s != NULL ? CAL_DBV_STR : CAL_DBV_NULL, .s = s};
}
#define CAL_DB_STR(v) cal_db_str_(v)
#define CAL_DB_STRN(v, n) ((cal_dbv){.type = CAL_DBV_STR, .s = (v), .len = (n), .has_len = true})

typedef struct cal_dbrows {
	size_t nrows;
	unsigned ncols;
	char ***rows; /* rows[r][c]: NUL-terminated text in the arena, NULL for SQL NULL */
} cal_dbrows;

typedef struct cal_dbresult {
	unsigned long long affected;
	unsigned long long insert_id;
} cal_dbresult;

/* Creates the handle; does not connect. The conf must outlive the handle. */
cal_db *cal_db_new(const cal_conf *conf);
void cal_db_free(cal_db *db);
/*
 * Connects if needed and pings, within database.connect_timeout_ms + query_timeout_ms (cal_db_ping_within);
 * CAL_OK or CAL_ERR_UNAVAILABLE. latency_ms may be NULL.
 */
cal_err cal_db_ping(cal_db *db, double *latency_ms);
/*
 * A ping that never takes longer than budget_ms (SPEC §13: /health answers within 100 ms): the
 * connector's non-blocking API with a deadline, for the ping of the worker's session and, when there is
 * none (or it is dead), for one fresh connect, which the worker then keeps. A database host that drops
 * packets or a server that stopped answering costs the budget, not the connect or query timeout; a session
 * given up half-way is dropped. CAL_OK or CAL_ERR_UNAVAILABLE; *timed_out (may be NULL) says whether the
 * budget ran out. latency_ms (may be NULL): the time it took.
 */
cal_err cal_db_ping_within(cal_db *db, double budget_ms, double *latency_ms, bool *timed_out);
bool cal_db_connected(const cal_db *db);

/* INSERT/UPDATE/DELETE/DDL-free statements. res may be NULL. */
cal_err cal_db_exec(cal_db *db, const char *sql, const cal_dbv *params, unsigned nparams, cal_dbresult *res);
/* SELECT; rows stored in arena. */
cal_err cal_db_query(cal_db *db, cal_arena *arena, const char *sql, const cal_dbv *params, unsigned nparams,
		     cal_dbrows *out);
/* Runs text SQL without parameters (migrations, DDL only; never with user input). */
cal_err cal_db_exec_script(cal_db *db, const char *sql_text);

cal_err cal_db_begin(cal_db *db);
/*
 * Opens a transaction and runs its first statement in one round trip: sql CALLs a procedure whose first
 * statement is START TRANSACTION (schema/0002_procedures.sql); rows as for cal_db_query(). On CAL_OK the
 * transaction is open as after cal_db_begin(); on failure nothing is left open.
 */
cal_err cal_db_begin_query(cal_db *db, cal_arena *arena, const char *sql, const cal_dbv *params, unsigned nparams,
			   cal_dbrows *out);
cal_err cal_db_commit(cal_db *db);
/*
 * For a procedure that committed the open transaction itself (schema/0003 cal_food_turn, when its answer says
 * so): the transaction is closed and the next one may begin. Saves the COMMIT round trip.
 */
void cal_db_committed_by_server(cal_db *db);
/* Safe to call when no transaction is open or the connection is gone. */
void cal_db_rollback(cal_db *db);
bool cal_db_in_transaction(const cal_db *db);

/* Server version string ("10.11.6-MariaDB") or NULL when not connected. */
const char *cal_db_server_version(cal_db *db);
/* Error number of the last failure (0 when none) — for tests and duplicate-key handling. */
unsigned cal_db_last_errno(const cal_db *db);
bool cal_db_last_was_duplicate(const cal_db *db);
/* The last failure was InnoDB choosing this transaction as a deadlock victim: it was rolled back whole, and
 * running it again from the start is the remedy. */
bool cal_db_last_was_deadlock(const cal_db *db);
/*
 * Statements given up on for time since the handle was created: a server-side limit (lock wait, metadata
 * lock wait, max_statement_time) or the client's read timeout. The pipeline compares it before and after
 * a request to tell the pool that database calls are timing out (/health "degraded").
 */
unsigned long cal_db_timeouts(const cal_db *db);
/*
 * Turns the session's server-side statement and lock-wait limits off (migrations: DDL on a large table may
 * take minutes) or back on. A session opened later always starts with them on.
 */
cal_err cal_db_statement_limits(cal_db *db, bool on);

/* Row helpers: parse a cell; return def when NULL or unparsable. */
long long cal_db_cell_int(const cal_dbrows *r, size_t row, unsigned col, long long def);
double cal_db_cell_double(const cal_dbrows *r, size_t row, unsigned col, double def);
const char *cal_db_cell(const cal_dbrows *r, size_t row, unsigned col); /* NULL when SQL NULL */

#endif
