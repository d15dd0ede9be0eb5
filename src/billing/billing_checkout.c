/*
 * Creating a MercadoPago preapproval for a user (billing_checkout.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caloria/apiclient.h"
#include "caloria/auth.h"
#include "caloria/billing_checkout.h"
#include "caloria/billing_state.h"
#include "caloria/db.h"
#include "caloria/log.h"

#define REASON "Caloria Premium"

cal_err cal_billing_customer_get(cal_db *db, cal_arena *a, const char *subscriber_id, cal_billing_customer *out)
{
	static const char sql[] =
		"SELECT id, subscriber_id, first_name, language, subscription_status,"
		" COALESCE(UNIX_TIMESTAMP(trial_ends_at), 0), COALESCE(UNIX_TIMESTAMP(paid_until), 0)"
		" FROM users WHERE subscriber_id = ?";
	cal_dbv p[] = {CAL_DB_STR(subscriber_id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, sql, p, 1, &rows);

	memset(out, 0, sizeof *out);
	if (err != CAL_OK)
		return err;
	if (rows.nrows != 1)
		return CAL_ERR_NOT_FOUND;
	out->id = cal_db_cell_int(&rows, 0, 0, 0);
	out->subscriber_id = cal_db_cell(&rows, 0, 1);
	out->first_name = cal_db_cell(&rows, 0, 2);
	out->language = cal_db_cell(&rows, 0, 3) != NULL ? cal_db_cell(&rows, 0, 3) : "es";
	out->status = cal_db_cell(&rows, 0, 4) != NULL ? cal_db_cell(&rows, 0, 4) : "none";
	out->trial_ends_at = (time_t)cal_db_cell_int(&rows, 0, 5, 0);
	out->paid_until = (time_t)cal_db_cell_int(&rows, 0, 6, 0);
	return CAL_OK;
}

bool cal_billing_customer_subscribed(const cal_billing_customer *c, time_t now)
{
	return strcmp(c->status, "active") == 0 && c->paid_until > now;
}

const char *cal_billing_idempotency_key(cal_arena *a, const char *p1, const char *p2, const char *p3)
{
	const char *joined = cal_arena_printf(a, "%s|%s|%s", p1 ? p1 : "", p2 ? p2 : "", p3 ? p3 : "");
	char *hex = cal_arena_alloc(a, 65);

	cal_auth_sha256_hex(joined, strlen(joined), hex);
	return hex;
}

static struct json_object *preapproval_body(const cal_conf *conf, const cal_billing_customer *c, const char *email)
{
	struct json_object *body = json_object_new_object(), *rec = json_object_new_object();
	const char *base = conf->server_public_url != NULL ? conf->server_public_url : "";
	size_t n = strlen(base);
	char back[1024];

	snprintf(back, sizeof back, "%.*s/subscription-success", (int)(n > 0 && base[n - 1] == '/' ? n - 1 : n), base);
	json_object_object_add(body, "reason", json_object_new_string(REASON));
	json_object_object_add(body, "external_reference", json_object_new_string(c->subscriber_id));
	json_object_object_add(body, "payer_email", json_object_new_string(email));
	json_object_object_add(body, "back_url", json_object_new_string(back));
	json_object_object_add(rec, "frequency", json_object_new_int(1));
	json_object_object_add(rec, "frequency_type", json_object_new_string("months"));
	/* The price is decimal text in the configuration; its digits go out as they are. */
	json_object_object_add(rec, "transaction_amount",
			       json_object_new_double_s(strtod(conf->subscription_price, NULL), conf->subscription_price));
	json_object_object_add(rec, "currency_id", json_object_new_string(conf->subscription_currency));
	json_object_object_add(body, "auto_recurring", rec);
	json_object_object_add(body, "status", json_object_new_string("pending"));
	if (conf->mercadopago_plan_id != NULL && conf->mercadopago_plan_id[0] != '\0')
		json_object_object_add(body, "preapproval_plan_id", json_object_new_string(conf->mercadopago_plan_id));
	return body;
}

static bool http_url(const char *s)
{
	return s != NULL && strlen(s) < 512 && (strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0) &&
	       strpbrk(s, " \t\r\n\"'<>") == NULL;
}

static cal_err store(cal_db *db, const cal_conf *conf, const cal_billing_customer *c, const char *pre_id,
		     const char *email, const char *init_point)
{
	static const char sub[] =
		"INSERT INTO subscriptions (user_id, preapproval_id, status, amount, currency, payer_email, init_point)"
		" VALUES (?, ?, 'pending', ?, ?, ?, ?) ON DUPLICATE KEY UPDATE payer_email = VALUES(payer_email),"
		" init_point = VALUES(init_point), updated_at = UTC_TIMESTAMP()";
	/* A running trial or a paid period keeps its status; anything else is waiting for the checkout. */
	static const char user[] =
		"UPDATE users SET preapproval_id = ?, subscription_status = IF("
		" (subscription_status = 'trial' AND trial_ends_at > UTC_TIMESTAMP())"
		" OR (subscription_status IN ('active', 'cancelled') AND paid_until > UTC_TIMESTAMP()),"
		" subscription_status, 'pending'), updated_at = UTC_TIMESTAMP() WHERE id = ?";
	static const char ev[] = "INSERT INTO activity_log (user_id, event, detail) VALUES (?, 'checkout_started', ?)";
	cal_dbv s[] = {CAL_DB_INT(c->id), CAL_DB_STR(pre_id), CAL_DB_STR(conf->subscription_price),
		       CAL_DB_STR(conf->subscription_currency), CAL_DB_STR(email), CAL_DB_STR(init_point)};
	cal_dbv u[] = {CAL_DB_STR(pre_id), CAL_DB_INT(c->id)};
	cal_dbv e[] = {CAL_DB_INT(c->id), CAL_DB_STR(pre_id)};
	cal_err err = cal_db_begin(db);

	if (err == CAL_OK)
		err = cal_db_exec(db, sub, s, 6, NULL);
	if (err == CAL_OK)
		err = cal_db_exec(db, user, u, 2, NULL);
	if (err == CAL_OK)
		err = cal_db_exec(db, ev, e, 2, NULL);
	if (err == CAL_OK)
		err = cal_db_commit(db);
	if (err != CAL_OK)
		cal_db_rollback(db);
	return err;
}

cal_err cal_billing_checkout(cal_ctx *ctx, cal_arena *a, const cal_billing_customer *c, const char *payer_email,
			     const char *idempotency_key, const char **init_point)
{
	const char *headers[] = {cal_arena_printf(a, "X-Idempotency-Key: %s", idempotency_key), NULL};
	struct json_object *body = preapproval_body(&ctx->conf, c, payer_email), *v;
	cal_api_req req = {
		.provider = CAL_API_MERCADOPAGO,
		.method = "POST",
		.path = "/preapproval",
		.headers = headers,
		.json = body,
		.idempotent = true, /* the idempotency key makes a repeat return the same preapproval */
	};
	cal_api_resp resp;
	const char *id = NULL, *point = NULL;
	cal_err err = cal_api_request(ctx->api, &req, a, &resp);

	json_object_put(body);
	*init_point = NULL;
	if (err == CAL_OK) {
		if (json_object_object_get_ex(resp.json, "id", &v) && json_object_is_type(v, json_type_string))
			id = cal_arena_strdup(a, json_object_get_string(v));
		if (json_object_object_get_ex(resp.json, "init_point", &v) && json_object_is_type(v, json_type_string))
			point = cal_arena_strdup(a, json_object_get_string(v));
		if (id == NULL || strlen(id) > 64 || !http_url(point)) {
			cal_warn("api", "mercadopago preapproval answer without a usable id or init_point");
			err = CAL_ERR_UPSTREAM;
		}
	}
	json_object_put(resp.json);
	if (err != CAL_OK)
		return err;
	err = store(ctx->db, &ctx->conf, c, id, payer_email, point);
	if (err == CAL_OK)
		*init_point = point;
	return err;
}
