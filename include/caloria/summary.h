/*
 * Daily summaries (SPEC §8, §11): `caloria send-daily-summaries [--date D] [--dry-run]` sends every user
 * who logged food on a day the summary of that day through ManyChat sendContent, once per user and day.
 *
 * Which day: without --date, each user's own local yesterday (users.utc_offset_min), and only once the
 * user's local clock has passed CAL_SUMMARY_LOCAL_HOUR, so a summary arrives in the morning rather than at
 * midnight. The cron line runs the command every hour, so every offset (whole, half or quarter hours) gets
 * its morning run, and a send that failed is tried again by each later run until that local day ends.
 * With --date, every user's row for that local date is due, at any hour.
 *
 * A row is marked (daily_stats.summary_sent_at) only after ManyChat accepted the message; every try adds
 * to summary_attempts. One run at a time per database (a named lock), so overlapping runs cannot send a
 * summary twice.
 */
#ifndef CALORIA_SUMMARY_H
#define CALORIA_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/mem.h"
#include "caloria/users.h"

#define CAL_SUMMARY_MAX_PER_SEC 20 /* sendContent calls per second, retries included */
#define CAL_SUMMARY_TRIES 3        /* tries per user and run; waits of about 0.5 s, then 1 s, between them */
#define CAL_SUMMARY_LOCAL_HOUR 8   /* earliest local hour for the automatic (no --date) run */
#define CAL_SUMMARY_BATCH 500      /* rows read per query */

typedef struct cal_summary_opts {
	const char *date; /* "YYYY-MM-DD", or NULL for each user's local yesterday */
	bool dry_run;     /* print what would be sent to out; send and write nothing */
	FILE *out;        /* dry-run texts and the final counts; NULL = stdout */
} cal_summary_opts;

typedef struct cal_summary_stats {
	int due;     /* rows found */
	int sent;    /* accepted by ManyChat and marked */
	int failed;  /* still unsent after every try (left for the next run) */
} cal_summary_stats;

/* What the summary of one day says. */
typedef struct cal_summary_user {
	long long id;
	const char *subscriber_id;
	cal_lang lang;
	int goal_kcal;        /* the user's current goal, used when the day has none stored */
	int protein_target_g; /* 0 = unknown */
	int carbs_target_g;
	int fat_target_g;
} cal_summary_user;

/*
 * The text of u's summary of `date` (arena), at most CAL_I18N_TEXT_MAX bytes: the day against the goal,
 * the macros against their targets, what was eaten, and the SPEC §8 recommendations. NULL with *err set
 * when the day cannot be read.
 */
char *cal_summary_text(cal_db *db, cal_arena *a, const cal_summary_user *u, const char *date, cal_err *err);

/* Runs one pass as described above. CAL_OK when the pass ran (see stats for failures). */
cal_err cal_summary_run(cal_ctx *ctx, const cal_summary_opts *opts, cal_summary_stats *stats);

/* The CLI command; argv[0] is "send-daily-summaries". 0 when nothing failed, 1 otherwise, 2 usage. */
int cal_summary_cli_main(cal_ctx *ctx, int argc, char **argv);

#endif
