/*
 * Chat users (SPEC §5.2, §6, §9.1): get-or-create by ManyChat subscriber id in one upsert and one select,
 * the quiz progress kept in the database, the profile with its energy targets, reset, language, the trial
 * start, and the funnel events of activity_log (first_message, quiz_started, quiz_completed,
 * first_food_log).
 *
 * The upsert takes the user's row lock. Callers that run it inside a transaction (the ManyChat handler does,
 * for the whole request) therefore serialise requests of one subscriber, and everything they read after it
 * — including today's totals returned with the user — is what the previous request committed.
 */
#ifndef CALORIA_USERS_H
#define CALORIA_USERS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "caloria/conf.h"
#include "caloria/db.h"
#include "caloria/energy.h"
#include "caloria/err.h"
#include "caloria/mem.h"

#define CAL_USER_SUBSCRIBER_MAX 50

/* Totals of one local day (a daily_stats row; zeros when the day has none). */
typedef struct cal_day {
	char date[11];       /* "YYYY-MM-DD", the user's local date */
	double kcal, protein_g, carbs_g, fat_g, fiber_g, sodium_mg;
	int meals;           /* food logs that day */
	int analyses;        /* food analyses that day (SPEC §9.4 gate) */
	int goal_kcal;       /* the goal recorded for the day, else the user's current goal; 0 = none */
} cal_day;

typedef struct cal_user {
	long long id;
	const char *subscriber_id;
	const char *first_name;      /* NULL when unknown */
	cal_lang lang;
	int utc_offset_min;
	cal_profile profile;         /* fields stay *_NONE / 0 until answered */
	double target_weight_kg;     /* 0 = not given */
	int meals_per_day;           /* 0 = not given */
	cal_targets targets;         /* bmr, daily_goal and macros; zeros until the quiz completes */
	int quiz_step;               /* 0 = not in the quiz, 1–7 = waiting for that answer (7: the timezone) */
	bool quiz_completed;
	const char *subscription;    /* users.subscription_status: "none", "trial", … */
	const char *trial_ends_at;   /* RFC 3339 UTC, NULL when none */
	const char *paid_until;      /* RFC 3339 UTC, NULL when none */
	bool created;                /* this call created the user */
	cal_day today;               /* the user's local today, read with the user */
	char trial_buf[21];          /* storage for trial_ends_at once a trial starts in this request */
} cal_user;

/* What a request says about its sender; NULL fields are left as stored. */
typedef struct cal_user_input {
	const char *subscriber_id;   /* required, 1–50 chars of [A-Za-z0-9_-] */
	const char *first_name;
	const char *last_name;
	const char *locale;          /* language of a new user ("es_AR", "English"); existing users keep theirs */
	const char *timezone;        /* "UTC-03", "-03", "-03:00"; unparsable values are ignored */
	const char *channel;
} cal_user_input;

/* True when s is a valid subscriber id (1–50 of [A-Za-z0-9_-]). */
bool cal_users_valid_subscriber(const char *s);

/* The parameters of the touch procedures (schema/0003_food_turn.sql), in their order. */
#define CAL_USERS_TOUCH_NPARAMS 7
/*
 * Fills p with what a touch stores about in's sender (strings point into in); CAL_ERR_VALIDATION for an
 * invalid subscriber id. For callers that run the touch inside a larger procedure (cal_foodlog_turn()).
 */
cal_err cal_users_touch_params(const cal_conf *conf, const cal_user_input *in, cal_dbv p[CAL_USERS_TOUCH_NPARAMS]);
/*
 * Reads the row of cal_user_row (schema/0003) into out and, when not NULL, the id of the food log written by
 * the same call (0 when none) and whether it was the day's first. A user the call created gets its
 * first_message event in the open transaction.
 */
cal_err cal_users_from_row(cal_db *db, const cal_dbrows *rows, cal_user *out, long long *food_log_id,
			   bool *first_of_day);
/*
 * Opens a transaction, creates the user or refreshes first/last name, offset, channel and last_interaction,
 * and reads it back with today's totals, all in one round trip (cal_db_begin_query). A new user gets the
 * language of the locale (else app.default_language), the offset of the timezone (else
 * app.default_timezone) and a first_message event. On CAL_OK the transaction is open and the caller commits or rolls it back; on failure it may be open too, so
 * the caller's error path rolls back (cal_db_rollback() is safe when nothing is open).
 */
cal_err cal_users_begin_touch(cal_db *db, cal_arena *a, const cal_conf *conf, const cal_user_input *in,
			      cal_user *out);

/* Starts (or restarts) the chat quiz at step 1 and records quiz_started. */
cal_err cal_users_quiz_start(cal_db *db, cal_user *u);
/* Stores the answer of step (1–6) already applied to u->profile, and moves to next_step (0 = none). */
cal_err cal_users_quiz_answer(cal_db *db, cal_user *u, int step, int next_step);
/* Clears the profile and targets and restarts the quiz at step 1 (subscription and food logs are kept). */
cal_err cal_users_reset(cal_db *db, cal_user *u);

/*
 * Completes the profile: stores it with its targets (computed here from u->profile), ends the quiz and
 * records quiz_completed. A user whose subscription is still "none" starts the trial
 * (subscription.trial_days from now); *trial_started tells the caller (may be NULL).
 * first_name may be NULL (kept). Fails with CAL_ERR_VALIDATION when the profile is incomplete.
 */
cal_err cal_users_complete(cal_db *db, const cal_conf *conf, cal_user *u, const char *first_name,
			   bool *trial_started);

cal_err cal_users_set_language(cal_db *db, cal_user *u, cal_lang lang);

/* Whether the user told the quiz their timezone (users.timezone_set, schema/0008). */
cal_err cal_users_timezone_known(cal_db *db, cal_arena *a, const cal_user *u, bool *known);
/* Stores the quiz's timezone answer (UTC offset in minutes) and moves the quiz to next_step. */
cal_err cal_users_set_timezone(cal_db *db, cal_user *u, int offset_min, int next_step);
/* The user's local date of sign-up ("YYYY-MM-DD"; "" when unknown). */
cal_err cal_users_signup_date(cal_db *db, cal_arena *a, const cal_user *u, char out[11]);
/* A funnel or audit event in activity_log (detail may be NULL). */
cal_err cal_users_event(cal_db *db, long long user_id, const char *event, const char *detail);

/* SPEC §5.4 caloria.user: {"id", "subscriber_id", "language", "quiz_completed", "bmr", …}. */
struct json_object *cal_users_to_json(const cal_user *u);

#endif
