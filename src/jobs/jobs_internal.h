/*
 * What the files of src/jobs/ share and nobody else needs: the queue's claim and state changes (jobs.c),
 * used by the runner loop (runner.c), and the kinds' functions, named in the kind table (kinds.c).
 */
#ifndef CALORIA_JOBS_INTERNAL_H
#define CALORIA_JOBS_INTERNAL_H

#include "caloria/db.h"
#include "caloria/i18n.h"
#include "caloria/jobs.h"

/* Claims up to max due jobs (or only_id when > 0) for runner under claim number seq; the claimed rows
 * (id, kind, user_id, payload, attempts, max_attempts) into rows. Returns how many, or -1. */
int cal_jobs_claim(cal_ctx *ctx, cal_arena *a, const char *runner, unsigned long long seq, long long only_id,
		   int max, cal_dbrows *rows);
void cal_jobs_reclaim_expired(cal_ctx *ctx);
void cal_jobs_release_runner(cal_ctx *ctx, const char *runner, const char *why);
void cal_jobs_renew(cal_ctx *ctx, const char *runner);
cal_err cal_jobs_runners(cal_ctx *ctx, cal_arena *a, cal_dbrows *rows);

/* The endings of a claimed job, fenced by the claim; CAL_ERR_NOT_FOUND when the claim was lost. */
cal_err cal_jobs_finish(cal_ctx *ctx, cal_job *job, const char *runner);
cal_err cal_jobs_fail(cal_ctx *ctx, cal_job *job, const char *runner);
cal_err cal_jobs_retry(cal_ctx *ctx, cal_job *job, const char *runner, long delay_ms);

/* ---- meals from providers (meal.c) ---- */

struct cal_reply;
struct cal_day;

/*
 * The SPEC §5.4 analysis of provider items [{"name", "grams", "kcal", …}] (not consumed), each matched
 * through the food tables: {"source", "provider", "confidence", "items", "total", "sodium_mg", "matched"}.
 */
struct json_object *cal_jobs_meal_doc(cal_ctx *ctx, cal_arena *a, struct json_object *items, const char *source,
				      const char *provider, double confidence);

/* What a job logs. */
typedef struct cal_jobs_meal_in {
	struct json_object *doc;      /* cal_jobs_meal_doc() or the text parser's analysis with "matched" */
	const char *source;           /* "image" or "audio" */
	const char *raw_input;        /* media reference without secrets */
	const char *caption;
	const char *transcript;
	const char *media_sha256;
	const char *channel;          /* reply channel of the message, NULL = the user's */
} cal_jobs_meal_in;

/*
 * In the job's commit transaction: counts the analysis, stores it, logs it when confidence ≥ 0.5 (else it
 * waits as food_pending_confirmation with confirm:<id>/cancel:<id> buttons) and enqueues the push that tells
 * the user; nothing matched → a food_unclear push.
 */
cal_err cal_jobs_meal_commit(cal_ctx *ctx, cal_job *job, const cal_jobs_meal_in *in);
/* SELECT … FOR UPDATE of the user's row; CAL_ERR_NOT_FOUND when the user is gone. */
cal_err cal_jobs_lock_user(cal_ctx *ctx, cal_arena *a, long long user_id);
/* The logged meal as chat messages: items, meal totals, the day's progress and recommendations. */
void cal_jobs_meal_render(struct cal_reply *r, cal_arena *a, cal_lang lang, struct json_object *analysis,
			  const struct cal_day *day, int protein_target_g);
/* Renders r and enqueues it as a push to u. */
cal_err cal_jobs_push_reply(cal_ctx *ctx, const cal_job_user *u, struct cal_reply *r);

/* ---- kinds ---- */

/* push: ManyChat sendContent of payload {"subscriber_id", "content"} (push.c). */
cal_job_step cal_job_push_next(cal_ctx *ctx, cal_job *job, cal_api_req *req);
cal_job_step cal_job_push_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp);
cal_err cal_job_push_failed(cal_ctx *ctx, cal_job *job);

/* media: download a photo or voice note, analyse it with the configured providers, log it (media_job.c). */
cal_job_step cal_job_media_next(cal_ctx *ctx, cal_job *job, cal_api_req *req);
cal_job_step cal_job_media_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp);
cal_err cal_job_media_commit(cal_ctx *ctx, cal_job *job);

/* lookup: the unmatched items of a text log, asked of Gemini or Spoonacular and added to it (lookup.c). */
cal_job_step cal_job_lookup_next(cal_ctx *ctx, cal_job *job, cal_api_req *req);
cal_job_step cal_job_lookup_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp);
cal_err cal_job_lookup_commit(cal_ctx *ctx, cal_job *job);
cal_err cal_job_lookup_failed(cal_ctx *ctx, cal_job *job);

#endif
