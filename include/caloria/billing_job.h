/*
 * The job kind "mp_notification" (jobs.h): processing one stored MercadoPago notification in the job
 * runner, never in the webhook that received it (SPEC §7.5, §9.3). Payload {"notification_id": N}.
 *   next         the GET of the named resource (billing_notify.h), or done when the row is no longer pending
 *   on_response  a failed fetch is retried (the row stays pending with its attempts and last error), a 404
 *                ends it; otherwise the resource is kept for commit
 *   commit       stores the resource, derives the user's status and marks the row processed inside the
 *                runner's transaction, and enqueues the push that tells the user (activation, failure,
 *                pause, cancellation, revocation) in that same transaction
 *   failed       nothing to tell: the notification stays pending, and `caloria subscriptions-sweep` queues it
 *                again later (billing_sweep.h)
 */
#ifndef CALORIA_BILLING_JOB_H
#define CALORIA_BILLING_JOB_H

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/jobs.h"

#define CAL_BILLING_JOB_KIND "mp_notification"

cal_job_step cal_billing_job_next(cal_ctx *ctx, cal_job *job, cal_api_req *req);
cal_job_step cal_billing_job_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp);
cal_err cal_billing_job_commit(cal_ctx *ctx, cal_job *job);
cal_err cal_billing_job_failed(cal_ctx *ctx, cal_job *job);

/* Queues the processing of notification id in the caller's transaction: once per notification and round
 * (round NULL for the first, from the webhook; the sweep names later ones). */
cal_err cal_billing_job_enqueue(cal_ctx *ctx, long long notification_id, const char *round);

#endif
