/*
 * Chat users (users.h): one upsert and one select per request (one CALL of a stored procedure), the quiz
 * progress, the profile and its targets, reset, language, the trial start and the funnel events. Every
 * statement is constant SQL with bound parameters; the in-memory cal_user is updated only after the database
 * accepted the change, so the reply never shows a state that was not stored.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caloria/i18n.h"
#include "caloria/log.h"
#include "caloria/quiz.h"
#include "caloria/users.h"

/*
 * START TRANSACTION, the upsert and the read of the user with today's totals are one round trip: the stored
 * procedure cal_user_begin_touch (schema/0003_food_turn.sql). Today's local date is computed by the server
 * from the offset in the same statement that reads the user, so the date, the totals and later writes all
 * use one clock. The row (cal_user_row) ends with 1 when this call created the user, then the food log id
 * and first-of-day flag of a meal logged in the same call (cal_food_turn, foodlog.c).
 */
static const char begin_touch_sql[] = "CALL cal_user_begin_touch(?, ?, ?, ?, ?, ?, ?)";

enum {
	C_ID, C_SUB, C_FIRST, C_LANG, C_OFFSET, C_GENDER, C_AGE, C_WEIGHT, C_HEIGHT, C_ACTIVITY, C_GOAL,
	C_TARGET_W, C_MEALS_PD, C_BMR, C_DAILY, C_PROT, C_CARBS, C_FAT, C_STEP, C_DONE, C_SUBS, C_TRIAL,
	C_PAID, C_TODAY, C_D_KCAL, C_D_PROT, C_D_CARBS, C_D_FAT, C_D_FIBER, C_D_SODIUM, C_D_MEALS,
	C_D_ANALYSES, C_D_GOAL, C_CREATED, C_LOG_ID, C_FIRST_OF_DAY, C__MAX
};

bool cal_users_valid_subscriber(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return n >= 1 && n <= CAL_USER_SUBSCRIBER_MAX;
}

static const char *opt(const cal_dbrows *r, unsigned col)
{
	return cal_db_cell(r, 0, col);
}

static void fill_user(const cal_dbrows *r, cal_user *u)
{
	const char *lang = opt(r, C_LANG);

	u->id = cal_db_cell_int(r, 0, C_ID, 0);
	u->subscriber_id = opt(r, C_SUB);
	u->first_name = opt(r, C_FIRST);
	u->lang = lang != NULL && strcmp(lang, "en") == 0 ? CAL_LANG_EN : CAL_LANG_ES;
	u->utc_offset_min = (int)cal_db_cell_int(r, 0, C_OFFSET, 0);
	u->profile.gender = cal_energy_gender_from_name(opt(r, C_GENDER));
	u->profile.age = (int)cal_db_cell_int(r, 0, C_AGE, 0);
	u->profile.weight_kg = cal_db_cell_double(r, 0, C_WEIGHT, 0);
	u->profile.height_cm = cal_db_cell_double(r, 0, C_HEIGHT, 0);
	u->profile.activity = cal_energy_activity_from_name(opt(r, C_ACTIVITY));
	u->profile.goal = cal_energy_goal_from_name(opt(r, C_GOAL));
	u->target_weight_kg = cal_db_cell_double(r, 0, C_TARGET_W, 0);
	u->meals_per_day = (int)cal_db_cell_int(r, 0, C_MEALS_PD, 0);
	u->targets.bmr = cal_db_cell_double(r, 0, C_BMR, 0);
	u->targets.daily_goal = (int)cal_db_cell_int(r, 0, C_DAILY, 0);
	u->targets.protein_g = (int)cal_db_cell_int(r, 0, C_PROT, 0);
	u->targets.carbs_g = (int)cal_db_cell_int(r, 0, C_CARBS, 0);
	u->targets.fat_g = (int)cal_db_cell_int(r, 0, C_FAT, 0);
	u->quiz_step = (int)cal_db_cell_int(r, 0, C_STEP, 0);
	u->quiz_completed = cal_db_cell_int(r, 0, C_DONE, 0) != 0;
	u->subscription = opt(r, C_SUBS) != NULL ? opt(r, C_SUBS) : "none";
	u->trial_ends_at = opt(r, C_TRIAL);
	u->paid_until = opt(r, C_PAID);
	snprintf(u->today.date, sizeof u->today.date, "%s", opt(r, C_TODAY) != NULL ? opt(r, C_TODAY) : "");
	u->today.kcal = cal_db_cell_double(r, 0, C_D_KCAL, 0);
	u->today.protein_g = cal_db_cell_double(r, 0, C_D_PROT, 0);
	u->today.carbs_g = cal_db_cell_double(r, 0, C_D_CARBS, 0);
	u->today.fat_g = cal_db_cell_double(r, 0, C_D_FAT, 0);
	u->today.fiber_g = cal_db_cell_double(r, 0, C_D_FIBER, 0);
	u->today.sodium_mg = cal_db_cell_double(r, 0, C_D_SODIUM, 0);
	u->today.meals = (int)cal_db_cell_int(r, 0, C_D_MEALS, 0);
	u->today.analyses = (int)cal_db_cell_int(r, 0, C_D_ANALYSES, 0);
	u->today.goal_kcal = (int)cal_db_cell_int(r, 0, C_D_GOAL, u->targets.daily_goal);
}

cal_err cal_users_touch_params(const cal_conf *conf, const cal_user_input *in, cal_dbv p[CAL_USERS_TOUCH_NPARAMS])
{
	cal_lang lang = conf->app_default_language != NULL && strcmp(conf->app_default_language, "en") == 0
				? CAL_LANG_EN
				: CAL_LANG_ES;
	int offset = conf->app_default_utc_offset_min;
	bool tz_given = in->timezone != NULL && cal_conf_parse_utc_offset(in->timezone, &offset) == 0;

	if (!cal_users_valid_subscriber(in->subscriber_id))
		return CAL_ERR_VALIDATION;
	/* Offsets outside the real world's range (UTC-12 … UTC+14) are not a timezone, whatever they parse as. */
	if (tz_given && (offset < -12 * 60 || offset > 14 * 60)) {
		tz_given = false;
		offset = conf->app_default_utc_offset_min;
	}
	if (in->locale != NULL)
		(void)cal_i18n_lang_from_locale(in->locale, &lang);
	p[0] = CAL_DB_STR(in->subscriber_id);
	p[1] = CAL_DB_STR(in->first_name);
	p[2] = CAL_DB_STR(in->last_name);
	p[3] = CAL_DB_STR(cal_i18n_lang_code(lang));
	p[4] = CAL_DB_INT(offset);
	p[5] = CAL_DB_STR(in->channel);
	p[6] = CAL_DB_INT(tz_given ? 1 : 0);
	return CAL_OK;
}

cal_err cal_users_from_row(cal_db *db, const cal_dbrows *rows, cal_user *out, long long *food_log_id,
			   bool *first_of_day)
{
	if (rows->nrows != 1 || rows->ncols != C__MAX) {
		cal_error("database", "user row missing right after its upsert (%zu rows of %u columns)", rows->nrows,
			  rows->ncols);
		return CAL_ERR_INTERNAL;
	}
	memset(out, 0, sizeof *out);
	fill_user(rows, out);
	out->created = cal_db_cell_int(rows, 0, C_CREATED, 0) == 1;
	if (food_log_id != NULL)
		*food_log_id = cal_db_cell_int(rows, 0, C_LOG_ID, 0);
	if (first_of_day != NULL)
		*first_of_day = cal_db_cell_int(rows, 0, C_FIRST_OF_DAY, 0) == 1;
	/* A new user has no profile, so no call that created one has committed: the event joins the open turn. */
	return out->created ? cal_users_event(db, out->id, "first_message", NULL) : CAL_OK;
}

cal_err cal_users_begin_touch(cal_db *db, cal_arena *a, const cal_conf *conf, const cal_user_input *in,
			      cal_user *out)
{
	cal_dbv p[CAL_USERS_TOUCH_NPARAMS];
	cal_dbrows rows = {0};
	cal_err err = cal_users_touch_params(conf, in, p);

	if (err != CAL_OK)
		return err;
	err = cal_db_begin_query(db, a, begin_touch_sql, p, CAL_USERS_TOUCH_NPARAMS, &rows);
	return err == CAL_OK ? cal_users_from_row(db, &rows, out, NULL, NULL) : err;
}

cal_err cal_users_event(cal_db *db, long long user_id, const char *event, const char *detail)
{
	static const char sql[] = "INSERT INTO activity_log (user_id, event, detail) VALUES (?, ?, ?)";
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_STR(event), CAL_DB_STR(detail)};

	return cal_db_exec(db, sql, p, 3, NULL);
}

cal_err cal_users_quiz_start(cal_db *db, cal_user *u)
{
	static const char sql[] =
		"UPDATE users SET quiz_step = 1, quiz_started_at = UTC_TIMESTAMP(), updated_at = UTC_TIMESTAMP()"
		" WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(u->id)};
	cal_err err = cal_db_exec(db, sql, p, 1, NULL);

	if (err == CAL_OK)
		err = cal_users_event(db, u->id, "quiz_started", NULL);
	if (err == CAL_OK)
		u->quiz_step = 1;
	return err;
}

/* The column of one quiz step, as a bound value. */
static cal_dbv step_value(const cal_user *u, int step)
{
	switch (step) {
	case 1:
		return CAL_DB_STR(cal_energy_gender_name(u->profile.gender));
	case 2:
		return CAL_DB_INT(u->profile.age);
	case 3:
		return CAL_DB_DBL(u->profile.weight_kg);
	case 4:
		return CAL_DB_DBL(u->profile.height_cm);
	case 5:
		return CAL_DB_STR(cal_energy_activity_name(u->profile.activity));
	default:
		return CAL_DB_STR(cal_energy_goal_name(u->profile.goal));
	}
}

cal_err cal_users_quiz_answer(cal_db *db, cal_user *u, int step, int next_step)
{
	/* One constant statement per column: SQL text is never built from input. */
	static const char *const sql[CAL_QUIZ_STEPS + 1] = {
		NULL,
		"UPDATE users SET gender = ?, quiz_step = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
		"UPDATE users SET age = ?, quiz_step = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
		"UPDATE users SET weight_kg = ?, quiz_step = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
		"UPDATE users SET height_cm = ?, quiz_step = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
		"UPDATE users SET activity_level = ?, quiz_step = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
		"UPDATE users SET goal = ?, quiz_step = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?",
	};
	cal_err err;

	if (step < 1 || step > CAL_QUIZ_STEPS || next_step < 0 || next_step > CAL_QUIZ_LAST_STEP)
		return CAL_ERR_INTERNAL;
	cal_dbv p[] = {step_value(u, step), CAL_DB_INT(next_step), CAL_DB_INT(u->id)};
	err = cal_db_exec(db, sql[step], p, 3, NULL);
	if (err == CAL_OK)
		u->quiz_step = next_step;
	return err;
}

cal_err cal_users_reset(cal_db *db, cal_user *u)
{
	static const char sql[] =
		"UPDATE users SET gender = NULL, age = NULL, weight_kg = NULL, height_cm = NULL,"
		" activity_level = NULL, goal = NULL, target_weight_kg = NULL, meals_per_day = NULL, bmr = NULL,"
		" daily_calorie_goal = NULL, protein_target_g = NULL, carbs_target_g = NULL, fat_target_g = NULL,"
		" quiz_step = 1, quiz_completed = 0, quiz_started_at = UTC_TIMESTAMP(), quiz_completed_at = NULL,"
		" updated_at = UTC_TIMESTAMP() WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(u->id)};
	cal_err err = cal_db_exec(db, sql, p, 1, NULL);

	if (err == CAL_OK)
		err = cal_users_event(db, u->id, "quiz_started", "reset");
	if (err != CAL_OK)
		return err;
	memset(&u->profile, 0, sizeof u->profile);
	memset(&u->targets, 0, sizeof u->targets);
	u->target_weight_kg = 0;
	u->meals_per_day = 0;
	u->quiz_step = 1;
	u->quiz_completed = false;
	return CAL_OK;
}

/* "YYYY-MM-DD HH:MM:SS" (for SQL) and "YYYY-MM-DDTHH:MM:SSZ" (for replies) of t. */
static void utc_times(time_t t, char sql[20], char rfc[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(sql, 20, "%Y-%m-%d %H:%M:%S", &tm);
	strftime(rfc, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cal_dbv opt_dbl(double v)
{
	return v > 0 ? CAL_DB_DBL(v) : CAL_DB_NULL;
}

static cal_dbv opt_int(int v)
{
	return v > 0 ? CAL_DB_INT(v) : CAL_DB_NULL;
}

cal_err cal_users_complete(cal_db *db, const cal_conf *conf, cal_user *u, const char *first_name,
			   bool *trial_started)
{
	/* trial_ends_at is assigned before subscription_status on purpose: MariaDB evaluates single-table
	 * UPDATE assignments left to right, each seeing the values set before it. */
	static const char sql[] =
		"UPDATE users SET gender = ?, age = ?, weight_kg = ?, height_cm = ?, activity_level = ?, goal = ?,"
		" target_weight_kg = COALESCE(?, target_weight_kg), meals_per_day = COALESCE(?, meals_per_day),"
		" first_name = COALESCE(?, first_name), bmr = ?, daily_calorie_goal = ?, protein_target_g = ?,"
		" carbs_target_g = ?, fat_target_g = ?, quiz_step = 0, quiz_completed = 1,"
		" quiz_completed_at = UTC_TIMESTAMP(),"
		" trial_ends_at = IF(subscription_status = 'none', ?, trial_ends_at),"
		" subscription_status = IF(subscription_status = 'none', 'trial', subscription_status),"
		" updated_at = UTC_TIMESTAMP() WHERE id = ?";
	cal_targets t;
	char ends_sql[20], ends_rfc[21];
	bool start_trial = strcmp(u->subscription, "none") == 0;
	cal_err err;

	if (cal_energy_targets(&u->profile, &t) != 0)
		return CAL_ERR_VALIDATION;
	utc_times(time(NULL) + (time_t)conf->subscription_trial_days * 86400, ends_sql, ends_rfc);
	cal_dbv p[] = {CAL_DB_STR(cal_energy_gender_name(u->profile.gender)), CAL_DB_INT(u->profile.age),
		       CAL_DB_DBL(u->profile.weight_kg), CAL_DB_DBL(u->profile.height_cm),
		       CAL_DB_STR(cal_energy_activity_name(u->profile.activity)),
		       CAL_DB_STR(cal_energy_goal_name(u->profile.goal)), opt_dbl(u->target_weight_kg),
		       opt_int(u->meals_per_day), CAL_DB_STR(first_name), CAL_DB_DBL(t.bmr), CAL_DB_INT(t.daily_goal),
		       CAL_DB_INT(t.protein_g), CAL_DB_INT(t.carbs_g), CAL_DB_INT(t.fat_g), CAL_DB_STR(ends_sql),
		       CAL_DB_INT(u->id)};
	err = cal_db_exec(db, sql, p, 16, NULL);
	if (err == CAL_OK)
		err = cal_users_event(db, u->id, "quiz_completed", NULL);
	if (err != CAL_OK)
		return err;
	u->targets = t;
	u->quiz_step = 0;
	u->quiz_completed = true;
	if (u->today.goal_kcal == 0 || u->today.meals == 0)
		u->today.goal_kcal = t.daily_goal;
	if (start_trial) {
		u->subscription = "trial";
		snprintf(u->trial_buf, sizeof u->trial_buf, "%s", ends_rfc);
		u->trial_ends_at = u->trial_buf;
	}
	if (trial_started != NULL)
		*trial_started = start_trial;
	return CAL_OK;
}

cal_err cal_users_set_language(cal_db *db, cal_user *u, cal_lang lang)
{
	static const char sql[] = "UPDATE users SET language = ?, updated_at = UTC_TIMESTAMP() WHERE id = ?";
	cal_dbv p[] = {CAL_DB_STR(cal_i18n_lang_code(lang)), CAL_DB_INT(u->id)};
	cal_err err = cal_db_exec(db, sql, p, 2, NULL);

	if (err == CAL_OK)
		u->lang = lang;
	return err;
}

static struct json_object *num1(double v)
{
	char s[32];

	snprintf(s, sizeof s, "%.1f", v);
	return json_object_new_double_s(v, s);
}

struct json_object *cal_users_to_json(const cal_user *u)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(u->id));
	json_object_object_add(o, "subscriber_id", json_object_new_string(u->subscriber_id ? u->subscriber_id : ""));
	json_object_object_add(o, "language", json_object_new_string(cal_i18n_lang_code(u->lang)));
	json_object_object_add(o, "quiz_completed", json_object_new_boolean(u->quiz_completed));
	json_object_object_add(o, "bmr", u->targets.bmr > 0 ? num1(u->targets.bmr) : NULL);
	json_object_object_add(o, "daily_calorie_goal",
			       u->targets.daily_goal > 0 ? json_object_new_int(u->targets.daily_goal) : NULL);
	json_object_object_add(o, "subscription_status", json_object_new_string(u->subscription));
	json_object_object_add(o, "trial_ends_at",
			       u->trial_ends_at != NULL ? json_object_new_string(u->trial_ends_at) : NULL);
	return o;
}

cal_err cal_users_timezone_known(cal_db *db, cal_arena *a, const cal_user *u, bool *known)
{
	static const char sql[] = "SELECT timezone_set FROM users WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(u->id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, sql, p, 1, &rows);

	*known = err == CAL_OK && rows.nrows == 1 && cal_db_cell_int(&rows, 0, 0, 0) == 1;
	return err;
}

cal_err cal_users_set_timezone(cal_db *db, cal_user *u, int offset_min, int next_step)
{
	static const char sql[] = "UPDATE users SET utc_offset_min = ?, timezone_set = 1, quiz_step = ?,"
				  " updated_at = UTC_TIMESTAMP() WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(offset_min), CAL_DB_INT(next_step), CAL_DB_INT(u->id)};
	cal_err err = cal_db_exec(db, sql, p, 3, NULL);

	if (err == CAL_OK) {
		u->utc_offset_min = offset_min;
		u->quiz_step = next_step;
	}
	return err;
}

cal_err cal_users_signup_date(cal_db *db, cal_arena *a, const cal_user *u, char out[11])
{
	static const char sql[] =
		"SELECT DATE_FORMAT(created_at + INTERVAL utc_offset_min MINUTE, '%Y-%m-%d') FROM users WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(u->id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, sql, p, 1, &rows);

	out[0] = '\0';
	if (err == CAL_OK && rows.nrows == 1 && cal_db_cell(&rows, 0, 0) != NULL)
		snprintf(out, 11, "%s", cal_db_cell(&rows, 0, 0));
	return err;
}
