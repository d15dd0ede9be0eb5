/*
 * The subscription routes (SPEC §4.3, §9): POST /webhook/mercadopago (signature checked by the pipeline's
 * auth step from the query string and headers), POST /api/create-subscription, GET/POST /subscribe and the
 * two return pages. Each decodes its input, calls src/billing/ and renders; none creates a preapproval
 * except the page's POST and the API call.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caloria/billing_checkout.h"
#include "caloria/billing_job.h"
#include "caloria/billing_link.h"
#include "caloria/billing_notify.h"
#include "caloria/billing_page.h"
#include "caloria/db.h"
#include "caloria/handlers.h"
#include "caloria/log.h"
#include "caloria/users.h"

static cal_lang lang_of(const char *code)
{
	return code != NULL && strcmp(code, "en") == 0 ? CAL_LANG_EN : CAL_LANG_ES;
}

static void json_status(cal_response *resp, int status, const char *what, long long id, bool duplicate)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(what));
	if (id > 0) {
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "duplicate", json_object_new_boolean(duplicate));
	}
	cal_resp_json(resp, status, o);
	json_object_put(o);
}

/* ---- POST /webhook/mercadopago --------------------------------------------------------------------------- */

cal_err cal_h_mp_webhook(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	const char *why = NULL, *body_text = NULL;
	struct json_object *body = NULL;
	cal_billing_notice n;
	long long id = 0;
	bool fresh = false;
	cal_err err;

	if (req->body != NULL && req->body_len > 0) {
		if (cal_http_json(req, true, &why) == CAL_OK) {
			body = req->json;
			body_text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
		} else if (cal_http_query(req, "data.id") == NULL && cal_http_query(req, "id") == NULL) {
			return CAL_ERR_INVALID_JSON;
		}
	}
	err = cal_billing_notice_read(req->arena, cal_http_query(req, "data.id"), cal_http_query(req, "type"),
				      cal_http_query(req, "id"), cal_http_query(req, "topic"), body, &n);
	if (err != CAL_OK)
		return err;
	if (n.topic == CAL_TOPIC_UNKNOWN) {
		json_status(resp, 200, "ignored", 0, false);
		return CAL_OK;
	}
	/* Stored, with the job that processes it, before the answer: once MercadoPago has its 200, the
	 * notification must not be lost. A redelivery adds neither. */
	err = cal_db_begin(ctx->db);
	if (err == CAL_OK)
		err = cal_billing_notice_store(ctx->db, &n, body_text, &id, &fresh);
	if (err == CAL_OK && fresh)
		err = cal_billing_job_enqueue(ctx, id, NULL);
	if (err == CAL_OK)
		err = cal_db_commit(ctx->db);
	if (err != CAL_OK) {
		cal_db_rollback(ctx->db);
		return err;
	}
	cal_info("webhook", "mercadopago %s %s%s", cal_billing_topic_name(n.topic), n.action,
		 fresh ? "" : " (redelivery)");
	json_status(resp, 200, "received", id, !fresh);
	return CAL_OK;
}

/* ---- POST /api/create-subscription ----------------------------------------------------------------------- */

static const char *subscriber_of(cal_arena *a, struct json_object *body)
{
	struct json_object *v;

	if (!json_object_object_get_ex(body, "subscriber_id", &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_int))
		return cal_arena_printf(a, "%" PRId64, json_object_get_int64(v));
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static cal_err field_error(cal_request *req, cal_response *resp, const char *field)
{
	struct json_object *details = json_object_new_object();

	json_object_object_add(details, "field", json_object_new_string(field));
	cal_resp_error(req, resp, CAL_ERR_VALIDATION, NULL, details);
	return CAL_ERR_VALIDATION;
}

cal_err cal_h_create_subscription(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	const char *why = NULL, *sid, *email = NULL, *link = NULL;
	struct json_object *v, *out;
	cal_billing_customer c;
	time_t now = time(NULL);
	cal_err err;

	if (cal_http_json(req, true, &why) != CAL_OK)
		return CAL_ERR_INVALID_JSON;
	sid = subscriber_of(req->arena, req->json);
	if (!cal_users_valid_subscriber(sid))
		return field_error(req, resp, "subscriber_id");
	if (json_object_object_get_ex(req->json, "payer_email", &v) && v != NULL) {
		email = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		if (!cal_billing_email_valid(email))
			return field_error(req, resp, "payer_email");
	}
	err = cal_billing_customer_get(ctx->db, req->arena, sid, &c);
	if (err != CAL_OK)
		return err;
	if (cal_billing_customer_subscribed(&c, now))
		return CAL_ERR_CONFLICT;
	if (email != NULL) {
		char day[11];
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		err = cal_billing_checkout(ctx, req->arena, &c, email,
					   cal_billing_idempotency_key(req->arena, "api", c.subscriber_id,
								       cal_arena_printf(req->arena, "%s|%s", email, day)),
					   &link);
	} else {
		link = cal_billing_link_url(req->arena, &ctx->conf, c.subscriber_id, now);
		err = link != NULL ? cal_users_event(ctx->db, c.id, "subscription_link", "api") : CAL_ERR_INTERNAL;
	}
	if (err != CAL_OK)
		return err;
	out = json_object_new_object();
	json_object_object_add(out, "payment_link", json_object_new_string(link));
	json_object_object_add(out, "subscriber_id", json_object_new_string(c.subscriber_id));
	json_object_object_add(out, "price", json_object_new_double_s(strtod(ctx->conf.subscription_price, NULL),
								       ctx->conf.subscription_price));
	json_object_object_add(out, "currency", json_object_new_string(ctx->conf.subscription_currency));
	json_object_object_add(out, "trial_days", json_object_new_int((int)ctx->conf.subscription_trial_days));
	cal_resp_json(resp, 200, out);
	json_object_put(out);
	return CAL_OK;
}

/* ---- GET, POST /subscribe -------------------------------------------------------------------------------- */

static void page(cal_response *resp, int status, cal_arena *a, cal_lang lang, cal_billing_page which)
{
	cal_billing_page_send(resp, status, cal_billing_page_message(a, lang, which));
}

cal_err cal_h_subscribe(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	const char *token = cal_http_query(req, "t"), *sid = NULL, *email, *point = NULL, *action;
	cal_lang lang = cal_billing_page_lang(req, lang_of(ctx->conf.app_default_language));
	cal_billing_token_result tr;
	cal_billing_customer c;
	time_t now = time(NULL);
	cal_err err;

	tr = cal_billing_token_check(req->arena, ctx->conf.manychat_webhook_token, token, now, &sid, NULL);
	if (tr != CAL_TOKEN_OK) {
		cal_warn("security", "subscribe link refused (%s)", tr == CAL_TOKEN_EXPIRED ? "expired" : "invalid");
		page(resp, 403, req->arena, lang, tr == CAL_TOKEN_EXPIRED ? CAL_PAGE_LINK_EXPIRED : CAL_PAGE_LINK_INVALID);
		return CAL_OK;
	}
	err = cal_billing_customer_get(ctx->db, req->arena, sid, &c);
	if (err == CAL_ERR_NOT_FOUND) {
		page(resp, 404, req->arena, lang, CAL_PAGE_NO_USER);
		return CAL_OK;
	}
	if (err != CAL_OK)
		return err;
	lang = lang_of(c.language);
	if (cal_billing_customer_subscribed(&c, now)) {
		page(resp, 200, req->arena, lang, CAL_PAGE_ALREADY);
		return CAL_OK;
	}
	action = cal_arena_printf(req->arena, "/subscribe?t=%s", token);
	if (req->method != CAL_POST) {
		cal_billing_page_send(resp, 200, cal_billing_page_form(req->arena, lang, c.first_name, ctx->conf.subscription_price,
								       ctx->conf.subscription_currency, action, NULL, false));
		return CAL_OK;
	}
	email = cal_http_form(req, "email");
	if (!cal_billing_email_valid(email)) {
		cal_billing_page_send(resp, 400, cal_billing_page_form(req->arena, lang, c.first_name, ctx->conf.subscription_price,
								       ctx->conf.subscription_currency, action, email, true));
		return CAL_OK;
	}
	/* The same link and e-mail submitted twice (a double tap) make one preapproval. */
	err = cal_billing_checkout(ctx, req->arena, &c, email,
				   cal_billing_idempotency_key(req->arena, "page", token, email), &point);
	if (err == CAL_ERR_UPSTREAM || err == CAL_ERR_UNAVAILABLE) {
		page(resp, cal_err_status(err), req->arena, lang, CAL_PAGE_UPSTREAM);
		resp->err = err;
		return CAL_OK;
	}
	if (err != CAL_OK)
		return err;
	cal_resp_header(resp, "Location", point);
	cal_billing_page_send(resp, 303, cal_billing_page_message(req->arena, lang, CAL_PAGE_SUCCESS));
	return CAL_OK;
}

/* ---- GET /subscription-success, /subscription-cancel ----------------------------------------------------- */

cal_err cal_h_subscription_success(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	cal_lang lang = cal_billing_page_lang(req, lang_of(ctx->conf.app_default_language));

	page(resp, 200, req->arena, lang, CAL_PAGE_SUCCESS);
	return CAL_OK;
}

cal_err cal_h_subscription_cancel(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	cal_lang lang = cal_billing_page_lang(req, lang_of(ctx->conf.app_default_language));

	page(resp, 200, req->arena, lang, CAL_PAGE_CANCEL);
	return CAL_OK;
}
