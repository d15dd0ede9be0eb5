/*
 * `caloria subscriptions-sweep` (cron, every few minutes): the periodic half of SPEC §9.1 and §9.3. Ends
 * the trials that are due for users who have not written since (each told once, by a push enqueued in the
 * transaction that ends the trial), and queues again the processing of MercadoPago notifications that are
 * still pending after their job gave up (the API was down for longer than the job's attempts).
 */
#ifndef CALORIA_BILLING_SWEEP_H
#define CALORIA_BILLING_SWEEP_H

#include <stdio.h>

#include "caloria/ctx.h"
#include "caloria/err.h"

#define CAL_BILLING_REQUEUE_AFTER_S 600 /* a pending notification older than this with no live job is requeued */

/* One sweep; counts in *expired and *requeued; a line per kind to out (may be NULL). */
cal_err cal_billing_sweep(cal_ctx *ctx, FILE *out, long *expired, long *requeued);
int cal_billing_sweep_cli_main(cal_ctx *ctx, int argc, char **argv);

#endif
