/*
 * The food log and its days (SPEC §8): recording a meal (and the link from its analyses row when it came
 * from a confirmed photo or voice analysis) with the day's totals in one transaction, the day and 7-day views, undo, and the recommendations. Public so the daily
 * summaries (`caloria send-daily-summaries`) reuse the same day view and the same advice as the chat.
 *
 * Days are the user's local dates (users.utc_offset_min); daily_stats holds one row per user and date,
 * kept equal to the sum of that day's food_logs by doing every change to both in one transaction.
 */
#ifndef CALORIA_FOODLOG_H
#define CALORIA_FOODLOG_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "caloria/db.h"
#include "caloria/err.h"
#include "caloria/mem.h"
#include "caloria/users.h"

/* One meal to record; the numbers are the meal's totals, already rounded to 1 decimal. */
typedef struct cal_meal {
	const char *source;      /* "text", "image" or "audio" */
	const char *raw_input;   /* the text, or a media reference without secrets (≤ 1000 bytes) */
	const char *caption;     /* text sent with a photo, NULL when none */
	const char *transcript;  /* voice notes, NULL otherwise */
	const char *items_json;  /* JSON array of SPEC §5.4 items */
	const char *provider;    /* "table", "gemini", … */
	double confidence;       /* 0–1 */
	double kcal, protein_g, carbs_g, fat_g, fiber_g, sodium_mg;
	bool count_analysis;     /* add 1 to daily_stats.analyses_count (false when it was counted already) */
} cal_meal;

/*
 * Plausibility bounds of a meal to be logged as it was read. Beyond them the user most likely mistyped an
 * amount ("5 kg de manteca"), and logging it would both mislead and, repeated, overflow the day's totals;
 * the bot asks instead. Photos and voice go through the same check.
 */
#define CAL_FOODLOG_MAX_ITEM_G 3000.0
#define CAL_FOODLOG_MAX_MEAL_KCAL 10000.0
#define CAL_FOODLOG_MAX_MEAL_SODIUM_MG 50000.0

typedef enum cal_plausibility {
	CAL_PLAUSIBLE = 0,
	CAL_IMPLAUSIBLE_ITEM,  /* an item weighs more than CAL_FOODLOG_MAX_ITEM_G, or a nutrient other than energy
				  is beyond its bound and the heaviest item is named */
	CAL_IMPLAUSIBLE_MEAL   /* the meal's energy is beyond the bound (or not a number) */
} cal_plausibility;

/*
 * Checks m and its SPEC §5.4 items array (may be NULL). *item (may be NULL) gets the name of the first item
 * that is too heavy, *grams its weight.
 */
cal_plausibility cal_foodlog_plausible(const cal_meal *m, struct json_object *items, const char **item,
				       double *grams);

typedef struct cal_logged {
	long long food_log_id;
	long long analysis_id;
	bool first_of_day;       /* the day had no daily_stats row before */
} cal_logged;

/*
 * Records m for user_id on local date `date` ("YYYY-MM-DD"): the food_logs row and the daily_stats upsert (goal_kcal > 0 is stored as the day's goal), plus first_food_log in the
 * activity log the first time ever. Runs in the caller's transaction when one is open, else in its own.
 * day: when not NULL it must hold the day's totals as read under the user's row lock; it is advanced by
 * the meal without reading the database again.
 */
cal_err cal_foodlog_record(cal_db *db, long long user_id, const char *date, int goal_kcal, const cal_meal *m,
			   cal_day *day, cal_logged *out);

/*
 * The whole turn of a chat message whose text is already analysed as the meal m, in one round trip: opens a
 * transaction, touches the sender like cal_users_begin_touch() and, when the user has a complete profile,
 * no quiz in progress and the subscription gate allows one more analysis (SPEC §9.4), records m for the
 * user's local today and commits. user receives the user with the day after the meal. out->food_log_id > 0: logged and committed (no transaction is open). 0: nothing was
 * logged, the transaction is open as after cal_users_begin_touch() and the caller goes on with the turn.
 */
cal_err cal_foodlog_turn(cal_db *db, cal_arena *a, const cal_conf *conf, const cal_user_input *in,
			 const cal_meal *m, cal_user *user, cal_logged *out);
/*
 * confirm:<id> / cancel:<id> (SPEC §7.3) of a pending analysis of user_id: confirm writes its food log and
 * the day's totals (like cal_foodlog_record, without counting the analysis again: count it with
 * cal_foodlog_count_analysis when it is made) and marks it logged; cancel marks it cancelled. One
 * transaction (the caller's when open). CAL_ERR_NOT_FOUND when the analysis is not pending or not the user's.
 * day: as for cal_foodlog_record (may be NULL); meal receives the analysis' totals (may be NULL).
 */
cal_err cal_foodlog_resolve(cal_db *db, cal_arena *a, long long user_id, long long analysis_id, bool confirm,
			    const char *date, int goal_kcal, cal_day *day, cal_meal *meal, cal_logged *out);

/*
 * Stores a photo or voice analysis as 'pending' (SPEC §7.3) in the caller's transaction; *id receives its id.
 * media_sha256 (may be NULL): the SHA-256 of the analysed bytes. Confirm it with cal_foodlog_resolve().
 */
cal_err cal_foodlog_analysis_add(cal_db *db, long long user_id, const cal_meal *m, const char *media_sha256,
				 long long *id);

/* Adds 1 to the day's analyses_count without a log (an analysis that produced nothing to log). */
cal_err cal_foodlog_count_analysis(cal_db *db, long long user_id, const char *date);

/*
 * The totals of one day (zeros and meals = 0 when nothing was logged). goal_kcal is the goal stored with
 * the day, else default_goal.
 */
cal_err cal_foodlog_day(cal_db *db, cal_arena *a, long long user_id, const char *date, int default_goal,
			cal_day *out);

/*
 * The 7 local days ending on `date`, oldest first (days without logs have zeros and default_goal).
 * *average_kcal: mean over the days with logs (0 when none); *logged_days: how many had logs.
 */
cal_err cal_foodlog_week(cal_db *db, cal_arena *a, long long user_id, const char *date, int default_goal,
			 cal_day days[7], int *average_kcal, int *logged_days);

/*
 * Removes the last food log of `date` and takes it off the day's totals in one transaction (the caller's
 * when one is open). CAL_ERR_NOT_FOUND when the day has no log. removed: the meal's totals (may be NULL).
 * day: when not NULL, holds the day's totals as read under the user's row lock and is updated in place.
 */
cal_err cal_foodlog_undo(cal_db *db, cal_arena *a, long long user_id, const char *date, cal_meal *removed,
			 cal_day *day);

/*
 * Removes the number-th food log of `date` (1 = the first logged that day, the numbering of `hoy`; 0 = the
 * last one, which is undo) like cal_foodlog_undo. removed->items_json receives the log's items.
 * CAL_ERR_NOT_FOUND when the day has no such log.
 */
cal_err cal_foodlog_delete(cal_db *db, cal_arena *a, long long user_id, const char *date, int number,
			   cal_meal *removed, cal_day *day);

/*
 * Replaces the number-th food log of `date` (1 = the first, as `hoy` numbers them) with the meal m (its text,
 * items and totals; the log keeps its time and place in the list), moving the day's totals by the difference,
 * in one transaction (the caller's when open). old receives what the log held (items_json and totals; may be
 * NULL); day, when not NULL, is updated in place. CAL_ERR_NOT_FOUND when the day has no such log.
 */
cal_err cal_foodlog_replace(cal_db *db, cal_arena *a, long long user_id, const char *date, int number,
			    const cal_meal *m, cal_meal *old, cal_day *day);

/* One food log of a day as `hoy` lists it. */
typedef struct cal_entry {
	long long id;
	char time[6];           /* local "HH:MM" */
	const char *items_json; /* the SPEC §5.4 items */
	double kcal;
} cal_entry;

/* The food logs of `date`, in the order they were logged, at most max; times at offset_min from UTC. */
cal_err cal_foodlog_entries(cal_db *db, cal_arena *a, long long user_id, const char *date, int offset_min,
			    cal_entry *out, size_t max, size_t *n);

/*
 * SPEC §8 recommendations for a day, in lang, into out[0..max) (texts from the arena); returns how many.
 * In order: under the goal by more than 200 kcal / over by more than 200 / close (only when goal_kcal > 0),
 * protein under 70 % of protein_target_g (only when the target is known), fiber under 20 g, sodium over
 * 2000 mg (only when something was logged).
 */
size_t cal_foodlog_recommendations(const cal_day *day, int protein_target_g, cal_lang lang, cal_arena *a,
				   const char **out, size_t max);

/* SPEC §5.4 caloria.day: {"date", "consumed_kcal", "goal_kcal", "remaining_kcal", "meals"}. */
struct json_object *cal_foodlog_day_json(const cal_day *day);

/* "YYYY-MM-DD" n days before date into out[11]; -1 when date is malformed. */
int cal_foodlog_date_minus(const char *date, int n, char out[11]);

#endif
