/*
 * The admin panel's figures (admin_stats.h): a few aggregate queries over users, payments, food_logs and
 * activity_log, each served by an index of schema/0001 or 0007, and the per-user reads of the user page and
 * the API. Counts use COUNT(IF(cond, 1, NULL)) so an empty table gives 0, not NULL. Money is computed in
 * cents as integers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caloria/admin_stats.h"

const char *const cal_stats_funnel_names[CAL_STATS_FUNNEL_STEPS] = {
	"first_message", "quiz_started", "quiz_completed", "first_food_log", "subscription_link", "paid",
};

const cal_stats_col cal_stats_user_list_cols[] = {
	{"id", 'i'}, {"subscriber_id", 'S'}, {"first_name", 's'}, {"last_name", 's'}, {"language", 's'},
	{"quiz_completed", 'b'}, {"subscription_status", 's'}, {"daily_calorie_goal", 'i'}, {"created_at", 't'},
	{"last_interaction", 't'}, {NULL, 0},
};

#define USER_LIST_SELECT                                                                                       \
	"SELECT id, subscriber_id, first_name, last_name, language, quiz_completed, subscription_status,"     \
	" daily_calorie_goal, created_at, last_interaction FROM users"

const cal_stats_col cal_stats_profile_cols[] = {
	{"id", 'i'}, {"subscriber_id", 'S'}, {"first_name", 's'}, {"last_name", 's'}, {"language", 's'},
	{"utc_offset_min", 'i'}, {"channel", 's'}, {"gender", 's'}, {"age", 'i'}, {"weight_kg", 'n'},
	{"height_cm", 'n'}, {"activity_level", 's'}, {"goal", 's'}, {"target_weight_kg", 'n'},
	{"meals_per_day", 'i'}, {"bmr", 'n'}, {"daily_calorie_goal", 'i'}, {"protein_target_g", 'i'},
	{"carbs_target_g", 'i'}, {"fat_target_g", 'i'}, {"quiz_step", 'i'}, {"quiz_completed", 'b'},
	{"quiz_completed_at", 't'}, {"subscription_status", 's'}, {"trial_ends_at", 't'}, {"paid_until", 't'},
	{"created_at", 't'}, {"last_interaction", 't'}, {NULL, 0},
};

/* The profile columns, then the user's local today (not shown; the days of the stats end there). */
static const char SQL_PROFILE[] =
	"SELECT id, subscriber_id, first_name, last_name, language, utc_offset_min, channel, gender, age, weight_kg,"
	" height_cm, activity_level, goal, target_weight_kg, meals_per_day, bmr, daily_calorie_goal,"
	" protein_target_g, carbs_target_g, fat_target_g, quiz_step, quiz_completed, quiz_completed_at,"
	" subscription_status, trial_ends_at, paid_until, created_at, last_interaction,"
	" DATE_FORMAT(UTC_TIMESTAMP() + INTERVAL utc_offset_min MINUTE, '%Y-%m-%d') FROM users WHERE id = ?";
#define PROFILE_TODAY_COL 28

/* ---- overview -------------------------------------------------------------------------------------- */

static const char SQL_USERS[] =
	"SELECT COUNT(*), COUNT(IF(quiz_completed = 1, 1, NULL)),"
	" COUNT(IF(subscription_status = 'trial', 1, NULL)), COUNT(IF(subscription_status = 'active', 1, NULL)),"
	" COUNT(IF(subscription_status = 'cancelled', 1, NULL)), COUNT(IF(subscription_status = 'paused', 1, NULL)),"
	" COUNT(IF(subscription_status = 'pending', 1, NULL)),"
	" COUNT(IF(subscription_status = 'trial_expired', 1, NULL)),"
	" COUNT(IF(subscription_status = 'payment_failed', 1, NULL)), COUNT(IF(subscription_status = 'none', 1, NULL)),"
	" COUNT(IF(trial_ends_at IS NOT NULL, 1, NULL)),"
	" COUNT(IF(created_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY, 1, NULL)),"
	" COUNT(IF(trial_ends_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY + INTERVAL ? DAY, 1, NULL))"
	" FROM users";
static const char SQL_PAID[] =
	"SELECT (SELECT COUNT(DISTINCT user_id) FROM payments WHERE status = 'approved' AND user_id IS NOT NULL),"
	" (SELECT COUNT(DISTINCT p.user_id) FROM payments p JOIN users u ON u.id = p.user_id"
	"   WHERE p.status = 'approved' AND u.trial_ends_at IS NOT NULL),"
	" (SELECT COUNT(*) FROM payments WHERE status = 'approved'"
	"   AND COALESCE(paid_at, created_at) >= UTC_TIMESTAMP() - INTERVAL 7 DAY)";
static const char SQL_LOG_SOURCES[] =
	"SELECT COUNT(IF(source = 'text', 1, NULL)), COUNT(IF(source = 'image', 1, NULL)),"
	" COUNT(IF(source = 'audio', 1, NULL)) FROM food_logs";

/* "4999.00" → 499900; -1 when it is not a plain decimal with at most two decimals. */
static long long cents_of(const char *s)
{
	long long whole = 0, frac = 0;
	int nfrac = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		whole = whole * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && nfrac < 2; s++, nfrac++)
			frac = frac * 10 + (*s - '0');
	if (*s != '\0')
		return -1;
	while (nfrac++ < 2)
		frac *= 10;
	return whole * 100 + frac;
}

static double ratio(long long num, long long den)
{
	return den > 0 ? (double)num / (double)den : 0.0;
}

cal_err cal_stats_overview_get(cal_ctx *ctx, cal_arena *a, cal_stats_overview *ov)
{
	cal_dbrows u, p, l;
	cal_dbv tp[] = {CAL_DB_INT(ctx->conf.subscription_trial_days)};
	cal_err e;

	memset(ov, 0, sizeof *ov);
	if ((e = cal_db_query(ctx->db, a, SQL_USERS, tp, 1, &u)) != CAL_OK ||
	    (e = cal_db_query(ctx->db, a, SQL_PAID, NULL, 0, &p)) != CAL_OK ||
	    (e = cal_db_query(ctx->db, a, SQL_LOG_SOURCES, NULL, 0, &l)) != CAL_OK)
		return e;
	if (u.nrows != 1 || p.nrows != 1 || l.nrows != 1)
		return CAL_ERR_INTERNAL;
	long long *uf[] = {&ov->total_users, &ov->quiz_completed, &ov->trial, &ov->active, &ov->cancelled,
			   &ov->paused, &ov->pending, &ov->trial_expired, &ov->payment_failed, &ov->none,
			   &ov->trials_started, &ov->signups_7d, &ov->trials_7d};
	for (unsigned i = 0; i < sizeof uf / sizeof uf[0]; i++)
		*uf[i] = cal_db_cell_int(&u, 0, i, 0);
	ov->paid_users = cal_db_cell_int(&p, 0, 0, 0);
	ov->paid_after_trial = cal_db_cell_int(&p, 0, 1, 0);
	ov->payments_7d = cal_db_cell_int(&p, 0, 2, 0);
	ov->logs_text = cal_db_cell_int(&l, 0, 0, 0);
	ov->logs_image = cal_db_cell_int(&l, 0, 1, 0);
	ov->logs_audio = cal_db_cell_int(&l, 0, 2, 0);
	ov->quiz_completion = ratio(ov->quiz_completed, ov->total_users);
	ov->trial_to_paid = ratio(ov->paid_after_trial, ov->trials_started);
	long long price = cents_of(ctx->conf.subscription_price);
	long long mrr = price > 0 ? price * ov->active : 0;
	ov->mrr = cal_arena_printf(a, "%lld.%02lld", mrr / 100, mrr % 100);
	ov->currency = ctx->conf.subscription_currency != NULL ? ctx->conf.subscription_currency : "";
	return CAL_OK;
}

static struct json_object *fixed(double v, int decimals)
{
	char s[64];

	snprintf(s, sizeof s, "%.*f", decimals, v);
	return json_object_new_double_s(v, s);
}

static void put_int(struct json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

struct json_object *cal_stats_overview_json(const cal_stats_overview *ov)
{
	struct json_object *root = json_object_new_object(), *um = json_object_new_object(),
			   *cr = json_object_new_object(), *rev = json_object_new_object(),
			   *tr = json_object_new_object(), *src = json_object_new_object();

	put_int(um, "total_users", ov->total_users);
	put_int(um, "quiz_completed", ov->quiz_completed);
	put_int(um, "trial", ov->trial);
	put_int(um, "active", ov->active);
	put_int(um, "cancelled", ov->cancelled);
	put_int(um, "paused", ov->paused);
	put_int(um, "pending", ov->pending);
	put_int(um, "trial_expired", ov->trial_expired);
	put_int(um, "payment_failed", ov->payment_failed);
	put_int(um, "no_subscription", ov->none);
	put_int(um, "trials_started", ov->trials_started);
	put_int(um, "paid", ov->paid_users);
	json_object_object_add(root, "user_metrics", um);
	json_object_object_add(cr, "quiz_completion", fixed(ov->quiz_completion, 4));
	json_object_object_add(cr, "trial_to_paid", fixed(ov->trial_to_paid, 4));
	json_object_object_add(root, "conversion_rates", cr);
	json_object_object_add(rev, "mrr", json_object_new_double_s(strtod(ov->mrr, NULL), ov->mrr));
	json_object_object_add(rev, "currency", json_object_new_string(ov->currency));
	json_object_object_add(root, "revenue", rev);
	put_int(tr, "signups_7d", ov->signups_7d);
	put_int(tr, "trials_7d", ov->trials_7d);
	put_int(tr, "payments_7d", ov->payments_7d);
	json_object_object_add(root, "trends", tr);
	put_int(src, "text", ov->logs_text);
	put_int(src, "image", ov->logs_image);
	put_int(src, "audio", ov->logs_audio);
	json_object_object_add(root, "food_logs_by_source", src);
	return root;
}

/* ---- funnel and series ----------------------------------------------------------------------------- */

static const char SQL_FUNNEL[] =
	"SELECT event, COUNT(DISTINCT user_id) FROM activity_log WHERE event IN ('first_message', 'quiz_started',"
	" 'quiz_completed', 'first_food_log', 'subscription_link') AND created_at >= UTC_TIMESTAMP() - INTERVAL ? DAY"
	" GROUP BY event";
static const char SQL_FUNNEL_PAID[] =
	"SELECT COUNT(DISTINCT user_id) FROM payments WHERE status = 'approved' AND user_id IS NOT NULL"
	" AND COALESCE(paid_at, created_at) >= UTC_TIMESTAMP() - INTERVAL ? DAY";

cal_err cal_stats_funnel(cal_ctx *ctx, cal_arena *a, int days, long long counts[CAL_STATS_FUNNEL_STEPS])
{
	cal_dbrows r, p;
	cal_dbv d[] = {CAL_DB_INT(days)};
	cal_err e;

	memset(counts, 0, sizeof(long long) * CAL_STATS_FUNNEL_STEPS);
	if ((e = cal_db_query(ctx->db, a, SQL_FUNNEL, d, 1, &r)) != CAL_OK ||
	    (e = cal_db_query(ctx->db, a, SQL_FUNNEL_PAID, d, 1, &p)) != CAL_OK)
		return e;
	for (size_t i = 0; i < r.nrows; i++)
		for (int s = 0; s < CAL_STATS_FUNNEL_STEPS - 1; s++)
			if (strcmp(cal_db_cell(&r, i, 0), cal_stats_funnel_names[s]) == 0)
				counts[s] = cal_db_cell_int(&r, i, 1, 0);
	counts[CAL_STATS_FUNNEL_STEPS - 1] = p.nrows == 1 ? cal_db_cell_int(&p, 0, 0, 0) : 0;
	return CAL_OK;
}

static const char SQL_DAILY_SIGNUPS[] =
	"SELECT DATE_FORMAT(created_at, '%Y-%m-%d'), COUNT(*) FROM users WHERE created_at >= ? GROUP BY 1";
static const char SQL_DAILY_LOGS[] =
	"SELECT DATE_FORMAT(local_date, '%Y-%m-%d'), source, COUNT(*) FROM food_logs WHERE local_date >= ?"
	" GROUP BY local_date, source";
static const char SQL_DAILY_PAYMENTS[] =
	"SELECT DATE_FORMAT(COALESCE(paid_at, created_at), '%Y-%m-%d'), COUNT(*) FROM payments"
	" WHERE status = 'approved' AND COALESCE(paid_at, created_at) >= ? GROUP BY 1";

/* Days from start to a "YYYY-MM-DD" text, -1 when unparsable. */
static long day_index(time_t start, const char *date)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (date == NULL || sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long)((timegm(&tm) - start) / 86400);
}

static void date_text(time_t t, char out[11])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void add_counts(const cal_dbrows *r, time_t start, int ndays, double *into, unsigned count_col)
{
	for (size_t i = 0; i < r->nrows; i++) {
		long d = day_index(start, cal_db_cell(r, i, 0));
		if (d >= 0 && d < ndays)
			into[d] += (double)cal_db_cell_int(r, i, count_col, 0);
	}
}

cal_err cal_stats_daily(cal_ctx *ctx, cal_arena *a, int days, cal_stats_series *s)
{
	time_t now = time(NULL), start = now - now % 86400 - (time_t)(days - 1) * 86400;
	char start_text[11];
	cal_dbrows su, lo, pa;
	cal_err e;

	date_text(start, start_text);
	cal_dbv p[] = {CAL_DB_STR(start_text)};
	if ((e = cal_db_query(ctx->db, a, SQL_DAILY_SIGNUPS, p, 1, &su)) != CAL_OK ||
	    (e = cal_db_query(ctx->db, a, SQL_DAILY_LOGS, p, 1, &lo)) != CAL_OK ||
	    (e = cal_db_query(ctx->db, a, SQL_DAILY_PAYMENTS, p, 1, &pa)) != CAL_OK)
		return e;
	s->ndays = days;
	s->dates = cal_arena_alloc(a, sizeof(char *) * (size_t)days);
	double **series[] = {&s->signups, &s->logs_text, &s->logs_image, &s->logs_audio, &s->payments};
	for (unsigned i = 0; i < sizeof series / sizeof series[0]; i++)
		*series[i] = cal_arena_alloc(a, sizeof(double) * (size_t)days);
	for (int d = 0; d < days; d++) {
		char *t = cal_arena_alloc(a, 11);
		date_text(start + (time_t)d * 86400, t);
		s->dates[d] = t;
	}
	add_counts(&su, start, days, s->signups, 1);
	add_counts(&pa, start, days, s->payments, 1);
	for (size_t i = 0; i < lo.nrows; i++) {
		const char *src = cal_db_cell(&lo, i, 1);
		long d = day_index(start, cal_db_cell(&lo, i, 0));
		double *into = strcmp(src, "image") == 0 ? s->logs_image
			       : strcmp(src, "audio") == 0 ? s->logs_audio : s->logs_text;
		if (d >= 0 && d < days)
			into[d] += (double)cal_db_cell_int(&lo, i, 2, 0);
	}
	return CAL_OK;
}

/* ---- cells ----------------------------------------------------------------------------------------- */

const char *cal_stats_subscriber_shown(cal_arena *a, const char *id, cal_admin_role role)
{
	size_t n;

	if (id == NULL || role == CAL_ROLE_ADMIN)
		return id;
	n = strlen(id);
	/* Enough to tell rows apart on a screen, never enough to address the subscriber through ManyChat. */
	if (n <= 4)
		return "…";
	return cal_arena_printf(a, "%.2s…%s", id, id + n - 2);
}

const char *cal_stats_rfc3339(cal_arena *a, const char *t)
{
	if (t == NULL || strlen(t) < 19)
		return t;
	return cal_arena_printf(a, "%.10sT%.8sZ", t, t + 11);
}

struct json_object *cal_stats_cell_json(cal_arena *a, const char *cell, char kind, cal_admin_role role)
{
	if (cell == NULL)
		return NULL;
	switch (kind) {
	case 'i':
		return json_object_new_int64(strtoll(cell, NULL, 10));
	case 'n':
		return json_object_new_double_s(strtod(cell, NULL), cell);
	case 'b':
		return json_object_new_boolean(strcmp(cell, "0") != 0);
	case 't':
		return json_object_new_string(cal_stats_rfc3339(a, cell));
	case 'S':
		return json_object_new_string(cal_stats_subscriber_shown(a, cell, role));
	default:
		return json_object_new_string(cell);
	}
}

static struct json_object *row_json(cal_arena *a, const cal_stats_col *cols, const cal_dbrows *r, size_t row,
				    cal_admin_role role)
{
	struct json_object *o = json_object_new_object();

	for (unsigned c = 0; cols[c].name != NULL && c < r->ncols; c++)
		json_object_object_add(o, cols[c].name, cal_stats_cell_json(a, cal_db_cell(r, row, c), cols[c].kind, role));
	return o;
}

/* ---- users ----------------------------------------------------------------------------------------- */

static const char SQL_USERS_PAGE[] = USER_LIST_SELECT " ORDER BY id DESC LIMIT ? OFFSET ?";
static const char SQL_USERS_COUNT[] = "SELECT COUNT(*) FROM users";
#define USER_MATCH                                                                                           \
	" WHERE subscriber_id LIKE ? OR first_name LIKE ? OR last_name LIKE ?"                                  \
	" OR CONCAT_WS(' ', first_name, last_name) LIKE ?"
static const char SQL_USERS_SEARCH[] = USER_LIST_SELECT USER_MATCH " ORDER BY id DESC LIMIT ? OFFSET ?";
static const char SQL_USERS_SEARCH_COUNT[] = "SELECT COUNT(*) FROM users" USER_MATCH;

/* "%q%" with LIKE's wildcards and the escape character taken literally. */
static const char *like_pattern(cal_arena *a, const char *q)
{
	size_t n = strlen(q);
	char *out = cal_arena_alloc(a, 2 * n + 3), *o = out;

	*o++ = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

cal_err cal_stats_users(cal_ctx *ctx, cal_arena *a, const char *q, int page, int per_page, cal_stats_user_page *out)
{
	cal_dbrows cnt;
	cal_err e;
	long long offset = (long long)(page - 1) * per_page;

	memset(out, 0, sizeof *out);
	if (q == NULL || q[0] == '\0') {
		cal_dbv p[] = {CAL_DB_INT(per_page), CAL_DB_INT(offset)};
		if ((e = cal_db_query(ctx->db, a, SQL_USERS_PAGE, p, 2, &out->rows)) != CAL_OK ||
		    (e = cal_db_query(ctx->db, a, SQL_USERS_COUNT, NULL, 0, &cnt)) != CAL_OK)
			return e;
	} else {
		const char *like = like_pattern(a, q);
		cal_dbv p[] = {CAL_DB_STR(like), CAL_DB_STR(like), CAL_DB_STR(like), CAL_DB_STR(like),
			       CAL_DB_INT(per_page), CAL_DB_INT(offset)};
		if ((e = cal_db_query(ctx->db, a, SQL_USERS_SEARCH, p, 6, &out->rows)) != CAL_OK ||
		    (e = cal_db_query(ctx->db, a, SQL_USERS_SEARCH_COUNT, p, 4, &cnt)) != CAL_OK)
			return e;
	}
	out->total = cnt.nrows == 1 ? cal_db_cell_int(&cnt, 0, 0, 0) : 0;
	return CAL_OK;
}

struct json_object *cal_stats_users_json(cal_arena *a, const cal_stats_user_page *p, cal_admin_role role)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < p->rows.nrows; i++)
		json_object_array_add(arr, row_json(a, cal_stats_user_list_cols, &p->rows, i, role));
	return arr;
}

cal_err cal_stats_user(cal_ctx *ctx, cal_arena *a, long long id, cal_dbrows *profile)
{
	cal_dbv p[] = {CAL_DB_INT(id)};
	cal_err e = cal_db_query(ctx->db, a, SQL_PROFILE, p, 1, profile);

	if (e != CAL_OK)
		return e;
	return profile->nrows == 1 ? CAL_OK : CAL_ERR_NOT_FOUND;
}

const char *cal_stats_user_field(const cal_dbrows *profile, const char *name)
{
	for (unsigned c = 0; cal_stats_profile_cols[c].name != NULL; c++)
		if (strcmp(cal_stats_profile_cols[c].name, name) == 0)
			return cal_db_cell(profile, 0, c);
	return NULL;
}

double cal_stats_bmi(const cal_dbrows *profile)
{
	const char *w = cal_stats_user_field(profile, "weight_kg"), *h = cal_stats_user_field(profile, "height_cm");
	double kg = w ? strtod(w, NULL) : 0, m = h ? strtod(h, NULL) / 100.0 : 0;

	return kg > 0 && m > 0 ? kg / (m * m) : 0;
}

struct json_object *cal_stats_user_json(cal_arena *a, const cal_dbrows *profile, cal_admin_role role)
{
	struct json_object *o = row_json(a, cal_stats_profile_cols, profile, 0, role);
	double bmi = cal_stats_bmi(profile);

	json_object_object_add(o, "bmi", bmi > 0 ? fixed(bmi, 1) : NULL);
	return o;
}

/* ---- one user's days, logs, payments ---------------------------------------------------------------- */

static const char SQL_USER_DAYS[] =
	"SELECT DATE_FORMAT(local_date, '%Y-%m-%d'), total_calories, total_protein, total_carbs, total_fat,"
	" meals_logged, goal_calories FROM daily_stats WHERE user_id = ? AND local_date > ? - INTERVAL ? DAY"
	" AND local_date <= ? ORDER BY local_date";

cal_err cal_stats_user_days(cal_ctx *ctx, cal_arena *a, const cal_dbrows *profile, int days, cal_stats_day **out)
{
	const char *today = cal_db_cell(profile, 0, PROFILE_TODAY_COL);
	const char *goal = cal_stats_user_field(profile, "daily_calorie_goal");
	long long id = cal_db_cell_int(profile, 0, 0, 0);
	time_t start;
	cal_dbrows r;
	cal_err e;

	if (today == NULL || day_index(0, today) < 0)
		return CAL_ERR_INTERNAL;
	start = (time_t)(day_index(0, today) - (days - 1)) * 86400;
	cal_dbv p[] = {CAL_DB_INT(id), CAL_DB_STR(today), CAL_DB_INT(days), CAL_DB_STR(today)};
	if ((e = cal_db_query(ctx->db, a, SQL_USER_DAYS, p, 4, &r)) != CAL_OK)
		return e;
	cal_stats_day *d = cal_arena_alloc(a, sizeof *d * (size_t)days);
	for (int i = 0; i < days; i++) {
		date_text(start + (time_t)i * 86400, d[i].date);
		d[i].goal_calories = goal != NULL ? strtoll(goal, NULL, 10) : 0;
	}
	for (size_t i = 0; i < r.nrows; i++) {
		long k = day_index(start, cal_db_cell(&r, i, 0));
		if (k < 0 || k >= days)
			continue;
		d[k].total_calories = cal_db_cell_double(&r, i, 1, 0);
		d[k].total_protein = cal_db_cell_double(&r, i, 2, 0);
		d[k].total_carbs = cal_db_cell_double(&r, i, 3, 0);
		d[k].total_fat = cal_db_cell_double(&r, i, 4, 0);
		d[k].meals_logged = (int)cal_db_cell_int(&r, i, 5, 0);
		if (cal_db_cell(&r, i, 6) != NULL)
			d[k].goal_calories = cal_db_cell_int(&r, i, 6, 0);
	}
	*out = d;
	return CAL_OK;
}

struct json_object *cal_stats_user_days_json(long long user_id, const cal_stats_day *d, int days)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();

	put_int(root, "user_id", user_id);
	for (int i = 0; i < days; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "date", json_object_new_string(d[i].date));
		json_object_object_add(o, "total_calories", fixed(d[i].total_calories, 1));
		json_object_object_add(o, "goal_calories",
				       d[i].goal_calories > 0 ? json_object_new_int64(d[i].goal_calories) : NULL);
		json_object_object_add(o, "total_protein", fixed(d[i].total_protein, 1));
		json_object_object_add(o, "total_carbs", fixed(d[i].total_carbs, 1));
		json_object_object_add(o, "total_fat", fixed(d[i].total_fat, 1));
		json_object_object_add(o, "meals_logged", json_object_new_int(d[i].meals_logged));
		json_object_object_add(o, "calorie_difference",
				       d[i].goal_calories > 0 ? fixed(d[i].total_calories - (double)d[i].goal_calories, 1)
							      : NULL);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "days", arr);
	return root;
}

static const char SQL_USER_LOGS[] =
	"SELECT id, logged_at, DATE_FORMAT(local_date, '%Y-%m-%d'), source, raw_input, kcal, protein_g, carbs_g,"
	" fat_g, provider FROM food_logs WHERE user_id = ? ORDER BY id DESC LIMIT ?";
static const char SQL_USER_PAYMENTS[] =
	"SELECT mp_payment_id, kind, status, amount, currency, paid_at, created_at FROM payments WHERE user_id = ?"
	" ORDER BY created_at DESC, id DESC LIMIT 50";
static const char SQL_USER_SUBSCRIPTIONS[] =
	"SELECT status, amount, currency, preapproval_id, created_at, updated_at FROM subscriptions"
	" WHERE user_id = ? ORDER BY id DESC LIMIT 10";

cal_err cal_stats_user_logs(cal_ctx *ctx, cal_arena *a, long long id, int limit, cal_dbrows *out)
{
	cal_dbv p[] = {CAL_DB_INT(id), CAL_DB_INT(limit)};
	return cal_db_query(ctx->db, a, SQL_USER_LOGS, p, 2, out);
}

cal_err cal_stats_user_payments(cal_ctx *ctx, cal_arena *a, long long id, cal_dbrows *out)
{
	cal_dbv p[] = {CAL_DB_INT(id)};
	return cal_db_query(ctx->db, a, SQL_USER_PAYMENTS, p, 1, out);
}

cal_err cal_stats_user_subscriptions(cal_ctx *ctx, cal_arena *a, long long id, cal_dbrows *out)
{
	cal_dbv p[] = {CAL_DB_INT(id)};
	return cal_db_query(ctx->db, a, SQL_USER_SUBSCRIPTIONS, p, 1, out);
}
