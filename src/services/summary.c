/*
 * Daily summaries (SPEC §8, §11): picks the daily_stats rows whose summary is due, writes each one in the
 * user's language from the food log's own day view and advice (foodlog.h), pushes it with ManyChat
 * sendContent at most CAL_SUMMARY_MAX_PER_SEC times a second, and marks the row only once ManyChat accepted
 * it. What "due" means (each user's local yesterday, after the local morning hour) is explained in
 * summary.h and chosen in one SQL statement here, so the rule lives in one place.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caloria/apiclient.h"
#include "caloria/db.h"
#include "caloria/foodlog.h"
#include "caloria/i18n.h"
#include "caloria/log.h"
#include "caloria/reply.h"
#include "caloria/summary.h"

#define EXIT_USAGE 2
#define MAX_RECS 8
#define RETRY_WAIT_MS 500                      /* first wait between tries; doubles */
/*
 * Gap between the starts of two sends: 1/20 s plus 5 ms. ManyChat counts when requests arrive, not when they
 * leave; with the margin, 21 arrivals fit in one second only if the network delays one send by 100 ms more
 * than the send twenty places after it (with no margin, 40 ms would do).
 */
#define SEND_GAP_MS (1000 / CAL_SUMMARY_MAX_PER_SEC + 5)
#define LOCK_NAME "caloria.send-daily-summaries"
#define STR_(x) #x
#define STR(x) STR_(x)

/* Columns of both selections, in this order. */
#define DUE_COLUMNS "u.id, u.subscriber_id, u.language, u.daily_calorie_goal, u.protein_target_g, " \
	"u.carbs_target_g, u.fat_target_g, DATE_FORMAT(d.local_date, '%Y-%m-%d')"

/*
 * Each user's local yesterday as of the run's start (`now`, UTC), once the local hour has come. The date
 * range lets the (local_date, summary_sent_at) index narrow the scan: UTC offsets span -12:00..+14:00, so
 * every local yesterday lies between two days before and the UTC date itself.
 */
static const char sql_due_auto[] =
	"SELECT " DUE_COLUMNS " FROM daily_stats d JOIN users u ON u.id = d.user_id"
	" WHERE d.local_date BETWEEN DATE(CAST(? AS DATETIME)) - INTERVAL 2 DAY AND DATE(CAST(? AS DATETIME))"
	" AND d.summary_sent_at IS NULL AND d.meals_logged > 0"
	" AND d.local_date = DATE(CAST(? AS DATETIME) + INTERVAL u.utc_offset_min MINUTE) - INTERVAL 1 DAY"
	" AND HOUR(CAST(? AS DATETIME) + INTERVAL u.utc_offset_min MINUTE) >= " STR(CAL_SUMMARY_LOCAL_HOUR)
	" AND d.user_id > ? ORDER BY d.user_id LIMIT " STR(CAL_SUMMARY_BATCH);

static const char sql_due_date[] =
	"SELECT " DUE_COLUMNS " FROM daily_stats d JOIN users u ON u.id = d.user_id"
	" WHERE d.local_date = ? AND d.summary_sent_at IS NULL AND d.meals_logged > 0"
	" AND d.user_id > ? ORDER BY d.user_id LIMIT " STR(CAL_SUMMARY_BATCH);

/* Only a row still unsent is marked: a concurrent manual run cannot make it count twice. */
static const char sql_mark_sent[] =
	"UPDATE daily_stats SET summary_sent_at = UTC_TIMESTAMP(), summary_attempts = summary_attempts + ?"
	" WHERE user_id = ? AND local_date = ? AND summary_sent_at IS NULL";
static const char sql_mark_failed[] =
	"UPDATE daily_stats SET summary_attempts = summary_attempts + ? WHERE user_id = ? AND local_date = ?";

static const char sql_items[] =
	"SELECT items FROM food_logs WHERE user_id = ? AND local_date = ? ORDER BY id";

/* Spaces the sends: the next one may start at next_ms (monotonic). */
typedef struct pacer {
	long long next_ms;
} pacer;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void pace(pacer *p)
{
	long long now = mono_ms();

	if (now < p->next_ms) {
		sleep_ms(p->next_ms - now);
		now = p->next_ms;
	}
	p->next_ms = now + SEND_GAP_MS;
}

/* "YYYY-MM-DD" naming a real calendar day. */
static bool valid_date(const char *s)
{
	char back[11];

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	/* date_minus normalises through mktime: 2025-02-30 comes back as another day. */
	return cal_foodlog_date_minus(s, 0, back) == 0 && strcmp(back, s) == 0;
}

/* ------------------------------------------------------------------------------------------ the text */

/* Appends the day's eaten items, one "• name (g): kcal" line each, while b stays under budget bytes. */
static void add_items(cal_db *db, cal_arena *a, const cal_summary_user *u, const char *date, cal_buf *b,
		      size_t budget)
{
	cal_dbv p[] = {CAL_DB_INT(u->id), CAL_DB_STR(date)};
	cal_dbrows rows = {0};
	bool cut = false;

	if (cal_db_query(db, a, sql_items, p, 2, &rows) != CAL_OK)
		return; /* the totals are still right; the list is a nicety */
	for (size_t r = 0; r < rows.nrows && !cut; r++) {
		const char *json = cal_db_cell(&rows, r, 0);
		struct json_object *items = json != NULL ? json_tokener_parse(json) : NULL;
		size_t n = json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
		for (size_t i = 0; i < n && !cut; i++) {
			struct json_object *it = json_object_array_get_idx(items, i), *v;
			char *line;
			if (json_object_object_get_ex(it, "matched", &v) && !json_object_get_boolean(v))
				continue; /* not counted in the totals either */
			if (!json_object_object_get_ex(it, "name", &v) || json_object_get_string(v) == NULL)
				continue;
			line = cal_i18n_printf(
				a, CAL_MSG_FOOD_ITEM, u->lang,
				cal_reply_item_words(a, u->lang, it, true),
				(int)lround(json_object_get_double(json_object_object_get(it, "kcal"))));
			if (b->len + strlen(line) + sizeof "\n• …" > budget) {
				cal_buf_puts(b, b->len > 0 ? "\n• …" : "• …");
				cut = true;
				break;
			}
			cal_buf_printf(b, "%s%s", b->len > 0 ? "\n" : "", line);
		}
		json_object_put(items);
	}
}

/* Cuts b to fewer than max bytes at a UTF-8 character boundary. */
static void cap_text(cal_buf *b, size_t max)
{
	size_t n;

	if (b->len < max)
		return;
	n = max - 1;
	while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80)
		n--;
	b->len = n;
	b->data[n] = '\0';
}

/*
 * Sections, separated by a blank line: the day against the goal (and the macros against their targets when
 * the profile has them), the items eaten, and the advice.
 */
char *cal_summary_text(cal_db *db, cal_arena *a, const cal_summary_user *u, const char *date, cal_err *err)
{
	const char *recs[MAX_RECS];
	cal_buf text, items, advice;
	cal_day day, nutrients;
	size_t nrecs, room;
	char *result = NULL;

	cal_buf_init(&text);
	cal_buf_init(&items);
	cal_buf_init(&advice);
	*err = cal_foodlog_day(db, a, u->id, date, u->goal_kcal, &day);
	if (*err != CAL_OK)
		goto out;
	cal_buf_puts(&text, cal_i18n_printf(a, CAL_MSG_DAY_SUMMARY, u->lang,
					   cal_i18n_date(a, u->lang, date, CAL_DATE_FULL),
					   cal_i18n_count(a, u->lang, day.meals, CAL_NOUN_MEAL), (int)lround(day.kcal),
					   day.goal_kcal));
	if (u->protein_target_g > 0)
		cal_buf_printf(&text, "\n%s", cal_i18n_printf(a, CAL_MSG_DAY_MACROS, u->lang,
							      (int)lround(day.protein_g), u->protein_target_g,
							      (int)lround(day.carbs_g), u->carbs_target_g,
							      (int)lround(day.fat_g), u->fat_target_g));
	/* The catalogue's kcal verdicts speak of "today"; the first line already sets the day against its
	 * goal, so only the nutrient advice is taken (a goal of 0 leaves the verdict out). */
	nutrients = day;
	nutrients.goal_kcal = 0;
	nrecs = cal_foodlog_recommendations(&nutrients, u->protein_target_g, u->lang, a, recs, MAX_RECS);
	for (size_t i = 0; i < nrecs; i++)
		cal_buf_printf(&advice, "%s%s", i > 0 ? "\n" : "", recs[i]);
	/* The items get whatever room the other sections leave. */
	room = text.len + advice.len + 4 < CAL_I18N_TEXT_MAX ? CAL_I18N_TEXT_MAX - text.len - advice.len - 4 : 0;
	if (room > 0)
		add_items(db, a, u, date, &items, room);
	if (items.len > 0)
		cal_buf_printf(&text, "\n\n%s", items.data);
	if (advice.len > 0)
		cal_buf_printf(&text, "\n\n%s", advice.data);
	cap_text(&text, CAL_I18N_TEXT_MAX);
	result = cal_arena_strndup(a, text.data, text.len);
out:
	cal_buf_free(&text);
	cal_buf_free(&items);
	cal_buf_free(&advice);
	return result;
}

/* ------------------------------------------------------------------------------------------- the run */

static void user_from_row(const cal_dbrows *rows, size_t r, cal_summary_user *u)
{
	const char *lang = cal_db_cell(rows, r, 2);

	memset(u, 0, sizeof *u);
	u->id = cal_db_cell_int(rows, r, 0, 0);
	u->subscriber_id = cal_db_cell(rows, r, 1);
	u->lang = lang != NULL && strcmp(lang, "en") == 0 ? CAL_LANG_EN : CAL_LANG_ES;
	u->goal_kcal = (int)cal_db_cell_int(rows, r, 3, 0);
	u->protein_target_g = (int)cal_db_cell_int(rows, r, 4, 0);
	u->carbs_target_g = (int)cal_db_cell_int(rows, r, 5, 0);
	u->fat_target_g = (int)cal_db_cell_int(rows, r, 6, 0);
}

/* Sends with up to CAL_SUMMARY_TRIES tries; *tries tells how many were made. */
static cal_err send_with_retries(cal_ctx *ctx, cal_arena *a, pacer *pc, const cal_summary_user *u,
				 const char *text, int *tries)
{
	cal_err e = CAL_ERR_UPSTREAM;
	long long wait = RETRY_WAIT_MS;

	*tries = 0;
	for (int i = 0; i < CAL_SUMMARY_TRIES; i++) {
		if (i > 0) {
			/* jitter in [wait/2, wait] so many failing runs do not retry in step */
			sleep_ms(wait / 2 + rand() % (wait / 2 + 1));
			wait *= 2;
		}
		pace(pc);
		e = cal_api_manychat_send_text(ctx->api, u->subscriber_id, text, a);
		(*tries)++;
		/* UNAVAILABLE: pushes are off or ManyChat's breaker is open; waiting here would not help. */
		if (e == CAL_OK || e == CAL_ERR_UNAVAILABLE || e == CAL_ERR_VALIDATION)
			break;
	}
	return e;
}

static cal_err record_outcome(cal_db *db, const cal_summary_user *u, const char *date, bool sent, int tries)
{
	cal_dbv p[] = {CAL_DB_INT(tries), CAL_DB_INT(u->id), CAL_DB_STR(date)};

	return cal_db_exec(db, sent ? sql_mark_sent : sql_mark_failed, p, 3, NULL);
}

static void handle_row(cal_ctx *ctx, cal_arena *a, const cal_summary_opts *o, FILE *out, pacer *pc,
		       const cal_dbrows *rows, size_t r, cal_summary_stats *st)
{
	const char *date = cal_db_cell(rows, r, 7);
	cal_summary_user u;
	cal_err e;
	char *text;
	int tries = 0;

	user_from_row(rows, r, &u);
	st->due++;
	text = cal_summary_text(ctx->db, a, &u, date, &e);
	if (text == NULL) {
		cal_error("app", "daily summary of user %lld for %s could not be built: %s", u.id, date,
			  cal_err_code(e));
		st->failed++;
		return;
	}
	if (o->dry_run) {
		fprintf(out, "--- %s %s (%s)\n%s\n\n", u.subscriber_id, date, cal_i18n_lang_code(u.lang), text);
		return;
	}
	e = send_with_retries(ctx, a, pc, &u, text, &tries);
	if (record_outcome(ctx->db, &u, date, e == CAL_OK, tries) != CAL_OK) {
		/* Sent but not marked: the next run would send it again, so say so loudly. */
		cal_error("database", "daily summary of user %lld for %s: outcome not recorded (sent: %s)", u.id,
			  date, e == CAL_OK ? "yes" : "no");
		st->failed++;
		return;
	}
	if (e == CAL_OK) {
		st->sent++;
	} else {
		cal_warn("app", "daily summary of user %lld for %s not sent after %d tries: %s", u.id, date, tries,
			 cal_err_code(e));
		st->failed++;
	}
}

/* The run's clock, read once from the database so every batch judges "yesterday" alike. */
static cal_err db_now(cal_db *db, cal_arena *a, char now[20])
{
	cal_dbrows rows = {0};
	static const char sql[] = "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s')";
	cal_err e = cal_db_query(db, a, sql, NULL, 0, &rows);

	if (e == CAL_OK && (rows.nrows != 1 || cal_db_cell(&rows, 0, 0) == NULL))
		e = CAL_ERR_INTERNAL;
	if (e == CAL_OK)
		snprintf(now, 20, "%s", cal_db_cell(&rows, 0, 0));
	return e;
}

/* One run per database at a time: 1 taken, 0 busy, -1 error. */
static int take_lock(cal_db *db, cal_arena *a)
{
	cal_dbv p[] = {CAL_DB_STR(LOCK_NAME)};
	cal_dbrows rows = {0};

	if (cal_db_query(db, a, "SELECT GET_LOCK(?, 0)", p, 1, &rows) != CAL_OK || rows.nrows != 1)
		return -1;
	return cal_db_cell_int(&rows, 0, 0, 0) == 1 ? 1 : 0;
}

static void release_lock(cal_db *db, cal_arena *a)
{
	cal_dbv p[] = {CAL_DB_STR(LOCK_NAME)};
	cal_dbrows rows = {0};

	if (cal_db_query(db, a, "SELECT RELEASE_LOCK(?)", p, 1, &rows) != CAL_OK)
		cal_warn("database", "the daily summary lock was not released; it goes with the connection");
}

static cal_err due_batch(cal_db *db, cal_arena *a, const cal_summary_opts *o, const char *now, long long after,
			 cal_dbrows *rows)
{
	if (o->date != NULL) {
		cal_dbv p[] = {CAL_DB_STR(o->date), CAL_DB_INT(after)};
		return cal_db_query(db, a, sql_due_date, p, 2, rows);
	}
	cal_dbv p[] = {CAL_DB_STR(now), CAL_DB_STR(now), CAL_DB_STR(now), CAL_DB_STR(now), CAL_DB_INT(after)};
	return cal_db_query(db, a, sql_due_auto, p, 5, rows);
}

cal_err cal_summary_run(cal_ctx *ctx, const cal_summary_opts *o, cal_summary_stats *st)
{
	FILE *out = o->out != NULL ? o->out : stdout;
	pacer pc = {0};
	cal_arena a;
	cal_dbrows rows;
	long long after = 0;
	char now[20] = "";
	int locked = 0;
	cal_err e;

	memset(st, 0, sizeof *st);
	cal_arena_init(&a, 64 * 1024);
	if (o->date != NULL && !valid_date(o->date)) {
		e = CAL_ERR_VALIDATION;
		goto out;
	}
	if (!o->dry_run) {
		locked = take_lock(ctx->db, &a);
		if (locked != 1) {
			e = locked == 0 ? CAL_ERR_CONFLICT : CAL_ERR_UNAVAILABLE;
			goto out;
		}
	}
	if ((e = db_now(ctx->db, &a, now)) != CAL_OK)
		goto out;
	srand((unsigned)(mono_ms() ^ (long long)getpid()));
	for (;;) {
		cal_arena_reset(&a); /* the previous batch's rows and texts */
		memset(&rows, 0, sizeof rows);
		if ((e = due_batch(ctx->db, &a, o, now, after, &rows)) != CAL_OK || rows.nrows == 0)
			break;
		for (size_t r = 0; r < rows.nrows; r++)
			handle_row(ctx, &a, o, out, &pc, &rows, r, st);
		after = cal_db_cell_int(&rows, rows.nrows - 1, 0, after);
		if (rows.nrows < CAL_SUMMARY_BATCH)
			break;
	}
out:
	if (locked == 1)
		release_lock(ctx->db, &a);
	cal_arena_free(&a);
	return e;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "caloria send-daily-summaries: %s%s%s\n"
		"usage: caloria send-daily-summaries [--date YYYY-MM-DD] [--dry-run]\n", msg, arg ? " " : "",
		arg ? arg : "");
	return EXIT_USAGE;
}

int cal_summary_cli_main(cal_ctx *ctx, int argc, char **argv)
{
	cal_summary_opts o = {.out = stdout};
	cal_summary_stats st;
	cal_err e;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = true;
		else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc)
			o.date = argv[++i];
		else if (strncmp(argv[i], "--date=", 7) == 0)
			o.date = argv[i] + 7;
		else
			return usage_error("unknown or incomplete argument", argv[i]);
	}
	if (o.date != NULL && !valid_date(o.date))
		return usage_error("--date needs a real day as YYYY-MM-DD, not", o.date);
	if (!o.dry_run && !cal_api_configured(ctx->api, CAL_API_MANYCHAT)) {
		/* An empty token is the documented way to switch pushes off (SPEC §3): nothing is due then. */
		fprintf(stderr, "caloria send-daily-summaries: manychat.api_token is empty; pushes are off, "
			"nothing sent\n");
		return 0;
	}
	e = cal_summary_run(ctx, &o, &st);
	if (e == CAL_ERR_CONFLICT) {
		fprintf(stderr, "caloria send-daily-summaries: another run is in progress; nothing done\n");
		return 1;
	}
	if (o.dry_run)
		printf("send-daily-summaries: %d due (dry run: nothing sent or marked)\n", st.due);
	else
		printf("send-daily-summaries: %d due, %d sent, %d failed\n", st.due, st.sent, st.failed);
	if (e != CAL_OK) {
		fprintf(stderr, "caloria send-daily-summaries: stopped: %s\n", cal_err_message(e, CAL_LANG_EN));
		return 1;
	}
	return st.failed == 0 ? 0 : 1;
}
