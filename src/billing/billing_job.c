/*
 * The "mp_notification" job kind (billing_job.h): the runner's halves of billing_notify.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "caloria/billing_job.h"
#include "caloria/billing_notify.h"
#include "caloria/log.h"

/* What on_response keeps for commit: the resource's text (the runner releases resp->json). */
typedef struct job_state {
	long long id;
	const char *body;
} job_state;

static long long notification_id(const cal_job *job)
{
	struct json_object *v;

	if (!json_object_object_get_ex(job->payload, "notification_id", &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

cal_job_step cal_billing_job_next(cal_ctx *ctx, cal_job *job, cal_api_req *req)
{
	job_state *st = job->state;
	cal_err err;

	if (job->calls > 0)
		return CAL_JOB_DONE;
	if (st == NULL) {
		st = job->state = cal_arena_alloc(job->arena, sizeof *st);
		st->id = notification_id(job);
	}
	if (st->id <= 0) {
		job->error = "malformed mp_notification payload";
		return CAL_JOB_FAIL;
	}
	err = cal_billing_notify_request(ctx->db, job->arena, st->id, req);
	if (err == CAL_ERR_NOT_FOUND)
		return CAL_JOB_DONE; /* processed by an earlier attempt or another runner: nothing to do */
	if (err != CAL_OK) {
		job->error = "database unavailable";
		return CAL_JOB_RETRY;
	}
	return CAL_JOB_CALL;
}

cal_job_step cal_billing_job_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp)
{
	job_state *st = job->state;
	cal_billing_outcome out;

	if (e == CAL_OK && resp->body != NULL) {
		st->body = cal_arena_strndup(job->arena, resp->body, resp->len);
		return CAL_JOB_DONE;
	}
	/* Failure or 404: consume() records it on the notification (pending with the error, or failed). */
	if (cal_billing_notify_consume(ctx, job->arena, st->id, e != CAL_OK ? e : CAL_ERR_UPSTREAM, resp, &out) ==
	    CAL_OK)
		return CAL_JOB_DONE;
	job->error = cal_arena_printf(job->arena, "mercadopago fetch failed (HTTP %ld)", resp != NULL ? resp->status : 0L);
	/* Nothing was sent (the client's breaker is open): try again once it may have closed, rather than spend
	 * the attempts while MercadoPago is known to be failing. */
	if (e == CAL_ERR_UNAVAILABLE && job->retry_after_s < CAL_API_BREAKER_OPEN_MS / 1000)
		job->retry_after_s = CAL_API_BREAKER_OPEN_MS / 1000;
	return CAL_JOB_RETRY;
}

cal_err cal_billing_job_commit(cal_ctx *ctx, cal_job *job)
{
	job_state *st = job->state;
	cal_billing_outcome out;
	struct json_object *content;
	cal_err err;

	if (st == NULL || st->body == NULL)
		return CAL_OK; /* nothing was fetched: next() found the notification already processed */
	err = cal_billing_notify_apply_text(ctx, job->arena, st->id, st->body, &out);
	if (err == CAL_OK && (content = cal_billing_outcome_content(ctx, job->arena, &out)) != NULL) {
		/* Told in the same transaction: the push exists exactly when the change does. */
		err = cal_jobs_push(ctx, out.user_id, out.subscriber_id, content);
		json_object_put(content);
	}
	return err;
}

cal_err cal_billing_job_failed(cal_ctx *ctx, cal_job *job)
{
	(void)ctx;
	cal_warn("app", "mercadopago notification job %lld gave up; the notification stays pending", job->id);
	return CAL_OK;
}

cal_err cal_billing_job_enqueue(cal_ctx *ctx, long long notification_id, const char *round)
{
	struct json_object *payload = json_object_new_object();
	char key[96];
	cal_err err;

	json_object_object_add(payload, "notification_id", json_object_new_int64(notification_id));
	snprintf(key, sizeof key, "mp:%lld%s%s", notification_id, round != NULL ? ":" : "", round != NULL ? round : "");
	cal_job_new j = {.kind = CAL_BILLING_JOB_KIND, .payload = payload, .unique_key = key};
	err = cal_jobs_enqueue(ctx, &j, NULL);
	json_object_put(payload);
	return err;
}
