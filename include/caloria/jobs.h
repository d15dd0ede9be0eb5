/*
 * Background jobs (SPEC §7.5, §11): the one queue for work that waits on an external provider — photo and
 * voice analyses, provider look-ups of text, ManyChat pushes, payment notifications — so that no webhook
 * ever waits on one.
 *
 * The queue is the `jobs` table. A job is enqueued inside the caller's transaction (it exists exactly when
 * the caller's other writes do), claimed atomically by one runner with a lease (a runner that crashed loses
 * its jobs when the lease expires, or at once when a runner on the same host sees its process is gone),
 * retried with jittered exponential back-off and failed after its max_attempts (jobs.max_attempts), at which
 * point the kind's failure hook tells the user in their language. A job's results are written in the same
 * transaction that marks it done, fenced by the claim, so a job whose runner died half-way is redone from
 * the start and its results exist exactly once.
 *
 * Runners: the standalone pool's job runner child, `caloria jobs run [--once]` (cron or systemd; picks up
 * whatever is due, so nothing is lost in a crash), and in managed and CGI modes the worker that took the
 * message, after its response is complete (cal_jobs_run_after_response). A runner keeps up to
 * jobs.concurrency jobs in flight, each with at most one call outstanding on the API client's multi handle
 * (apiclient.h), so a provider that takes seconds to answer costs the runner nothing but a socket.
 *
 * ---- Adding a kind -----------------------------------------------------------------------------------
 * A kind is one row of cal_job_kinds[] (src/jobs/kinds.c) and, at least, two functions:
 *
 *   next(ctx, job, req)            what to call now: fill *req and return CAL_JOB_CALL, or return
 *                                  CAL_JOB_DONE (nothing more to call: commit), CAL_JOB_RETRY or CAL_JOB_FAIL.
 *                                  Strings put in req must live in job->arena.
 *   on_response(ctx, job, e, resp) consume the answer of the call next() asked for (e and resp as
 *                                  cal_api_request() gives them; resp->json is released by the runner):
 *                                  CAL_JOB_CALL (ask next() for another call), CAL_JOB_DONE, CAL_JOB_RETRY
 *                                  (run the whole job again later; job->retry_after_s may ask for a minimum
 *                                  wait), or CAL_JOB_FAIL (give up now).
 *
 * and optionally:
 *
 *   commit(ctx, job)               write the results. Runs inside the transaction that marks the job done
 *                                  (ctx->db, already begun; never commit or roll back here). To tell the user,
 *                                  enqueue a push with cal_jobs_push() in this same transaction. A failure
 *                                  rolls everything back and the job is retried.
 *   failed(ctx, job)               the final failure, inside the transaction that marks the job failed.
 *                                  NULL: the user (job->user_id) gets CAL_MSG_JOB_FAILED in their language.
 *
 * State that must survive between calls of one attempt goes in job->state (allocate it in job->arena on the
 * first next()); job->calls counts the calls made so far in this attempt. Everything a kind needs to start
 * over is in job->payload, because every attempt starts from next() with a fresh arena.
 */
#ifndef CALORIA_JOBS_H
#define CALORIA_JOBS_H

#include <signal.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "caloria/apiclient.h"
#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/mem.h"

typedef enum cal_job_step {
	CAL_JOB_CALL = 0, /* next(): *req is filled, make the call; on_response(): ask next() again */
	CAL_JOB_DONE,     /* nothing more to call: commit the results and mark the job done */
	CAL_JOB_RETRY,    /* run the whole job again after a back-off (or fail when out of attempts) */
	CAL_JOB_FAIL      /* give up now: the failure hook runs */
} cal_job_step;

struct cal_job_kind;

/* One claimed job, as the kind's functions see it. */
typedef struct cal_job {
	long long id;
	const struct cal_job_kind *kind;
	long long user_id;            /* 0 when the job belongs to no user */
	struct json_object *payload;  /* the stored payload, parsed; owned by the runner */
	int attempts;                 /* this attempt included: 1 on the first */
	int max_attempts;
	cal_arena *arena;             /* freed when the attempt ends */
	void *state;                  /* the kind's own, in arena */
	int calls;                    /* calls made so far in this attempt */
	long retry_after_s;           /* with CAL_JOB_RETRY: wait at least this long */
	const char *error;            /* short reason, no secrets: last_error and the log line */
	const char *metric;           /* set by commit(): a business counter (metrics.h) the runner adds 1 to
				       * once the commit has succeeded, e.g. "food_logs_image" */
} cal_job;

typedef struct cal_job_kind {
	const char *name; /* jobs.kind, at most 32 characters */
	cal_job_step (*next)(cal_ctx *ctx, cal_job *job, cal_api_req *req);
	cal_job_step (*on_response)(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp);
	cal_err (*commit)(cal_ctx *ctx, cal_job *job);
	cal_err (*failed)(cal_ctx *ctx, cal_job *job);
} cal_job_kind;

/* The table of kinds (src/jobs/kinds.c). */
extern const cal_job_kind cal_job_kinds[];
extern const int cal_job_kinds_count;

/* The kind called name, or NULL. */
const cal_job_kind *cal_jobs_kind(const char *name);

/* A job to enqueue. */
typedef struct cal_job_new {
	const char *kind;             /* a row of cal_job_kinds[] */
	long long user_id;            /* 0 = none */
	struct json_object *payload;  /* not consumed; NULL = {} */
	long delay_ms;                /* due this long from now (0 = at once) */
	const char *unique_key;       /* optional, ≤ 100 chars: a second job with the same key is not added */
} cal_job_new;

/*
 * Adds the job in ctx->db's open transaction when there is one (else on its own). *id (may be NULL): the
 * new job's id, or 0 when unique_key named an existing job. In managed and CGI modes
 * (ctx->jobs_inline) the job is also remembered, so the worker runs it once its response is complete; it
 * becomes due for other runners (cron's `caloria jobs run`) only CAL_JOBS_INLINE_GRACE_MS later, in case
 * that worker dies first.
 */
cal_err cal_jobs_enqueue(cal_ctx *ctx, const cal_job_new *job, long long *id);

/*
 * A ManyChat message to the user as a job of kind "push" (retried like any job; a failed push is never
 * lost to a provider hiccup): content is a v2 content object (not consumed), sent with sendContent.
 */
cal_err cal_jobs_push(cal_ctx *ctx, long long user_id, const char *subscriber_id, struct json_object *content);

/*
 * For next(): sends obj as the call's JSON body. The text is kept in job->arena (req->body), obj is released,
 * so a kind never has to keep a json-c object alive across the call.
 */
void cal_jobs_json_body(cal_job *job, cal_api_req *req, struct json_object *obj);

/* One user's addressing for pushes, read with cal_jobs_user(). */
typedef struct cal_job_user {
	long long id;
	const char *subscriber_id;
	int lang;                     /* cal_lang */
	const char *channel;          /* the user's last channel, else manychat.channel */
	int utc_offset_min;
	int daily_goal;               /* 0 when unknown */
	int protein_target_g;         /* 0 when unknown */
} cal_job_user;

/* CAL_ERR_NOT_FOUND when the user is gone (deleted since the job was made). Strings in a. */
cal_err cal_jobs_user(cal_ctx *ctx, cal_arena *a, long long user_id, cal_job_user *out);

/* How a runner runs. */
typedef struct cal_jobs_run_opts {
	bool once;                         /* return when nothing is due and nothing is in flight */
	long long only_id;                 /* run just this job (managed/CGI after-response), implies once */
	volatile sig_atomic_t *stop;       /* set asynchronously: stop claiming, finish or release, return */
} cal_jobs_run_opts;

/*
 * Runs jobs with ctx's database and API client until o says to stop. Returns the number of jobs that
 * ended (done or failed), or -1 when the database could not be used at all.
 */
long cal_jobs_run(cal_ctx *ctx, const cal_jobs_run_opts *o);

/* Managed and CGI modes: runs the jobs this worker enqueued during the request just answered. */
void cal_jobs_run_after_response(cal_ctx *ctx);

/* `caloria jobs run [--once]`. */
int cal_jobs_cli_main(cal_ctx *ctx, int argc, char **argv);

/* Jittered exponential back-off before attempt n+1 after n failed ones (n ≥ 1), in ms: base·2^(n−1), at
 * least half of it, capped at CAL_JOBS_BACKOFF_MAX_MS. r is a random number. */
long cal_jobs_backoff_ms(long base_ms, int n, unsigned long long r);

#define CAL_JOBS_BACKOFF_MAX_MS 600000L
#define CAL_JOBS_INLINE_GRACE_MS 30000L

#endif
