/*
 * The job queue (jobs.h, SPEC §7.5): enqueueing in the caller's transaction, the atomic claim with a lease,
 * back-off, the final failure, and the user look-up kinds share. The runner loop is in runner.c.
 *
 * Every state change of a claimed job is fenced by (locked_by, attempts): a runner that lost its lease (it
 * stalled, or was presumed dead) finds its UPDATE matching no row and rolls its results back, so a job's
 * results are committed by exactly one attempt.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "caloria/db.h"
#include "caloria/i18n.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/metrics.h"
#include "caloria/reply.h"

#include "jobs_internal.h"

const cal_job_kind *cal_jobs_kind(const char *name)
{
	for (int i = 0; name != NULL && i < cal_job_kinds_count; i++)
		if (strcmp(cal_job_kinds[i].name, name) == 0)
			return &cal_job_kinds[i];
	return NULL;
}

long cal_jobs_backoff_ms(long base_ms, int n, unsigned long long r)
{
	long d = base_ms > 0 ? base_ms : 1;

	for (int i = 1; i < n && d < CAL_JOBS_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > CAL_JOBS_BACKOFF_MAX_MS)
		d = CAL_JOBS_BACKOFF_MAX_MS;
	/* Half fixed, half random: jobs that failed together do not come back together. */
	return d / 2 + (long)(r % (unsigned long long)(d / 2 + 1));
}

cal_err cal_jobs_enqueue(cal_ctx *ctx, const cal_job_new *j, long long *id)
{
	static const char sql[] =
		"INSERT INTO jobs (kind, unique_key, user_id, payload, max_attempts, due_at)"
		" VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)"
		" ON DUPLICATE KEY UPDATE id = id";
	const char *payload = j->payload != NULL ? json_object_to_json_string_ext(j->payload, JSON_C_TO_STRING_PLAIN)
						 : "{}";
	/* A job the worker itself will run after its response is not due for others before the grace. */
	long delay = ctx->jobs_inline && j->delay_ms < CAL_JOBS_INLINE_GRACE_MS ? CAL_JOBS_INLINE_GRACE_MS : j->delay_ms;
	cal_dbv p[] = {CAL_DB_STR(j->kind), CAL_DB_STR(j->unique_key),
		       j->user_id > 0 ? CAL_DB_INT(j->user_id) : CAL_DB_NULL, CAL_DB_STR(payload),
		       CAL_DB_INT(ctx->conf.jobs_max_attempts), CAL_DB_INT((long long)delay * 1000)};
	cal_dbresult res = {0};
	cal_err err;

	if (id != NULL)
		*id = 0;
	if (cal_jobs_kind(j->kind) == NULL) {
		cal_error("app", "no job kind named %s", j->kind != NULL ? j->kind : "(null)");
		return CAL_ERR_INTERNAL;
	}
	err = cal_db_exec(ctx->db, sql, p, 6, &res);
	if (err != CAL_OK)
		return err;
	/* ON DUPLICATE KEY UPDATE id = id changes nothing and reports 0 rows: the keyed job exists already. */
	if (res.affected != 1)
		return CAL_OK;
	if (id != NULL)
		*id = (long long)res.insert_id;
	if (ctx->jobs_inline && ctx->njobs_after < (int)(sizeof ctx->jobs_after / sizeof ctx->jobs_after[0]))
		ctx->jobs_after[ctx->njobs_after++] = (long long)res.insert_id;
	return CAL_OK;
}

cal_err cal_jobs_push(cal_ctx *ctx, long long user_id, const char *subscriber_id, struct json_object *content)
{
	struct json_object *payload = json_object_new_object();
	cal_job_new j = {.kind = "push", .user_id = user_id, .payload = payload};
	cal_err err;

	json_object_object_add(payload, "subscriber_id", json_object_new_string(subscriber_id));
	json_object_object_add(payload, "content", json_object_get(content));
	err = cal_jobs_enqueue(ctx, &j, NULL);
	json_object_put(payload);
	return err;
}

void cal_jobs_json_body(cal_job *job, cal_api_req *req, struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	req->body_len = strlen(text);
	req->body = cal_arena_strndup(job->arena, text, req->body_len);
	req->body_type = "application/json";
	req->json = NULL;
	json_object_put(obj);
}

cal_err cal_jobs_user(cal_ctx *ctx, cal_arena *a, long long user_id, cal_job_user *out)
{
	static const char sql[] =
		"SELECT subscriber_id, language, channel, utc_offset_min, COALESCE(daily_calorie_goal, 0),"
		" COALESCE(protein_target_g, 0) FROM users WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(user_id)};
	cal_dbrows rows = {0};
	const char *lang, *channel;
	cal_err err;

	memset(out, 0, sizeof *out);
	err = cal_db_query(ctx->db, a, sql, p, 1, &rows);
	if (err != CAL_OK)
		return err;
	if (rows.nrows != 1)
		return CAL_ERR_NOT_FOUND;
	out->id = user_id;
	out->subscriber_id = cal_db_cell(&rows, 0, 0);
	lang = cal_db_cell(&rows, 0, 1);
	out->lang = lang != NULL && strcmp(lang, "en") == 0 ? CAL_LANG_EN : CAL_LANG_ES;
	channel = cal_db_cell(&rows, 0, 2);
	out->channel = channel != NULL && channel[0] != '\0' ? channel : ctx->conf.manychat_channel;
	out->utc_offset_min = (int)cal_db_cell_int(&rows, 0, 3, -180);
	out->daily_goal = (int)cal_db_cell_int(&rows, 0, 4, 0);
	out->protein_target_g = (int)cal_db_cell_int(&rows, 0, 5, 0);
	return CAL_OK;
}

/* ---- claims --------------------------------------------------------------------------------------------- */

int cal_jobs_claim(cal_ctx *ctx, cal_arena *a, const char *runner, unsigned long long seq, long long only_id,
		   int max, cal_dbrows *rows)
{
	static const char claim_sql[] =
		"UPDATE jobs SET state = 'running', locked_by = ?, claim_seq = ?, locked_at = UTC_TIMESTAMP(),"
		" lease_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND, attempts = attempts + 1"
		" WHERE state = 'queued' AND due_at <= UTC_TIMESTAMP(3) ORDER BY due_at, id LIMIT ?";
	static const char claim_one_sql[] =
		"UPDATE jobs SET state = 'running', locked_by = ?, claim_seq = ?, locked_at = UTC_TIMESTAMP(),"
		" lease_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND, attempts = attempts + 1"
		" WHERE state = 'queued' AND id = ? LIMIT ?";
	static const char read_sql[] =
		"SELECT id, kind, COALESCE(user_id, 0), payload, attempts, max_attempts FROM jobs"
		" WHERE locked_by = ? AND claim_seq = ? AND state = 'running' ORDER BY id";
	cal_dbv p[] = {CAL_DB_STR(runner), CAL_DB_INT((long long)seq), CAL_DB_INT(ctx->conf.jobs_lease_s),
		       only_id > 0 ? CAL_DB_INT(only_id) : CAL_DB_INT(max), CAL_DB_INT(max)};
	cal_dbresult res = {0};

	memset(rows, 0, sizeof *rows);
	if (only_id > 0) {
		if (cal_db_exec(ctx->db, claim_one_sql, p, 5, &res) != CAL_OK)
			return -1;
	} else if (cal_db_exec(ctx->db, claim_sql, p, 4, &res) != CAL_OK) {
		return -1;
	}
	if (res.affected == 0)
		return 0;
	if (cal_db_query(ctx->db, a, read_sql, p, 2, rows) != CAL_OK)
		return -1;
	return (int)rows->nrows;
}

/* Jobs whose lease ran out go back to the queue (their runner died or stalled). */
void cal_jobs_reclaim_expired(cal_ctx *ctx)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, due_at = UTC_TIMESTAMP(3)"
		" WHERE state = 'running' AND lease_until < UTC_TIMESTAMP(3)";
	cal_dbresult res = {0};

	if (cal_db_exec(ctx->db, sql, NULL, 0, &res) == CAL_OK && res.affected > 0)
		cal_warn("app", "%llu job(s) whose runner stopped renewing its lease were queued again", res.affected);
}

/* The jobs of one runner that is known to be gone go back to the queue at once. */
void cal_jobs_release_runner(cal_ctx *ctx, const char *runner, const char *why)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, due_at = UTC_TIMESTAMP(3)"
		" WHERE locked_by = ? AND state = 'running'";
	cal_dbv p[] = {CAL_DB_STR(runner)};
	cal_dbresult res = {0};

	if (cal_db_exec(ctx->db, sql, p, 1, &res) == CAL_OK && res.affected > 0)
		cal_info("app", "%llu job(s) of runner %s queued again (%s)", res.affected, runner, why);
}

void cal_jobs_renew(cal_ctx *ctx, const char *runner)
{
	static const char sql[] =
		"UPDATE jobs SET lease_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND WHERE locked_by = ?"
		" AND state = 'running'";
	cal_dbv p[] = {CAL_DB_INT(ctx->conf.jobs_lease_s), CAL_DB_STR(runner)};

	(void)cal_db_exec(ctx->db, sql, p, 2, NULL);
}

/* Runner ids of running jobs, for the same-host check of runner.c. */
cal_err cal_jobs_runners(cal_ctx *ctx, cal_arena *a, cal_dbrows *rows)
{
	static const char sql[] = "SELECT DISTINCT locked_by FROM jobs WHERE state = 'running' LIMIT 100";

	return cal_db_query(ctx->db, a, sql, NULL, 0, rows);
}

/* ---- endings -------------------------------------------------------------------------------------------- */

/* The fenced state change; CAL_ERR_NOT_FOUND when the claim is no longer ours. */
static cal_err end_job(cal_ctx *ctx, const cal_job *job, const char *runner, const char *state,
		       const char *error)
{
	static const char sql[] =
		"UPDATE jobs SET state = ?, finished_at = UTC_TIMESTAMP(), locked_by = NULL, lease_until = NULL,"
		" last_error = ?, payload = JSON_REMOVE(payload, '$.sealed')"
		" WHERE id = ? AND locked_by = ? AND attempts = ? AND state = 'running'";
	cal_dbv p[] = {CAL_DB_STR(state), CAL_DB_STR(error), CAL_DB_INT(job->id), CAL_DB_STR(runner),
		       CAL_DB_INT(job->attempts)};
	cal_dbresult res = {0};
	cal_err err = cal_db_exec(ctx->db, sql, p, 5, &res);

	if (err == CAL_OK && res.affected != 1)
		return CAL_ERR_NOT_FOUND;
	return err;
}

static void log_end(const cal_job *job, const char *what, const char *error)
{
	char id[24], attempts[16];

	snprintf(id, sizeof id, "%lld", job->id);
	snprintf(attempts, sizeof attempts, "%d", job->attempts);
	cal_log_fields(strcmp(what, "done") == 0 ? CAL_LOG_INFO : CAL_LOG_WARN, "app", "job ended", "job_id", id,
		       "kind", job->kind->name, "state", what, "attempts", attempts, "error", error ? error : "",
		       (char *)NULL);
}

/* Runs fn (may be NULL) and the state change in one transaction. */
static cal_err in_tx(cal_ctx *ctx, cal_job *job, const char *runner, cal_err (*fn)(cal_ctx *, cal_job *),
		     const char *state, const char *error)
{
	cal_err err = cal_db_begin(ctx->db);

	if (err != CAL_OK)
		return err;
	if (fn != NULL)
		err = fn(ctx, job);
	if (err == CAL_OK)
		err = end_job(ctx, job, runner, state, error);
	if (err == CAL_OK)
		err = cal_db_commit(ctx->db);
	else
		cal_db_rollback(ctx->db);
	return err;
}

/* The default failure hook: the user hears that the analysis gave up, in their language. */
static cal_err tell_failed(cal_ctx *ctx, cal_job *job)
{
	cal_job_user u;
	cal_reply *r;
	struct json_object *content;
	cal_err err;

	if (job->user_id <= 0)
		return CAL_OK;
	err = cal_jobs_user(ctx, job->arena, job->user_id, &u);
	if (err == CAL_ERR_NOT_FOUND)
		return CAL_OK;
	if (err != CAL_OK)
		return err;
	r = cal_reply_new(job->arena, u.channel, false);
	cal_reply_text(r, cal_i18n(CAL_MSG_JOB_FAILED, (cal_lang)u.lang));
	content = cal_reply_render_content(r);
	err = content != NULL ? cal_jobs_push(ctx, u.id, u.subscriber_id, content) : CAL_ERR_INTERNAL;
	json_object_put(content);
	cal_reply_free(r);
	return err;
}

cal_err cal_jobs_finish(cal_ctx *ctx, cal_job *job, const char *runner)
{
	cal_err err = in_tx(ctx, job, runner, job->kind->commit, "done", NULL);

	if (err == CAL_ERR_NOT_FOUND)
		cal_warn("app", "job %lld finished after its claim was lost; its results were rolled back", job->id);
	else if (err == CAL_OK)
		log_end(job, "done", NULL);
	if (err == CAL_OK && job->metric != NULL && ctx->shm != NULL)
		cal_metrics_business(ctx->shm, job->metric, 1);
	return err;
}

cal_err cal_jobs_fail(cal_ctx *ctx, cal_job *job, const char *runner)
{
	cal_err err = in_tx(ctx, job, runner, job->kind->failed != NULL ? job->kind->failed : tell_failed, "failed",
			    job->error != NULL ? job->error : "failed");

	if (err == CAL_OK)
		log_end(job, "failed", job->error);
	return err;
}

cal_err cal_jobs_retry(cal_ctx *ctx, cal_job *job, const char *runner, long delay_ms)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'queued', locked_by = NULL, lease_until = NULL, last_error = ?,"
		" due_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND"
		" WHERE id = ? AND locked_by = ? AND attempts = ? AND state = 'running'";
	cal_dbv p[] = {CAL_DB_STR(job->error != NULL ? job->error : "retry"), CAL_DB_INT((long long)delay_ms * 1000),
		       CAL_DB_INT(job->id), CAL_DB_STR(runner), CAL_DB_INT(job->attempts)};
	char id[24], attempts[16], wait[24];
	cal_err err = cal_db_exec(ctx->db, sql, p, 5, NULL);

	snprintf(id, sizeof id, "%lld", job->id);
	snprintf(attempts, sizeof attempts, "%d", job->attempts);
	snprintf(wait, sizeof wait, "%ld", delay_ms);
	cal_log_fields(CAL_LOG_INFO, "app", "job will be retried", "job_id", id, "kind", job->kind->name, "attempts",
		       attempts, "retry_in_ms", wait, "error", job->error ? job->error : "", (char *)NULL);
	return err;
}
