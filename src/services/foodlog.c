/*
 * The food log (foodlog.h, SPEC §8). Owns food_logs, the analyses rows of logged meals and daily_stats.
 * A text's analysis is recorded as its food log; analyses rows are for photo and voice analyses that wait for
 * the user's confirmation (SPEC §7.3).
 * The invariant is that a day's daily_stats row equals the sum of that day's food_logs: every change to
 * one is made with the change to the other in a single transaction, and replies compute the new totals
 * from values read under the user's row lock plus the change, instead of reading the row again.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "caloria/foodlog.h"
#include "caloria/i18n.h"
#include "caloria/log.h"

#define REC_KCAL_MARGIN 200
#define REC_PROTEIN_SHARE 0.70
#define REC_FIBER_MIN_G 20.0
#define REC_SODIUM_MAX_MG 2000.0

static double round1(double v)
{
	return round(v * 10.0) / 10.0;
}

/* v within [0, max]; false for NaN and infinities too. */
static bool within(double v, double max)
{
	return v >= 0.0 && v <= max;
}

cal_plausibility cal_foodlog_plausible(const cal_meal *m, struct json_object *items, const char **item,
				       double *grams)
{
	size_t n = items != NULL && json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i), *g, *name;
		double w;

		if (!json_object_object_get_ex(it, "grams", &g) || g == NULL)
			continue;
		w = json_object_get_double(g);
		if (within(w, CAL_FOODLOG_MAX_ITEM_G))
			continue;
		if (item != NULL)
			*item = json_object_object_get_ex(it, "name", &name) ? json_object_get_string(name) : NULL;
		if (grams != NULL)
			*grams = w;
		return CAL_IMPLAUSIBLE_ITEM;
	}
	if (within(m->kcal, CAL_FOODLOG_MAX_MEAL_KCAL) && within(m->sodium_mg, CAL_FOODLOG_MAX_MEAL_SODIUM_MG) &&
	    within(m->protein_g, CAL_FOODLOG_MAX_MEAL_KCAL / 4) && within(m->carbs_g, CAL_FOODLOG_MAX_MEAL_KCAL / 4) &&
	    within(m->fat_g, CAL_FOODLOG_MAX_MEAL_KCAL / 9) && within(m->fiber_g, CAL_FOODLOG_MAX_ITEM_G))
		return CAL_PLAUSIBLE;
	if (within(m->kcal, CAL_FOODLOG_MAX_MEAL_KCAL) && n > 0) {
		/* Energy is fine but a nutrient is not (3 kg of salt): name the heaviest item, the likely typo. */
		struct json_object *heaviest = NULL, *g, *name;
		double most = -1;

		for (size_t i = 0; i < n; i++) {
			struct json_object *it = json_object_array_get_idx(items, i);
			if (json_object_object_get_ex(it, "grams", &g) && json_object_get_double(g) > most) {
				most = json_object_get_double(g);
				heaviest = it;
			}
		}
		if (heaviest != NULL) {
			if (item != NULL)
				*item = json_object_object_get_ex(heaviest, "name", &name) ? json_object_get_string(name) : NULL;
			if (grams != NULL)
				*grams = most;
			return CAL_IMPLAUSIBLE_ITEM;
		}
	}
	return CAL_IMPLAUSIBLE_MEAL;
}

/* Opens a transaction unless the caller already has one; *own says whether we must close it. */
static cal_err tx_begin(cal_db *db, bool *own)
{
	*own = !cal_db_in_transaction(db);
	return *own ? cal_db_begin(db) : CAL_OK;
}

static cal_err tx_end(cal_db *db, bool own, cal_err err)
{
	if (!own)
		return err;
	if (err == CAL_OK)
		return cal_db_commit(db);
	cal_db_rollback(db);
	return err;
}

/*
 * tx_end for a step that may find nothing to act on (a stale confirm, nothing to undo, no entry of that
 * number): CAL_ERR_NOT_FOUND is no failure of the transaction, which is closed normally; the caller still
 * gets CAL_ERR_NOT_FOUND (CAL_ERR_UNAVAILABLE when that close fails).
 */
static cal_err tx_end_found(cal_db *db, bool own, cal_err err)
{
	if (err != CAL_ERR_NOT_FOUND)
		return tx_end(db, own, err);
	return tx_end(db, own, CAL_OK) == CAL_OK ? CAL_ERR_NOT_FOUND : CAL_ERR_UNAVAILABLE;
}

/*
 * The writes of one logged meal are one round trip: the stored procedure cal_food_log_add
 * (schema/0003_food_turn.sql) stores the food_logs row, its link from the analyses row when analysis_id
 * names one, the day's totals and, on the day's first log, the user's first_food_log event — all inside the
 * caller's transaction. It answers analysis id (NULL for a text), food log id and whether the day had no
 * daily_stats row before.
 */
static const char log_add_sql[] = "CALL cal_food_log_add(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* analysis_id 0: a meal without an analyses row (a text); counted in analyses_count when m->count_analysis. */
static cal_err insert_log(cal_db *db, long long user_id, const char *date, int goal_kcal, long long analysis_id,
			  const cal_meal *m, cal_logged *out)
{
	cal_arena scratch;
	cal_dbrows rows = {0};
	cal_err err;

	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(date), goal_kcal > 0 ? CAL_DB_INT(goal_kcal) : CAL_DB_NULL,
		       analysis_id > 0 ? CAL_DB_INT(analysis_id) : CAL_DB_NULL, CAL_DB_INT(m->count_analysis ? 1 : 0),
		       CAL_DB_STR(m->source), CAL_DB_STR(m->raw_input), CAL_DB_STR(m->caption),
		       CAL_DB_STR(m->transcript), CAL_DB_STR(m->items_json), CAL_DB_DBL(m->kcal),
		       CAL_DB_DBL(m->protein_g), CAL_DB_DBL(m->carbs_g), CAL_DB_DBL(m->fat_g), CAL_DB_DBL(m->fiber_g),
		       CAL_DB_DBL(m->sodium_mg), CAL_DB_STR(m->provider), CAL_DB_DBL(m->confidence)};
	cal_arena_init(&scratch, 512);
	err = cal_db_query(db, &scratch, log_add_sql, p, 18, &rows);
	if (err == CAL_OK && (rows.nrows != 1 || rows.ncols != 3)) {
		cal_error("database", "cal_food_log_add answered %zu rows of %u columns", rows.nrows, rows.ncols);
		err = CAL_ERR_INTERNAL;
	}
	if (err == CAL_OK) {
		out->analysis_id = cal_db_cell_int(&rows, 0, 0, 0);
		out->food_log_id = cal_db_cell_int(&rows, 0, 1, 0);
		out->first_of_day = cal_db_cell_int(&rows, 0, 2, 0) == 1;
	}
	cal_arena_free(&scratch);
	return err;
}

/* Adds the meal to day (values read under the user's row lock), as the database just did. */
static void advance_day(cal_day *day, const cal_meal *m, int goal_kcal)
{
	day->kcal = round1(day->kcal + m->kcal);
	day->protein_g = round1(day->protein_g + m->protein_g);
	day->carbs_g = round1(day->carbs_g + m->carbs_g);
	day->fat_g = round1(day->fat_g + m->fat_g);
	day->fiber_g = round1(day->fiber_g + m->fiber_g);
	day->sodium_mg = round1(day->sodium_mg + m->sodium_mg);
	day->meals++;
	if (m->count_analysis)
		day->analyses++;
	if (goal_kcal > 0)
		day->goal_kcal = goal_kcal;
}

cal_err cal_foodlog_record(cal_db *db, long long user_id, const char *date, int goal_kcal, const cal_meal *m,
			   cal_day *day, cal_logged *out)
{
	bool own = false;
	cal_err err;

	memset(out, 0, sizeof *out);
	err = tx_begin(db, &own);
	if (err != CAL_OK)
		return err;
	err = tx_end(db, own, insert_log(db, user_id, date, goal_kcal, 0, m, out));
	if (err == CAL_OK && day != NULL)
		advance_day(day, m, goal_kcal);
	return err;
}

/*
 * The turn of a message the worker already analysed as a meal, in one round trip and one commit:
 * cal_food_turn (schema/0006_subscriptions.sql) opens the transaction, touches the user, logs the meal when
 * the user is one whose text is a meal and the subscription gate lets one more analysis through (SPEC §9.4),
 * commits, and answers the user's row with the day after the meal.
 */
static const char turn_sql[] = "CALL cal_food_turn(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

cal_err cal_foodlog_turn(cal_db *db, cal_arena *a, const cal_conf *conf, const cal_user_input *in,
			 const cal_meal *m, cal_user *user, cal_logged *out)
{
	cal_dbv meal[] = {CAL_DB_STR(m->source),   CAL_DB_STR(m->raw_input),  CAL_DB_STR(m->items_json),
			  CAL_DB_DBL(m->kcal),     CAL_DB_DBL(m->protein_g),  CAL_DB_DBL(m->carbs_g),
			  CAL_DB_DBL(m->fat_g),    CAL_DB_DBL(m->fiber_g),    CAL_DB_DBL(m->sodium_mg),
			  CAL_DB_STR(m->provider), CAL_DB_DBL(m->confidence),
			  CAL_DB_INT(conf->subscription_free_daily_analyses)};
	enum { NMEAL = sizeof meal / sizeof meal[0] };
	cal_dbv p[CAL_USERS_TOUCH_NPARAMS + NMEAL];
	cal_dbrows rows = {0};
	cal_err err;

	memset(out, 0, sizeof *out);
	err = cal_users_touch_params(conf, in, p);
	if (err != CAL_OK)
		return err;
	memcpy(p + CAL_USERS_TOUCH_NPARAMS, meal, sizeof meal);
	err = cal_db_begin_query(db, a, turn_sql, p, CAL_USERS_TOUCH_NPARAMS + NMEAL, &rows);
	if (err != CAL_OK)
		return err;
	err = cal_users_from_row(db, &rows, user, &out->food_log_id, &out->first_of_day);
	if (out->food_log_id > 0)
		cal_db_committed_by_server(db);
	return err;
}

/* Reads a pending analysis of the user, locked; CAL_ERR_NOT_FOUND when it is not pending (or not theirs). */
static cal_err pending_analysis(cal_db *db, cal_arena *a, long long user_id, long long analysis_id, cal_meal *m)
{
	static const char sql[] =
		"SELECT source, raw_input, caption, transcript, items, kcal, protein_g, carbs_g, fat_g, fiber_g,"
		" sodium_mg, provider, confidence FROM analyses WHERE id = ? AND user_id = ? AND status = 'pending'"
		" FOR UPDATE";
	cal_dbrows rows = {0};
	cal_dbv p[] = {CAL_DB_INT(analysis_id), CAL_DB_INT(user_id)};
	cal_err err = cal_db_query(db, a, sql, p, 2, &rows);

	if (err != CAL_OK)
		return err;
	if (rows.nrows != 1)
		return CAL_ERR_NOT_FOUND;
	memset(m, 0, sizeof *m);
	m->source = cal_db_cell(&rows, 0, 0);
	m->raw_input = cal_db_cell(&rows, 0, 1);
	m->caption = cal_db_cell(&rows, 0, 2);
	m->transcript = cal_db_cell(&rows, 0, 3);
	m->items_json = cal_db_cell(&rows, 0, 4) != NULL ? cal_db_cell(&rows, 0, 4) : "[]";
	m->kcal = cal_db_cell_double(&rows, 0, 5, 0);
	m->protein_g = cal_db_cell_double(&rows, 0, 6, 0);
	m->carbs_g = cal_db_cell_double(&rows, 0, 7, 0);
	m->fat_g = cal_db_cell_double(&rows, 0, 8, 0);
	m->fiber_g = cal_db_cell_double(&rows, 0, 9, 0);
	m->sodium_mg = cal_db_cell_double(&rows, 0, 10, 0);
	m->provider = cal_db_cell(&rows, 0, 11);
	m->confidence = cal_db_cell_double(&rows, 0, 12, 0);
	m->count_analysis = false; /* counted when it was made */
	return CAL_OK;
}

static cal_err resolve(cal_db *db, cal_arena *a, long long user_id, long long analysis_id, bool confirm,
		       const char *date, int goal_kcal, cal_meal *m, cal_logged *out)
{
	static const char cancel_sql[] =
		"UPDATE analyses SET status = 'cancelled', updated_at = UTC_TIMESTAMP(3) WHERE id = ?";
	cal_err err = pending_analysis(db, a, user_id, analysis_id, m);

	if (err != CAL_OK)
		return err;
	out->analysis_id = analysis_id;
	if (confirm)
		return insert_log(db, user_id, date, goal_kcal, analysis_id, m, out);
	cal_dbv p[] = {CAL_DB_INT(analysis_id)};
	return cal_db_exec(db, cancel_sql, p, 1, NULL);
}

cal_err cal_foodlog_resolve(cal_db *db, cal_arena *a, long long user_id, long long analysis_id, bool confirm,
			    const char *date, int goal_kcal, cal_day *day, cal_meal *meal, cal_logged *out)
{
	cal_meal m;
	bool own = false;
	cal_err err;

	memset(out, 0, sizeof *out);
	memset(&m, 0, sizeof m);
	err = tx_begin(db, &own);
	if (err != CAL_OK)
		return err;
	err = tx_end_found(db, own, resolve(db, a, user_id, analysis_id, confirm, date, goal_kcal, &m, out));
	if (err != CAL_OK)
		return err;
	if (confirm && day != NULL)
		advance_day(day, &m, goal_kcal);
	if (meal != NULL)
		*meal = m;
	return CAL_OK;
}

cal_err cal_foodlog_analysis_add(cal_db *db, long long user_id, const cal_meal *m, const char *media_sha256,
				 long long *id)
{
	static const char sql[] =
		"INSERT INTO analyses (user_id, source, status, raw_input, caption, transcript, media_sha256, items,"
		" kcal, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, provider, confidence)"
		" VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(m->source), CAL_DB_STR(m->raw_input), CAL_DB_STR(m->caption),
		       CAL_DB_STR(m->transcript), CAL_DB_STR(media_sha256), CAL_DB_STR(m->items_json),
		       CAL_DB_DBL(m->kcal), CAL_DB_DBL(m->protein_g), CAL_DB_DBL(m->carbs_g), CAL_DB_DBL(m->fat_g),
		       CAL_DB_DBL(m->fiber_g), CAL_DB_DBL(m->sodium_mg), CAL_DB_STR(m->provider),
		       CAL_DB_DBL(m->confidence)};
	cal_dbresult res = {0};
	cal_err err = cal_db_exec(db, sql, p, 15, &res);

	*id = err == CAL_OK ? (long long)res.insert_id : 0;
	return err;
}

cal_err cal_foodlog_count_analysis(cal_db *db, long long user_id, const char *date)
{
	static const char sql[] =
		"INSERT INTO daily_stats (user_id, local_date, analyses_count) VALUES (?, ?, 1)"
		" ON DUPLICATE KEY UPDATE analyses_count = analyses_count + 1, updated_at = UTC_TIMESTAMP()";
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(date)};

	return cal_db_exec(db, sql, p, 2, NULL);
}

#define DAY_COLUMNS                                                                                          \
	"DATE_FORMAT(local_date, '%Y-%m-%d'), total_calories, total_protein, total_carbs, total_fat, total_fiber," \
	" total_sodium, meals_logged, analyses_count, goal_calories"

static void fill_day(const cal_dbrows *r, size_t row, int default_goal, cal_day *d)
{
	const char *date = cal_db_cell(r, row, 0);

	snprintf(d->date, sizeof d->date, "%s", date != NULL ? date : "");
	d->kcal = cal_db_cell_double(r, row, 1, 0);
	d->protein_g = cal_db_cell_double(r, row, 2, 0);
	d->carbs_g = cal_db_cell_double(r, row, 3, 0);
	d->fat_g = cal_db_cell_double(r, row, 4, 0);
	d->fiber_g = cal_db_cell_double(r, row, 5, 0);
	d->sodium_mg = cal_db_cell_double(r, row, 6, 0);
	d->meals = (int)cal_db_cell_int(r, row, 7, 0);
	d->analyses = (int)cal_db_cell_int(r, row, 8, 0);
	d->goal_kcal = (int)cal_db_cell_int(r, row, 9, default_goal);
}

cal_err cal_foodlog_day(cal_db *db, cal_arena *a, long long user_id, const char *date, int default_goal,
			cal_day *out)
{
	static const char sql[] = "SELECT " DAY_COLUMNS " FROM daily_stats WHERE user_id = ? AND local_date = ?";
	cal_dbrows rows = {0};
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(date)};
	cal_err err;

	memset(out, 0, sizeof *out);
	snprintf(out->date, sizeof out->date, "%s", date);
	out->goal_kcal = default_goal;
	err = cal_db_query(db, a, sql, p, 2, &rows);
	if (err == CAL_OK && rows.nrows == 1)
		fill_day(&rows, 0, default_goal, out);
	return err;
}

int cal_foodlog_date_minus(const char *date, int n, char out[11])
{
	struct tm tm;
	int y, mo, d;
	char tail;
	time_t t;

	if (date == NULL || sscanf(date, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || mo < 1 || mo > 12 || d < 1 ||
	    d > 31)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12; /* midday: whole days never cross a date boundary */
	t = timegm(&tm) - (time_t)n * 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	return 0;
}

cal_err cal_foodlog_week(cal_db *db, cal_arena *a, long long user_id, const char *date, int default_goal,
			 cal_day days[7], int *average_kcal, int *logged_days)
{
	static const char sql[] = "SELECT " DAY_COLUMNS " FROM daily_stats WHERE user_id = ?"
				  " AND local_date BETWEEN ? AND ? ORDER BY local_date";
	char first[11];
	cal_dbrows rows = {0};
	double sum = 0;
	int n = 0;
	cal_err err;

	*average_kcal = 0;
	*logged_days = 0;
	if (cal_foodlog_date_minus(date, 6, first) != 0)
		return CAL_ERR_VALIDATION;
	for (int i = 0; i < 7; i++) {
		memset(&days[i], 0, sizeof days[i]);
		cal_foodlog_date_minus(date, 6 - i, days[i].date);
		days[i].goal_kcal = default_goal;
	}
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(first), CAL_DB_STR(date)};
	err = cal_db_query(db, a, sql, p, 3, &rows);
	if (err != CAL_OK)
		return err;
	for (size_t r = 0; r < rows.nrows; r++) {
		const char *d = cal_db_cell(&rows, r, 0);
		for (int i = 0; d != NULL && i < 7; i++)
			if (strcmp(days[i].date, d) == 0)
				fill_day(&rows, r, default_goal, &days[i]);
	}
	for (int i = 0; i < 7; i++) {
		if (days[i].meals > 0) {
			sum += days[i].kcal;
			n++;
		}
	}
	*logged_days = n;
	*average_kcal = n > 0 ? (int)lround(sum / n) : 0;
	return CAL_OK;
}

/*
 * Removes one food log of the day: the number-th of the day in the order they were logged (1 = the first,
 * as `hoy` lists them), or the last one when number is 0.
 */
static cal_err delete_entry(cal_db *db, cal_arena *a, long long user_id, const char *date, int number,
			    cal_meal *m)
{
	/* FOR UPDATE: two deletes racing must not both remove the same row's totals. */
	static const char last_sql[] =
		"SELECT id, kcal, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, analysis_id, source, items"
		" FROM food_logs WHERE user_id = ? AND local_date = ? ORDER BY id DESC LIMIT 1 FOR UPDATE";
	static const char nth_sql[] =
		"SELECT id, kcal, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, analysis_id, source, items"
		" FROM food_logs WHERE user_id = ? AND local_date = ? ORDER BY id LIMIT ?, 1 FOR UPDATE";
	static const char del_sql[] = "DELETE FROM food_logs WHERE id = ?";
	static const char day_sql[] =
		"UPDATE daily_stats SET total_calories = GREATEST(total_calories - ?, 0),"
		" total_protein = GREATEST(total_protein - ?, 0), total_carbs = GREATEST(total_carbs - ?, 0),"
		" total_fat = GREATEST(total_fat - ?, 0), total_fiber = GREATEST(total_fiber - ?, 0),"
		" total_sodium = GREATEST(total_sodium - ?, 0), meals_logged = GREATEST(meals_logged - 1, 0),"
		" updated_at = UTC_TIMESTAMP() WHERE user_id = ? AND local_date = ?";
	static const char analysis_sql[] =
		"UPDATE analyses SET status = 'cancelled', updated_at = UTC_TIMESTAMP(3) WHERE id = ?";
	cal_dbrows rows = {0};
	long long id, analysis_id;
	cal_err err;

	if (number < 0)
		return CAL_ERR_NOT_FOUND;
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(date), CAL_DB_INT(number > 0 ? number - 1 : 0)};
	err = cal_db_query(db, a, number > 0 ? nth_sql : last_sql, p, number > 0 ? 3 : 2, &rows);
	if (err != CAL_OK)
		return err;
	if (rows.nrows == 0)
		return CAL_ERR_NOT_FOUND;
	id = cal_db_cell_int(&rows, 0, 0, 0);
	m->kcal = cal_db_cell_double(&rows, 0, 1, 0);
	m->protein_g = cal_db_cell_double(&rows, 0, 2, 0);
	m->carbs_g = cal_db_cell_double(&rows, 0, 3, 0);
	m->fat_g = cal_db_cell_double(&rows, 0, 4, 0);
	m->fiber_g = cal_db_cell_double(&rows, 0, 5, 0);
	m->sodium_mg = cal_db_cell_double(&rows, 0, 6, 0);
	analysis_id = cal_db_cell_int(&rows, 0, 7, 0);
	m->source = cal_db_cell(&rows, 0, 8);
	m->items_json = cal_db_cell(&rows, 0, 9);
	cal_dbv d[] = {CAL_DB_INT(id)};
	err = cal_db_exec(db, del_sql, d, 1, NULL);
	if (err != CAL_OK)
		return err;
	cal_dbv u[] = {CAL_DB_DBL(m->kcal), CAL_DB_DBL(m->protein_g), CAL_DB_DBL(m->carbs_g), CAL_DB_DBL(m->fat_g),
		       CAL_DB_DBL(m->fiber_g), CAL_DB_DBL(m->sodium_mg), CAL_DB_INT(user_id), CAL_DB_STR(date)};
	err = cal_db_exec(db, day_sql, u, 8, NULL);
	if (err != CAL_OK || analysis_id <= 0)
		return err;
	cal_dbv c[] = {CAL_DB_INT(analysis_id)};
	return cal_db_exec(db, analysis_sql, c, 1, NULL);
}

static double sub0(double a, double b)
{
	return a - b > 0 ? round1(a - b) : 0;
}

cal_err cal_foodlog_undo(cal_db *db, cal_arena *a, long long user_id, const char *date, cal_meal *removed,
			 cal_day *day)
{
	return cal_foodlog_delete(db, a, user_id, date, 0, removed, day);
}

cal_err cal_foodlog_delete(cal_db *db, cal_arena *a, long long user_id, const char *date, int number,
			   cal_meal *removed, cal_day *day)
{
	cal_meal m;
	bool own = false;
	cal_err err;

	memset(&m, 0, sizeof m);
	err = tx_begin(db, &own);
	if (err != CAL_OK)
		return err;
	err = tx_end_found(db, own, delete_entry(db, a, user_id, date, number, &m));
	if (err != CAL_OK)
		return err;
	if (removed != NULL)
		*removed = m;
	if (day != NULL) {
		day->kcal = sub0(day->kcal, m.kcal);
		day->protein_g = sub0(day->protein_g, m.protein_g);
		day->carbs_g = sub0(day->carbs_g, m.carbs_g);
		day->fat_g = sub0(day->fat_g, m.fat_g);
		day->fiber_g = sub0(day->fiber_g, m.fiber_g);
		day->sodium_mg = sub0(day->sodium_mg, m.sodium_mg);
		day->meals = day->meals > 0 ? day->meals - 1 : 0;
	}
	return CAL_OK;
}

size_t cal_foodlog_recommendations(const cal_day *day, int protein_target_g, cal_lang lang, cal_arena *a,
				   const char **out, size_t max)
{
	size_t n = 0;
	int consumed = (int)lround(day->kcal);

	if (day->goal_kcal > 0 && n < max) {
		int diff = consumed - day->goal_kcal;
		if (diff < -REC_KCAL_MARGIN)
			out[n++] = cal_i18n_printf(a, CAL_MSG_REC_UNDER, lang, -diff);
		else if (diff > REC_KCAL_MARGIN)
			out[n++] = cal_i18n_printf(a, CAL_MSG_REC_OVER, lang, diff);
		else
			out[n++] = cal_i18n_printf(a, CAL_MSG_REC_CLOSE, lang);
	}
	if (protein_target_g > 0 && day->protein_g < REC_PROTEIN_SHARE * protein_target_g && n < max)
		out[n++] = cal_i18n_printf(a, CAL_MSG_REC_PROTEIN_LOW, lang, (int)lround(day->protein_g),
					   protein_target_g);
	if (day->meals > 0 && day->fiber_g < REC_FIBER_MIN_G && n < max)
		out[n++] = cal_i18n_printf(a, CAL_MSG_REC_FIBER_LOW, lang, day->fiber_g);
	if (day->sodium_mg > REC_SODIUM_MAX_MG && n < max)
		out[n++] = cal_i18n_printf(a, CAL_MSG_REC_SODIUM_HIGH, lang, day->sodium_mg);
	return n;
}

struct json_object *cal_foodlog_day_json(const cal_day *day)
{
	struct json_object *o = json_object_new_object();
	int consumed = (int)lround(day->kcal);
	int remaining = day->goal_kcal - consumed;

	json_object_object_add(o, "date", json_object_new_string(day->date));
	json_object_object_add(o, "consumed_kcal", json_object_new_int(consumed));
	json_object_object_add(o, "goal_kcal", day->goal_kcal > 0 ? json_object_new_int(day->goal_kcal) : NULL);
	/* Never negative: a flow showing "remaining" should show 0, not -300, once the goal is passed. */
	json_object_object_add(o, "remaining_kcal",
			       day->goal_kcal > 0 ? json_object_new_int(remaining > 0 ? remaining : 0) : NULL);
	json_object_object_add(o, "meals", json_object_new_int(day->meals));
	return o;
}

cal_err cal_foodlog_entries(cal_db *db, cal_arena *a, long long user_id, const char *date, int offset_min,
			    cal_entry *out, size_t max, size_t *n)
{
	static const char sql[] =
		"SELECT id, DATE_FORMAT(logged_at + INTERVAL ? MINUTE, '%H:%i'), items, kcal FROM food_logs"
		" WHERE user_id = ? AND local_date = ? ORDER BY id LIMIT ?";
	cal_dbv p[] = {CAL_DB_INT(offset_min), CAL_DB_INT(user_id), CAL_DB_STR(date), CAL_DB_INT((long long)max)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, sql, p, 4, &rows);

	*n = 0;
	if (err != CAL_OK)
		return err;
	for (size_t r = 0; r < rows.nrows && r < max; r++) {
		const char *t = cal_db_cell(&rows, r, 1);
		out[r].id = cal_db_cell_int(&rows, r, 0, 0);
		snprintf(out[r].time, sizeof out[r].time, "%s", t != NULL ? t : "");
		out[r].items_json = cal_db_cell(&rows, r, 2);
		out[r].kcal = cal_db_cell_double(&rows, r, 3, 0);
		(*n)++;
	}
	return CAL_OK;
}

/* The number-th log of the day (1 = first), locked, into old; its id, 0 when there is none. */
static long long nth_entry(cal_db *db, cal_arena *a, long long user_id, const char *date, int number, cal_meal *old,
			   cal_err *err)
{
	static const char sql[] =
		"SELECT id, kcal, protein_g, carbs_g, fat_g, fiber_g, sodium_mg, items FROM food_logs"
		" WHERE user_id = ? AND local_date = ? ORDER BY id LIMIT ?, 1 FOR UPDATE";
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(date), CAL_DB_INT(number - 1)};
	cal_dbrows rows = {0};

	*err = cal_db_query(db, a, sql, p, 3, &rows);
	if (*err != CAL_OK || rows.nrows == 0)
		return 0;
	memset(old, 0, sizeof *old);
	old->kcal = cal_db_cell_double(&rows, 0, 1, 0);
	old->protein_g = cal_db_cell_double(&rows, 0, 2, 0);
	old->carbs_g = cal_db_cell_double(&rows, 0, 3, 0);
	old->fat_g = cal_db_cell_double(&rows, 0, 4, 0);
	old->fiber_g = cal_db_cell_double(&rows, 0, 5, 0);
	old->sodium_mg = cal_db_cell_double(&rows, 0, 6, 0);
	old->items_json = cal_db_cell(&rows, 0, 7);
	return cal_db_cell_int(&rows, 0, 0, 0);
}

static cal_err replace_entry(cal_db *db, cal_arena *a, long long user_id, const char *date, int number,
			     const cal_meal *m, cal_meal *old)
{
	static const char log_sql[] =
		"UPDATE food_logs SET raw_input = ?, items = ?, kcal = ?, protein_g = ?, carbs_g = ?, fat_g = ?,"
		" fiber_g = ?, sodium_mg = ?, provider = ?, confidence = ? WHERE id = ?";
	static const char day_sql[] =
		"UPDATE daily_stats SET total_calories = GREATEST(total_calories + ?, 0),"
		" total_protein = GREATEST(total_protein + ?, 0), total_carbs = GREATEST(total_carbs + ?, 0),"
		" total_fat = GREATEST(total_fat + ?, 0), total_fiber = GREATEST(total_fiber + ?, 0),"
		" total_sodium = GREATEST(total_sodium + ?, 0), updated_at = UTC_TIMESTAMP()"
		" WHERE user_id = ? AND local_date = ?";
	cal_err err;
	long long id;

	if (number < 1)
		return CAL_ERR_NOT_FOUND;
	id = nth_entry(db, a, user_id, date, number, old, &err);
	if (err != CAL_OK)
		return err;
	if (id == 0)
		return CAL_ERR_NOT_FOUND;
	cal_dbv l[] = {CAL_DB_STR(m->raw_input), CAL_DB_STR(m->items_json), CAL_DB_DBL(m->kcal),
		       CAL_DB_DBL(m->protein_g), CAL_DB_DBL(m->carbs_g), CAL_DB_DBL(m->fat_g), CAL_DB_DBL(m->fiber_g),
		       CAL_DB_DBL(m->sodium_mg), CAL_DB_STR(m->provider), CAL_DB_DBL(m->confidence), CAL_DB_INT(id)};
	err = cal_db_exec(db, log_sql, l, 11, NULL);
	if (err != CAL_OK)
		return err;
	cal_dbv d[] = {CAL_DB_DBL(m->kcal - old->kcal), CAL_DB_DBL(m->protein_g - old->protein_g),
		       CAL_DB_DBL(m->carbs_g - old->carbs_g), CAL_DB_DBL(m->fat_g - old->fat_g),
		       CAL_DB_DBL(m->fiber_g - old->fiber_g), CAL_DB_DBL(m->sodium_mg - old->sodium_mg),
		       CAL_DB_INT(user_id), CAL_DB_STR(date)};
	return cal_db_exec(db, day_sql, d, 8, NULL);
}

/* day + (m − old), never below zero, as the UPDATE above computes it. */
static double moved(double total, double now, double before)
{
	double v = round1(total + now - before);
	return v > 0 ? v : 0;
}

cal_err cal_foodlog_replace(cal_db *db, cal_arena *a, long long user_id, const char *date, int number,
			    const cal_meal *m, cal_meal *old, cal_day *day)
{
	cal_meal before;
	bool own = false;
	cal_err err;

	memset(&before, 0, sizeof before);
	err = tx_begin(db, &own);
	if (err != CAL_OK)
		return err;
	err = tx_end_found(db, own, replace_entry(db, a, user_id, date, number, m, &before));
	if (err != CAL_OK)
		return err;
	if (old != NULL)
		*old = before;
	if (day != NULL) {
		day->kcal = moved(day->kcal, m->kcal, before.kcal);
		day->protein_g = moved(day->protein_g, m->protein_g, before.protein_g);
		day->carbs_g = moved(day->carbs_g, m->carbs_g, before.carbs_g);
		day->fat_g = moved(day->fat_g, m->fat_g, before.fat_g);
		day->fiber_g = moved(day->fiber_g, m->fiber_g, before.fiber_g);
		day->sodium_mg = moved(day->sodium_mg, m->sodium_mg, before.sodium_mg);
	}
	return CAL_OK;
}
