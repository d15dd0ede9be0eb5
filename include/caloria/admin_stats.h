/*
 * The figures of the admin panel and the JSON API (SPEC §10), read from the database: the business overview
 * (users, quiz completion, trials, paid users, conversion, MRR, trends), the funnel, 30-day series, the user
 * list with search and one user's profile, payments, logs and days. Pages (admin_pages.c) and the API
 * (admin_api.c) both read these, so the dashboard and /api/subscription-analytics cannot disagree.
 *
 * Definitions (README "Admin panel" says the same):
 *   quiz_completion = users with a completed quiz / all users
 *   trials_started  = users whose trial ever started (trial_ends_at set when the quiz first completes)
 *   paid_users      = users with at least one approved payment
 *   trial_to_paid   = users with a trial and an approved payment / trials_started
 *   mrr             = users whose subscription is active × subscription.price (decimal, never a double)
 */
#ifndef CALORIA_ADMIN_STATS_H
#define CALORIA_ADMIN_STATS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "caloria/admin_auth.h"
#include "caloria/ctx.h"
#include "caloria/db.h"

#define CAL_STATS_MAX_DAYS 365
#define CAL_STATS_FUNNEL_STEPS 6

typedef struct cal_stats_overview {
	long long total_users, quiz_completed;
	long long trial, active, cancelled, paused, pending, trial_expired, payment_failed, none;
	long long trials_started, paid_users, paid_after_trial;
	long long signups_7d, trials_7d, payments_7d;
	long long logs_text, logs_image, logs_audio;
	double quiz_completion, trial_to_paid; /* 0–1, 0 when the denominator is 0 */
	const char *mrr;      /* decimal text, e.g. "14997.00" */
	const char *currency; /* subscription.currency */
} cal_stats_overview;

/* Funnel step names, in order: first_message … paid. */
extern const char *const cal_stats_funnel_names[CAL_STATS_FUNNEL_STEPS];

/* One value per UTC day, oldest first. */
typedef struct cal_stats_series {
	int ndays;
	const char **dates;     /* "YYYY-MM-DD" */
	double *signups, *logs_text, *logs_image, *logs_audio, *payments;
} cal_stats_series;

cal_err cal_stats_overview_get(cal_ctx *ctx, cal_arena *a, cal_stats_overview *ov);
/* Distinct users reaching each step within the last days (1–365). */
cal_err cal_stats_funnel(cal_ctx *ctx, cal_arena *a, int days, long long counts[CAL_STATS_FUNNEL_STEPS]);
cal_err cal_stats_daily(cal_ctx *ctx, cal_arena *a, int days, cal_stats_series *s);

/* The overview as the JSON of GET /api/subscription-analytics. */
struct json_object *cal_stats_overview_json(const cal_stats_overview *ov);

/* A subscriber id as the role may see it: whole for admin, "ab…yz" for viewer. */
const char *cal_stats_subscriber_shown(cal_arena *a, const char *id, cal_admin_role role);

/* A page of users, newest first; q (may be NULL/empty) matches name or subscriber id. */
typedef struct cal_stats_user_page {
	cal_dbrows rows; /* columns: cal_stats_user_list_cols */
	long long total;
} cal_stats_user_page;
cal_err cal_stats_users(cal_ctx *ctx, cal_arena *a, const char *q, int page, int per_page, cal_stats_user_page *out);
/* JSON array of the page's users for the role. */
struct json_object *cal_stats_users_json(cal_arena *a, const cal_stats_user_page *p, cal_admin_role role);

/* One user: the profile row (CAL_ERR_NOT_FOUND when absent). */
cal_err cal_stats_user(cal_ctx *ctx, cal_arena *a, long long id, cal_dbrows *profile);
struct json_object *cal_stats_user_json(cal_arena *a, const cal_dbrows *profile, cal_admin_role role);
/* Profile field by name ("first_name", "daily_calorie_goal", …); NULL when SQL NULL or unknown. */
const char *cal_stats_user_field(const cal_dbrows *profile, const char *name);
/* Body-mass index from the profile, 0 when weight or height is unknown. */
double cal_stats_bmi(const cal_dbrows *profile);

/* One user's days ending at their local today: exactly days entries, oldest first, zeros where none. */
typedef struct cal_stats_day {
	char date[11];
	double total_calories, total_protein, total_carbs, total_fat;
	long long goal_calories; /* the day's goal, else the user's current goal; 0 = none */
	int meals_logged;
} cal_stats_day;
cal_err cal_stats_user_days(cal_ctx *ctx, cal_arena *a, const cal_dbrows *profile, int days, cal_stats_day **out);
struct json_object *cal_stats_user_days_json(long long user_id, const cal_stats_day *d, int days);

/* The last food logs (id, logged_at, local_date, source, raw_input, kcal, protein_g, carbs_g, fat_g, provider),
 * payments (mp_payment_id, kind, status, amount, currency, paid_at, created_at) and subscriptions (status,
 * amount, currency, preapproval_id, created_at, updated_at) of a user, newest first. */
cal_err cal_stats_user_logs(cal_ctx *ctx, cal_arena *a, long long id, int limit, cal_dbrows *out);
cal_err cal_stats_user_payments(cal_ctx *ctx, cal_arena *a, long long id, cal_dbrows *out);
cal_err cal_stats_user_subscriptions(cal_ctx *ctx, cal_arena *a, long long id, cal_dbrows *out);

/* A column of a row: its JSON name and kind — 'i' integer, 'n' number, 's' text, 'b' boolean, 't' UTC time
 * (RFC 3339 in JSON), 'S' subscriber id (masked for viewers). Tables end with a NULL name. */
typedef struct cal_stats_col {
	const char *name;
	char kind;
} cal_stats_col;
extern const cal_stats_col cal_stats_user_list_cols[];
extern const cal_stats_col cal_stats_profile_cols[];
/* A cell as JSON by its column kind (NULL cell → null). */
struct json_object *cal_stats_cell_json(cal_arena *a, const char *cell, char kind, cal_admin_role role);
/* "2025-01-31 14:05:09" → "2025-01-31T14:05:09Z" (arena); NULL stays NULL. */
const char *cal_stats_rfc3339(cal_arena *a, const char *sql_time);

#endif
