/*
 * The periodic subscription work (billing_sweep.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "caloria/billing_job.h"
#include "caloria/billing_link.h"
#include "caloria/billing_state.h"
#include "caloria/billing_sweep.h"
#include "caloria/db.h"
#include "caloria/i18n.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/reply.h"

#define BATCH 200

/* The notice of CAL_MSG_TRIAL_ENDED with a subscribe button, as a v2 content object. */
static struct json_object *trial_ended_content(cal_ctx *ctx, cal_arena *a, const char *subscriber_id, cal_lang lang)
{
	cal_reply *r = cal_reply_new(a, ctx->conf.manychat_channel, false);
	const char *url = cal_billing_link_url(a, &ctx->conf, subscriber_id, time(NULL));
	struct json_object *content = NULL;

	cal_reply_text(r, cal_i18n_printf(a, CAL_MSG_TRIAL_ENDED, lang, (int)ctx->conf.subscription_free_daily_analyses));
	if (url != NULL)
		cal_reply_button_url(r, cal_i18n(CAL_MSG_BTN_SUBSCRIBE, lang), url);
	content = cal_reply_render_content(r);
	cal_reply_free(r);
	return content;
}

static cal_err expire_one(cal_ctx *ctx, cal_arena *a, long long id, const char *sub, cal_lang lang, bool *expired)
{
	struct json_object *content = NULL;
	cal_err err = cal_db_begin(ctx->db);

	if (err == CAL_OK)
		err = cal_billing_expire_trial(ctx->db, id, expired);
	if (err == CAL_OK && *expired && (content = trial_ended_content(ctx, a, sub, lang)) != NULL)
		err = cal_jobs_push(ctx, id, sub, content);
	json_object_put(content);
	if (err == CAL_OK)
		err = cal_db_commit(ctx->db);
	if (err != CAL_OK)
		cal_db_rollback(ctx->db);
	return err;
}

static cal_err expire_trials(cal_ctx *ctx, long *n)
{
	static const char sql[] =
		"SELECT id, subscriber_id, language FROM users WHERE subscription_status = 'trial'"
		" AND trial_ends_at <= UTC_TIMESTAMP() ORDER BY id LIMIT 200";
	cal_arena a;
	cal_dbrows rows = {0};
	cal_err err;

	cal_arena_init(&a, 16384);
	do {
		cal_arena_reset(&a);
		err = cal_db_query(ctx->db, &a, sql, NULL, 0, &rows);
		for (size_t i = 0; err == CAL_OK && i < rows.nrows; i++) {
			const char *lang = cal_db_cell(&rows, i, 2);
			bool expired = false;
			err = expire_one(ctx, &a, cal_db_cell_int(&rows, i, 0, 0), cal_db_cell(&rows, i, 1),
					 lang != NULL && strcmp(lang, "en") == 0 ? CAL_LANG_EN : CAL_LANG_ES, &expired);
			*n += expired ? 1 : 0;
		}
	} while (err == CAL_OK && rows.nrows == BATCH);
	cal_arena_free(&a);
	return err;
}

static cal_err requeue(cal_ctx *ctx, long *n)
{
	static const char sql[] =
		"SELECT n.id, n.attempts FROM mp_notifications n WHERE n.status = 'pending'"
		" AND n.received_at < UTC_TIMESTAMP() - INTERVAL ? SECOND AND NOT EXISTS (SELECT 1 FROM jobs j"
		" WHERE j.kind = 'mp_notification' AND j.state IN ('queued', 'running')"
		" AND JSON_VALUE(j.payload, '$.notification_id') = n.id) ORDER BY n.id LIMIT 200";
	cal_dbv p[] = {CAL_DB_INT(CAL_BILLING_REQUEUE_AFTER_S)};
	cal_arena a;
	cal_dbrows rows = {0};
	cal_err err;

	cal_arena_init(&a, 16384);
	err = cal_db_query(ctx->db, &a, sql, p, 1, &rows);
	for (size_t i = 0; err == CAL_OK && i < rows.nrows; i++) {
		/* A new key per round: the key of the job that gave up is taken for as long as that job is kept. */
		err = cal_billing_job_enqueue(ctx, cal_db_cell_int(&rows, i, 0, 0),
					      cal_arena_printf(&a, "r%lld-%ld", cal_db_cell_int(&rows, i, 1, 0), (long)time(NULL)));
		*n += err == CAL_OK ? 1 : 0;
	}
	cal_arena_free(&a);
	return err;
}

cal_err cal_billing_sweep(cal_ctx *ctx, FILE *out, long *expired, long *requeued)
{
	cal_err err;

	*expired = *requeued = 0;
	err = expire_trials(ctx, expired);
	if (out != NULL)
		fprintf(out, "trials ended: %ld\n", *expired);
	if (err == CAL_OK)
		err = requeue(ctx, requeued);
	if (out != NULL && err == CAL_OK)
		fprintf(out, "notifications requeued: %ld\n", *requeued);
	return err;
}

int cal_billing_sweep_cli_main(cal_ctx *ctx, int argc, char **argv)
{
	long expired = 0, requeued = 0;
	cal_err err;

	if (argc > 1) {
		fprintf(stderr, "usage: caloria subscriptions-sweep\n");
		return 2;
	}
	err = cal_billing_sweep(ctx, stdout, &expired, &requeued);
	if (err != CAL_OK) {
		fprintf(stderr, "caloria subscriptions-sweep: failed: %s\n", cal_err_message(err, CAL_LANG_EN));
		return 1;
	}
	return 0;
}
