/*
 * Schema migrations (migrate.h): the files dir/NNNN_name.sql, applied in version order, each recorded in
 * schema_migrations with the SHA-256 of its text so it runs once and a later edit of an applied file is
 * caught instead of silently diverging from the database.
 *
 * MariaDB commits implicitly around every DDL statement, so a file of DDL cannot be applied atomically. What
 * this module guarantees instead: a file is recorded only after all of its statements succeeded, its
 * statements run inside one transaction (which does make pure data migrations atomic), and a failure stops
 * the run at that file, naming the statement. Migration files are therefore written to be re-runnable
 * (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, CREATE INDEX IF NOT EXISTS, INSERT IGNORE …), so
 * that after fixing a half-applied file the next `caloria migrate` simply finishes it (schema/README.md).
 *
 * Two concurrent runs are serialised with the named lock caloria_migrate.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "caloria/log.h"
#include "caloria/migrate.h"

#define LOCK_TIMEOUT_S 30
#define MAX_FILE_BYTES (4u << 20)
#define ER_NO_SUCH_TABLE 1146

typedef struct mfile {
	int version;
	char *name;       /* "0001_init.sql" */
	char *path;
	char *text;       /* loaded on demand */
	char checksum[65];
} mfile;

typedef struct mlist {
	mfile *items;
	size_t count;
} mlist;

/* Errors go to the log and, for the operator at the terminal, to out. */
static void report(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(FILE *out, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cal_error("database", "migrate: %s", msg);
	if (out != NULL)
		fprintf(out, "error: %s\n", msg);
}

static void mlist_free(mlist *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].path);
		free(l->items[i].text);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* "0007_add_jobs.sql" → 7; -1 for anything else (README, editor backups, "7_x.sql"). */
static int file_version(const char *name)
{
	size_t len = strlen(name);

	if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
		return -1;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)name[i]))
			return -1;
	return atoi(name) > 0 ? atoi(name) : -1; /* 0000 is not a version: 0 means "none applied" */
}

static int by_version(const void *a, const void *b)
{
	const mfile *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static cal_err list_files(const char *dir, mlist *l, FILE *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	memset(l, 0, sizeof *l);
	if (d == NULL) {
		report(out, "cannot open schema directory %s: %s", dir, strerror(errno));
		return CAL_ERR_NOT_FOUND;
	}
	while ((de = readdir(d)) != NULL) {
		int v = file_version(de->d_name);
		if (v < 0)
			continue;
		if (l->count == cap) {
			cap = cap ? cap * 2 : 16;
			l->items = cal_reallocarray(l->items, cap, sizeof *l->items);
		}
		memset(&l->items[l->count], 0, sizeof l->items[0]);
		l->items[l->count].version = v;
		l->items[l->count].name = cal_strdup(de->d_name);
		l->items[l->count].path = cal_malloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(l->items[l->count].path, "%s/%s", dir, de->d_name);
		l->count++;
	}
	closedir(d);
	if (l->count > 1)
		qsort(l->items, l->count, sizeof *l->items, by_version);
	for (size_t i = 1; i < l->count; i++) {
		if (l->items[i].version == l->items[i - 1].version) {
			report(out, "two migrations share version %04d: %s and %s", l->items[i].version,
			       l->items[i - 1].name, l->items[i].name);
			return CAL_ERR_VALIDATION;
		}
	}
	return CAL_OK;
}

static cal_err load_file(mfile *f, FILE *out)
{
	FILE *fp = fopen(f->path, "rb");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t n;
	cal_err err = CAL_ERR_INTERNAL;

	if (fp == NULL) {
		report(out, "cannot read %s: %s", f->path, strerror(errno));
		return CAL_ERR_NOT_FOUND;
	}
	f->text = cal_malloc(MAX_FILE_BYTES + 1);
	n = fread(f->text, 1, MAX_FILE_BYTES + 1, fp);
	if (ferror(fp)) {
		report(out, "cannot read %s: %s", f->path, strerror(errno));
		goto out;
	}
	if (n > MAX_FILE_BYTES) {
		report(out, "%s is larger than %u bytes", f->name, MAX_FILE_BYTES);
		goto out;
	}
	f->text[n] = '\0';
	if (strlen(f->text) != n) {
		report(out, "%s contains a NUL byte", f->name);
		goto out;
	}
	if (EVP_Digest(f->text, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		report(out, "cannot compute the checksum of %s", f->name);
		goto out;
	}
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(f->checksum + 2 * i, "%02x", md[i]);
	err = CAL_OK;
out:
	fclose(fp);
	return err;
}

/*
 * Cuts a script into statements: a ';' that ends a line (only blanks or a comment after it), outside
 * quotes and comments, ends a statement. Returns the next statement (trimmed, malloc'd) and advances *pos
 * and *line; NULL at the end. Statements made only of comments are skipped. Compound statements (BEGIN …
 * END in procedures and triggers) are not supported in migration files.
 */
static char *next_statement(const char *text, size_t *pos, int *line, int *start_line)
{
	size_t i = *pos, start = *pos;
	char quote = 0;
	bool content = false;

	*start_line = *line;
	for (; text[i] != '\0'; i++) {
		char c = text[i];
		if (c == '\n')
			(*line)++;
		if (quote != 0) {
			if (c == '\\' && quote != '`' && text[i + 1] != '\0') {
				i++;
				if (text[i] == '\n')
					(*line)++;
			} else if (c == quote) {
				quote = 0;
			}
			continue;
		}
		if (c == '#' || (c == '-' && text[i + 1] == '-' && (text[i + 2] == '\0' || isspace((unsigned char)text[i + 2])))) {
			while (text[i + 1] != '\0' && text[i + 1] != '\n')
				i++;
			continue;
		}
		if (c == '/' && text[i + 1] == '*') {
			for (i += 2; text[i] != '\0' && !(text[i] == '*' && text[i + 1] == '/'); i++)
				if (text[i] == '\n')
					(*line)++;
			if (text[i] == '\0')
				break;
			i++;
			continue;
		}
		if (c == ';') {
			size_t j = i + 1;
			while (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')
				j++;
			bool eol = text[j] == '\0' || text[j] == '\n' || text[j] == '#' ||
				   (text[j] == '-' && text[j + 1] == '-');
			if (eol) {
				if (content) {
					*pos = i + 1;
					return cal_strndup(text + start, i - start);
				}
				start = i + 1;
				*start_line = *line;
				continue;
			}
		}
		if (!content && !isspace((unsigned char)c)) {
			content = true;
			start = i;
			*start_line = *line;
		}
		if (c == '\'' || c == '"' || c == '`')
			quote = c;
	}
	*pos = i;
	if (content)
		return cal_strndup(text + start, i - start);
	return NULL;
}

static cal_err ensure_table(cal_db *db, FILE *out)
{
	cal_err err = cal_db_exec_script(db,
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version INT NOT NULL PRIMARY KEY,"
		" name VARCHAR(255) NOT NULL,"
		" checksum CHAR(64) NOT NULL,"
		" applied_at DATETIME NOT NULL"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci");
	if (err != CAL_OK)
		report(out, "cannot create schema_migrations (errno %u)", cal_db_last_errno(db));
	return err;
}

/* Applied versions; a missing table means nothing applied (first run, or --status on a fresh database). */
static cal_err read_applied(cal_db *db, cal_arena *a, cal_dbrows *rows, FILE *out)
{
	cal_err err;

	/* Asked first so that a fresh database does not log an error for the missing table. */
	err = cal_db_query(db, a, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
				  " AND TABLE_NAME = 'schema_migrations'", NULL, 0, rows);
	if (err == CAL_OK && cal_db_cell_int(rows, 0, 0, 0) == 0) {
		memset(rows, 0, sizeof *rows);
		return CAL_OK;
	}
	if (err == CAL_OK)
		err = cal_db_query(db, a, "SELECT version, name, checksum, applied_at FROM schema_migrations"
					  " ORDER BY version", NULL, 0, rows);
	if (err != CAL_OK && cal_db_last_errno(db) == ER_NO_SUCH_TABLE) {
		memset(rows, 0, sizeof *rows);
		return CAL_OK;
	}
	if (err != CAL_OK)
		report(out, "cannot read schema_migrations (errno %u)", cal_db_last_errno(db));
	return err;
}

/* Row index of version in rows, or -1. */
static long find_applied(const cal_dbrows *rows, int version)
{
	for (size_t r = 0; r < rows->nrows; r++)
		if (cal_db_cell_int(rows, r, 0, -1) == version)
			return (long)r;
	return -1;
}

/* Checks every applied file's checksum against its text; CAL_ERR_CONFLICT if one changed. */
static cal_err verify_applied(mlist *l, const cal_dbrows *rows, FILE *out)
{
	cal_err result = CAL_OK;

	for (size_t i = 0; i < l->count; i++) {
		long r = find_applied(rows, l->items[i].version);
		const char *sum;
		if (r < 0)
			continue;
		if (l->items[i].text == NULL && load_file(&l->items[i], out) != CAL_OK)
			return CAL_ERR_INTERNAL;
		sum = cal_db_cell(rows, (size_t)r, 2);
		if (sum == NULL || strcmp(sum, l->items[i].checksum) != 0) {
			report(out, "%s was changed after it was applied (checksum differs); write a new migration "
				    "instead", l->items[i].name);
			result = CAL_ERR_CONFLICT;
		}
	}
	return result;
}

static cal_err lock(cal_db *db, cal_arena *a, FILE *out)
{
	cal_dbrows rows;
	cal_dbv p[] = {CAL_DB_INT(LOCK_TIMEOUT_S)};
	cal_err err = cal_db_query(db, a, "SELECT GET_LOCK('caloria_migrate', ?)", p, 1, &rows);

	if (err != CAL_OK) {
		report(out, "cannot take the migration lock (errno %u)", cal_db_last_errno(db));
		return err;
	}
	if (cal_db_cell_int(&rows, 0, 0, 0) != 1) {
		report(out, "another `caloria migrate` has held the lock for %d s; try again later", LOCK_TIMEOUT_S);
		return CAL_ERR_UNAVAILABLE;
	}
	return CAL_OK;
}

static void unlock(cal_db *db, cal_arena *a)
{
	cal_dbrows rows;

	/* Best effort: the server frees the lock with the session anyway. */
	(void)cal_db_query(db, a, "SELECT RELEASE_LOCK('caloria_migrate')", NULL, 0, &rows);
}

/* Applies one file: its statements, then its record, inside one transaction (see the top comment). */
static cal_err apply_file(cal_db *db, mfile *f, FILE *out)
{
	size_t pos = 0;
	int line = 1, start_line = 1, n = 0;
	char *stmt = NULL;
	cal_dbv rec[3];
	cal_err err;

	if (f->text == NULL && (err = load_file(f, out)) != CAL_OK)
		return err;
	/*
	 * autocommit off as well as START TRANSACTION: a DDL statement commits and ends the transaction, and
	 * with autocommit off the statements after it open a new one instead of committing one by one.
	 */
	err = cal_db_begin(db);
	if (err == CAL_OK)
		err = cal_db_exec_script(db, "SET autocommit = 0");
	if (err != CAL_OK) {
		report(out, "%s: cannot start a transaction (errno %u)", f->name, cal_db_last_errno(db));
		goto fail;
	}
	while ((stmt = next_statement(f->text, &pos, &line, &start_line)) != NULL) {
		n++;
		err = cal_db_exec_script(db, stmt);
		free(stmt);
		if (err != CAL_OK) {
			report(out, "%s: statement %d (line %d) failed with errno %u; nothing recorded, fix the file "
				    "and run migrate again", f->name, n, start_line, cal_db_last_errno(db));
			goto fail;
		}
	}
	rec[0] = CAL_DB_INT(f->version);
	rec[1] = CAL_DB_STR(f->name);
	rec[2] = CAL_DB_STR(f->checksum);
	err = cal_db_exec(db, "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
			      " VALUES (?, ?, ?, UTC_TIMESTAMP())", rec, 3, NULL);
	if (err != CAL_OK) {
		report(out, "%s: cannot record the migration (errno %u)", f->name, cal_db_last_errno(db));
		goto fail;
	}
	err = cal_db_commit(db);
	if (err != CAL_OK) {
		report(out, "%s: commit failed (errno %u)", f->name, cal_db_last_errno(db));
		goto restore;
	}
	err = cal_db_exec_script(db, "SET autocommit = 1");
	if (err != CAL_OK)
		return err;
	if (out != NULL)
		fprintf(out, "applied %s (%d statements)\n", f->name, n);
	cal_info("database", "migration %s applied (%d statements)", f->name, n);
	return CAL_OK;
fail:
	cal_db_rollback(db);
restore:
	/* Best effort: a lost session comes back with autocommit on anyway. */
	if (cal_db_connected(db))
		(void)cal_db_exec_script(db, "SET autocommit = 1");
	return err;
}

cal_err cal_migrate_apply(cal_db *db, const char *dir, FILE *out)
{
	cal_arena a;
	cal_dbrows rows;
	mlist files = {0};
	bool locked = false;
	int applied = 0;
	cal_err err;

	cal_arena_init(&a, 4096);
	err = list_files(dir, &files, out);
	if (err != CAL_OK)
		goto out;
	err = ensure_table(db, out);
	if (err != CAL_OK)
		goto out;
	err = lock(db, &a, out);
	if (err != CAL_OK)
		goto out;
	locked = true;
	/* DDL on a big table may run for minutes: the request-sized statement limits do not apply here. */
	err = cal_db_statement_limits(db, false);
	if (err != CAL_OK)
		goto out;
	/* Read under the lock: a concurrent run may just have applied something. */
	err = read_applied(db, &a, &rows, out);
	if (err != CAL_OK)
		goto out;
	err = verify_applied(&files, &rows, out);
	if (err != CAL_OK)
		goto out;
	for (size_t i = 0; i < files.count; i++) {
		if (find_applied(&rows, files.items[i].version) >= 0)
			continue;
		err = apply_file(db, &files.items[i], out);
		if (err != CAL_OK)
			goto out;
		applied++;
	}
	if (out != NULL && applied == 0)
		fprintf(out, "schema is up to date (%zu migrations)\n", files.count);
out:
	if (locked) {
		unlock(db, &a);
		if (cal_db_connected(db))
			(void)cal_db_statement_limits(db, true);
	}
	mlist_free(&files);
	cal_arena_free(&a);
	return err;
}

cal_err cal_migrate_status(cal_db *db, const char *dir, cal_migration_status *st, FILE *out)
{
	cal_arena a;
	cal_dbrows rows;
	mlist files = {0};
	cal_err err;

	memset(st, 0, sizeof *st);
	cal_arena_init(&a, 4096);
	err = list_files(dir, &files, out);
	if (err != CAL_OK)
		goto out;
	err = read_applied(db, &a, &rows, out);
	if (err != CAL_OK)
		goto out;
	if (files.count > 0)
		st->latest_available = files.items[files.count - 1].version;
	for (size_t r = 0; r < rows.nrows; r++) {
		int v = (int)cal_db_cell_int(&rows, r, 0, 0);
		if (v > st->latest_applied)
			st->latest_applied = v;
		if (out != NULL && v > 0) {
			bool have = false;
			for (size_t i = 0; i < files.count; i++)
				have = have || files.items[i].version == v;
			if (!have)
				fprintf(out, "%04d %s: applied %s, file missing\n", v, cal_db_cell(&rows, r, 1),
					cal_db_cell(&rows, r, 3));
		}
	}
	for (size_t i = 0; i < files.count; i++) {
		long r = find_applied(&rows, files.items[i].version);
		if (r < 0)
			st->pending++;
		if (out != NULL)
			fprintf(out, "%s: %s%s\n", files.items[i].name, r < 0 ? "pending" : "applied ",
				r < 0 ? "" : cal_db_cell(&rows, (size_t)r, 3));
	}
	err = verify_applied(&files, &rows, out);
	if (out != NULL)
		fprintf(out, "latest available %d, latest applied %d, pending %d\n", st->latest_available,
			st->latest_applied, st->pending);
out:
	mlist_free(&files);
	cal_arena_free(&a);
	return err;
}
