/*
 * The push kind (SPEC §7.5): one ManyChat sendContent with payload {"subscriber_id", "content"}, the content
 * a v2 content object rendered when the push was enqueued (in the user's language and channel). A failed send
 * is retried like any job. A send whose answer was lost may be delivered twice; a duplicate message beats a
 * lost result.
 */
#include "config.h"

#include <string.h>

#include "caloria/jobs.h"
#include "caloria/log.h"

#include "jobs_internal.h"

/*
 * Buttons that call our own webhook back (confirm:<id> / cancel:<id>) must carry the webhook token, which is
 * a secret: it is added here, to the copy that goes to ManyChat, and never stored in the job's payload.
 * *content may be replaced by a deep copy. Returns 0, or -1 when the copy fails.
 */
static int authorise_callbacks(cal_ctx *ctx, cal_arena *a, struct json_object **content)
{
	const char *hook = cal_arena_printf(a, "%s/webhook/manychat", ctx->conf.server_public_url);
	struct json_object *copy = NULL, *messages, *buttons, *b, *url, *type, *hdrs;
	size_t hl = strlen(hook);

	if (json_object_deep_copy(*content, &copy, NULL) != 0)
		return -1;
	json_object_put(*content);
	*content = copy;
	if (!json_object_object_get_ex(copy, "messages", &messages) || !json_object_is_type(messages, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(messages); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(messages, i), "buttons", &buttons) ||
		    !json_object_is_type(buttons, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(buttons); k++) {
			b = json_object_array_get_idx(buttons, k);
			if (!json_object_object_get_ex(b, "type", &type) ||
			    strcmp(json_object_get_string(type), "dynamic_block_callback") != 0 ||
			    !json_object_object_get_ex(b, "url", &url) ||
			    strncmp(json_object_get_string(url), hook, hl) != 0)
				continue;
			hdrs = json_object_new_object();
			json_object_object_add(hdrs, "X-Caloria-Token",
					       json_object_new_string(ctx->conf.manychat_webhook_token));
			json_object_object_add(b, "headers", hdrs);
		}
	}
	return 0;
}

cal_job_step cal_job_push_next(cal_ctx *ctx, cal_job *job, cal_api_req *req)
{
	struct json_object *sub, *content, *body;

	if (job->calls > 0)
		return CAL_JOB_DONE;
	if (!json_object_object_get_ex(job->payload, "subscriber_id", &sub) ||
	    !json_object_is_type(sub, json_type_string) || !json_object_object_get_ex(job->payload, "content", &content) ||
	    !json_object_is_type(content, json_type_object)) {
		job->error = "malformed push payload";
		return CAL_JOB_FAIL;
	}
	if (!cal_api_configured(ctx->api, CAL_API_MANYCHAT)) {
		/* Pushes are switched off (no manychat.api_token): nothing to deliver, nothing to retry. */
		cal_debug("app", "push %lld dropped: manychat.api_token is empty", job->id);
		return CAL_JOB_DONE;
	}
	content = json_object_get(content);
	if (authorise_callbacks(ctx, job->arena, &content) != 0) {
		json_object_put(content);
		job->error = "malformed push content";
		return CAL_JOB_FAIL;
	}
	body = cal_api_manychat_body(json_object_get_string(sub), content);
	json_object_put(content);
	req->provider = CAL_API_MANYCHAT;
	req->method = "POST";
	req->path = "/fb/sending/sendContent";
	cal_jobs_json_body(job, req, body);
	return CAL_JOB_CALL;
}

cal_job_step cal_job_push_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp)
{
	(void)ctx;
	if (e == CAL_OK && cal_api_manychat_accepted(resp))
		return CAL_JOB_DONE;
	if (e == CAL_OK || (e == CAL_ERR_UPSTREAM && resp->status >= 400 && resp->status < 500 &&
			    resp->status != 429 && resp->status != 408)) {
		/* ManyChat said no (an unknown or blocked subscriber, a rejected block): trying again cannot help. */
		job->error = "push rejected by manychat";
		return CAL_JOB_FAIL;
	}
	job->error = e == CAL_ERR_UNAVAILABLE ? "manychat unavailable" : "manychat did not answer";
	return CAL_JOB_RETRY;
}

/* A push that never got through cannot be told to the user by another push. */
cal_err cal_job_push_failed(cal_ctx *ctx, cal_job *job)
{
	(void)ctx;
	cal_warn("app", "push %lld to the user was given up: %s", job->id, job->error ? job->error : "failed");
	return CAL_OK;
}
