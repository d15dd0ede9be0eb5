/*
 * The job runner loop (jobs.h): claims due jobs up to jobs.concurrency, drives each through its kind's
 * next()/on_response() with every call on one libcurl multi handle, and ends each job with one fenced
 * transaction (done, retried later, or failed). One process runs it at a time per call of cal_jobs_run():
 * the pool's runner child, `caloria jobs run`, or a managed/CGI worker after its response.
 *
 * The runner's id is host:pid:nonce. Besides lease expiry, a runner takes back at once the jobs of a
 * runner on the same host whose process is gone, so a runner the pool restarts after a crash resumes its
 * predecessor's work without waiting out the lease.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caloria/db.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/shm.h"

#include "jobs_internal.h"

#define POLL_MS 200            /* how often an idle runner looks for due jobs */
#define STOP_GRACE_MS 5000     /* on stop, in-flight jobs get this long before they are handed back */
#define DB_RETRY_MS 1000       /* after a failed claim */
#define JOB_ARENA_CHUNK 8192

struct run {
	cal_job job;
	cal_arena arena;
	struct run *next;
};

typedef struct runner {
	cal_ctx *ctx;
	cal_api_multi *mu;
	char id[64];
	char host[40];
	unsigned long long seq;
	struct run *runs;
	int nruns;
	long ended;
	unsigned long long rng;
} runner;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned long long rnd(runner *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

static void runner_init(runner *r, cal_ctx *ctx)
{
	memset(r, 0, sizeof *r);
	r->ctx = ctx;
	if (cal_shm_random(&r->rng, sizeof r->rng) != 0 || r->rng == 0)
		r->rng = (unsigned long long)now_ms() * 0x9E3779B97F4A7C15ull | 1;
	if (gethostname(r->host, sizeof r->host) != 0)
		snprintf(r->host, sizeof r->host, "localhost");
	r->host[sizeof r->host - 1] = '\0';
	for (char *c = r->host; *c; c++)
		if (*c == ':')
			*c = '_';
	snprintf(r->id, sizeof r->id, "%s:%ld:%08llx", r->host, (long)getpid(), rnd(r) & 0xffffffffull);
	r->mu = cal_api_multi_new(ctx->api);
}

/* ---- same-host crash recovery ---- */

static bool local_runner_gone(const runner *r, const char *id)
{
	size_t hl = strlen(r->host);
	char *end = NULL;
	long pid;

	if (id == NULL || strncmp(id, r->host, hl) != 0 || id[hl] != ':' || strcmp(id, r->id) == 0)
		return false;
	errno = 0;
	pid = strtol(id + hl + 1, &end, 10);
	if (errno != 0 || end == NULL || *end != ':' || pid <= 0)
		return false;
	if ((pid_t)pid == getpid())
		return true; /* an earlier runner of this very process (managed mode runs one per request) */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void recover(runner *r)
{
	cal_arena a;
	cal_dbrows rows = {0};

	cal_jobs_reclaim_expired(r->ctx);
	cal_arena_init(&a, 1024);
	if (cal_jobs_runners(r->ctx, &a, &rows) == CAL_OK)
		for (size_t i = 0; i < rows.nrows; i++)
			if (local_runner_gone(r, cal_db_cell(&rows, i, 0)))
				cal_jobs_release_runner(r->ctx, cal_db_cell(&rows, i, 0), "its process is gone");
	cal_arena_free(&a);
}

/* ---- one job ---- */

/* A kind that no longer exists in this build: the job fails without telling anyone. */
static cal_job_step unknown_next(cal_ctx *ctx, cal_job *job, cal_api_req *req)
{
	(void)ctx;
	(void)req;
	job->error = "unknown job kind";
	return CAL_JOB_FAIL;
}

static cal_err unknown_failed(cal_ctx *ctx, cal_job *job)
{
	(void)ctx;
	(void)job;
	return CAL_OK;
}

static const cal_job_kind unknown_kind = {"unknown", unknown_next, NULL, NULL, unknown_failed};

static void drop(runner *r, struct run *run)
{
	for (struct run **pp = &r->runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	r->nruns--;
	json_object_put(run->job.payload);
	cal_arena_free(&run->arena);
	free(run);
}

/* Ends the job as its kind decided. */
static void end(runner *r, struct run *run, cal_job_step s)
{
	cal_job *job = &run->job;
	cal_err err;

	if (s == CAL_JOB_DONE) {
		err = cal_jobs_finish(r->ctx, job, r->id);
		if (err != CAL_OK && err != CAL_ERR_NOT_FOUND) {
			/* The results could not be written: the job runs again (the claim still fences it). */
			job->error = "results not committed";
			s = CAL_JOB_RETRY;
		}
	}
	if (s == CAL_JOB_RETRY && job->attempts >= job->max_attempts)
		s = CAL_JOB_FAIL;
	if (s == CAL_JOB_RETRY) {
		long wait = cal_jobs_backoff_ms(r->ctx->conf.jobs_retry_base_ms, job->attempts, rnd(r));
		if (job->retry_after_s * 1000 > wait)
			wait = job->retry_after_s * 1000;
		(void)cal_jobs_retry(r->ctx, job, r->id, wait);
	} else if (s == CAL_JOB_FAIL) {
		(void)cal_jobs_fail(r->ctx, job, r->id);
	}
	/* A state change that failed leaves the job running under our claim; its lease brings it back. */
	if (s != CAL_JOB_RETRY)
		r->ended++;
	drop(r, run);
}

/* Advances a job: while its kind wants calls, the next one goes out; otherwise it ends. */
static void advance(runner *r, struct run *run, cal_job_step s)
{
	cal_job *job = &run->job;
	cal_api_req req;

	if (s == CAL_JOB_CALL) {
		memset(&req, 0, sizeof req);
		s = job->kind->next(r->ctx, job, &req);
		if (s == CAL_JOB_CALL) {
			job->calls++;
			cal_api_multi_add(r->mu, &req, &run->arena, run);
			return;
		}
	}
	end(r, run, s);
}

static void start(runner *r, const cal_dbrows *rows, size_t i)
{
	struct run *run = cal_calloc(1, sizeof *run);
	cal_job *job = &run->job;
	const char *kind = cal_db_cell(rows, i, 1), *payload = cal_db_cell(rows, i, 3);

	cal_arena_init(&run->arena, JOB_ARENA_CHUNK);
	job->id = cal_db_cell_int(rows, i, 0, 0);
	job->kind = cal_jobs_kind(kind);
	if (job->kind == NULL) {
		cal_error("app", "job %lld has unknown kind %s", job->id, kind != NULL ? kind : "(null)");
		job->kind = &unknown_kind;
	}
	job->user_id = cal_db_cell_int(rows, i, 2, 0);
	job->payload = payload != NULL ? json_tokener_parse(payload) : NULL;
	if (job->payload == NULL)
		job->payload = json_object_new_object();
	job->attempts = (int)cal_db_cell_int(rows, i, 4, 1);
	job->max_attempts = (int)cal_db_cell_int(rows, i, 5, 1);
	job->arena = &run->arena;
	run->next = r->runs;
	r->runs = run;
	r->nruns++;
	if (job->attempts > job->max_attempts) {
		/* Taken back from crashed runners more often than it may be tried. */
		job->error = "too many attempts";
		end(r, run, CAL_JOB_FAIL);
		return;
	}
	advance(r, run, CAL_JOB_CALL);
}

/* Claims and starts what fits; returns how many were claimed, -1 on a database failure. */
static int claim(runner *r, long long only_id)
{
	int room = (int)r->ctx->conf.jobs_concurrency - r->nruns, n;
	cal_arena a;
	cal_dbrows rows = {0};

	if (room <= 0)
		return 0;
	cal_arena_init(&a, 4096);
	n = cal_jobs_claim(r->ctx, &a, r->id, ++r->seq, only_id, room, &rows);
	for (int i = 0; i < n; i++)
		start(r, &rows, (size_t)i);
	cal_arena_free(&a);
	return n;
}

static void collect(runner *r)
{
	void *tag;
	cal_err e;
	cal_api_resp resp;

	while (cal_api_multi_next(r->mu, &tag, &e, &resp)) {
		struct run *run = tag;
		cal_job_step s = run->job.kind->on_response != NULL
					 ? run->job.kind->on_response(r->ctx, &run->job, e, &resp)
					 : CAL_JOB_FAIL;
		json_object_put(resp.json);
		advance(r, run, s);
	}
}

long cal_jobs_run(cal_ctx *ctx, const cal_jobs_run_opts *o)
{
	runner r;
	long long now, next_poll = 0, next_keep, stop_at = 0;
	long lease_ms = ctx->conf.jobs_lease_s * 1000;
	bool once = o->once || o->only_id > 0, more = false, claimed_once = false;
	int n;

	runner_init(&r, ctx);
	recover(&r);
	next_keep = now_ms() + lease_ms / 3;
	for (;;) {
		bool stopping = o->stop != NULL && *o->stop;
		now = now_ms();
		if (stopping && stop_at == 0)
			stop_at = now + STOP_GRACE_MS;
		if (stopping && (r.nruns == 0 || now >= stop_at))
			break;
		if (now >= next_keep) {
			cal_jobs_renew(ctx, r.id);
			recover(&r);
			next_keep = now + lease_ms / 3;
		}
		if (!stopping && (now >= next_poll || more) && !(o->only_id > 0 && claimed_once)) {
			n = claim(&r, o->only_id);
			claimed_once = true;
			if (n < 0) {
				cal_warn("app", "job runner cannot claim jobs; retrying in %d ms", DB_RETRY_MS);
				if (once && r.nruns == 0)
					break;
				next_poll = now + DB_RETRY_MS;
				more = false;
			} else {
				/* A full batch may mean more is due; jobs that just ended may have queued follow-ups. */
				more = n > 0 && r.nruns < ctx->conf.jobs_concurrency;
				next_poll = now + POLL_MS;
				if (n == 0 && once && r.nruns == 0)
					break;
			}
		}
		if (once && o->only_id > 0 && claimed_once && r.nruns == 0)
			break;
		long long wait = (more ? 0 : next_poll - now_ms());
		if (wait < 0)
			wait = 0;
		if (wait > next_keep - now_ms())
			wait = next_keep - now_ms() > 0 ? next_keep - now_ms() : 0;
		cal_api_multi_wait(r.mu, (int)wait);
		long before = r.ended;
		collect(&r);
		if (r.ended != before && !once)
			more = true; /* room freed, and a finished job may have queued a push */
		if (r.ended != before && once && o->only_id <= 0)
			more = true;
	}
	if (r.nruns > 0)
		cal_jobs_release_runner(ctx, r.id, "runner stopping");
	while (r.runs != NULL)
		drop(&r, r.runs);
	cal_api_multi_free(r.mu);
	return r.ended;
}

void cal_jobs_run_after_response(cal_ctx *ctx)
{
	/* The jobs this request enqueued, and whatever they enqueue in turn (the push of a result). */
	for (int guard = 0; ctx->njobs_after > 0 && guard < 32; guard++) {
		long long id = ctx->jobs_after[--ctx->njobs_after];
		cal_jobs_run_opts o = {.once = true, .only_id = id};
		(void)cal_jobs_run(ctx, &o);
	}
	ctx->njobs_after = 0;
}

/* ---- caloria jobs run ---- */

/* Set by SIGTERM/SIGINT while `caloria jobs run` runs; the loop finishes or hands back its jobs. */
static volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
	(void)sig;
	cli_stop = 1;
}

int cal_jobs_cli_main(cal_ctx *ctx, int argc, char **argv)
{
	cal_jobs_run_opts o = {.stop = &cli_stop};
	struct sigaction sa;
	long n;

	if (argc < 2 || strcmp(argv[1], "run") != 0 || argc > 3 || (argc == 3 && strcmp(argv[2], "--once") != 0)) {
		fprintf(stderr, "usage: caloria jobs run [--once]\n");
		return 2;
	}
	o.once = argc == 3;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	n = cal_jobs_run(ctx, &o);
	if (o.once)
		printf("%ld job(s) ended\n", n);
	return n < 0 ? 1 : 0;
}
