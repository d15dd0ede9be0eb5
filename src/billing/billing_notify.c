/*
 * MercadoPago notifications (billing_notify.h): reading what a notification names, storing it once, fetching
 * the resource and applying it. The apply step locks the user's row, upserts the fetched resource (payments
 * by MercadoPago payment id, preapprovals by id), derives the status from every stored fact
 * (billing_state.c), records a change in activity_log and marks the notification processed — one
 * transaction, so a crash or a lost connection leaves the notification pending and nothing half-written.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caloria/billing_link.h"
#include "caloria/billing_notify.h"
#include "caloria/billing_state.h"
#include "caloria/db.h"
#include "caloria/log.h"
#include "caloria/metrics.h"
#include "caloria/reply.h"
#include "caloria/users.h"

#define MAX_PAYMENTS 64 /* payments considered per user: years of monthly charges */

/* ---- what a notification names ---------------------------------------------------------------------- */

cal_billing_topic cal_billing_topic_parse(const char *type)
{
	if (type == NULL)
		return CAL_TOPIC_UNKNOWN;
	if (strcmp(type, "payment") == 0)
		return CAL_TOPIC_PAYMENT;
	if (strcmp(type, "preapproval") == 0 || strcmp(type, "subscription_preapproval") == 0)
		return CAL_TOPIC_PREAPPROVAL;
	if (strcmp(type, "authorized_payment") == 0 || strcmp(type, "subscription_authorized_payment") == 0)
		return CAL_TOPIC_AUTHORIZED_PAYMENT;
	return CAL_TOPIC_UNKNOWN;
}

const char *cal_billing_topic_name(cal_billing_topic t)
{
	static const char *const names[CAL_TOPIC__MAX] = {NULL, "payment", "preapproval", "authorized_payment"};

	return t < CAL_TOPIC__MAX ? names[t] : NULL;
}

static bool resource_id_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      s[n] == '-' || s[n] == '_'))
			return false;
	return n >= 1 && n <= CAL_BILLING_RESOURCE_MAX;
}

/* A JSON string or integer as text in the arena (ids come as either); NULL otherwise. */
static const char *id_text(cal_arena *a, struct json_object *v)
{
	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		return n == INT64_MAX ? cal_arena_printf(a, "%" PRIu64, json_object_get_uint64(v))
				      : cal_arena_printf(a, "%" PRId64, n);
	}
	return NULL;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The legacy body's "resource": an id, or a URL whose last segment is the id. */
static const char *resource_tail(const char *r)
{
	const char *slash = r != NULL ? strrchr(r, '/') : NULL;

	return slash != NULL ? slash + 1 : r;
}

cal_err cal_billing_notice_read(cal_arena *a, const char *query_data_id, const char *query_type,
				const char *query_id, const char *query_topic, struct json_object *body,
				cal_billing_notice *out)
{
	const char *type = query_type != NULL ? query_type : query_topic;
	const char *rid = query_data_id != NULL ? query_data_id : query_id;
	const char *action = NULL;

	if (body != NULL && json_object_is_type(body, json_type_object)) {
		if (type == NULL)
			type = str_member(body, "type") != NULL ? str_member(body, "type") : str_member(body, "topic");
		if (rid == NULL)
			rid = id_text(a, member(member(body, "data"), "id"));
		if (rid == NULL)
			rid = resource_tail(id_text(a, member(body, "resource")));
		action = str_member(body, "action");
	}
	memset(out, 0, sizeof *out);
	out->topic = cal_billing_topic_parse(type);
	out->action = action != NULL && strlen(action) <= 64 ? action : "";
	if (out->topic == CAL_TOPIC_UNKNOWN)
		return CAL_OK;
	if (!resource_id_valid(rid))
		return CAL_ERR_VALIDATION;
	out->resource_id = rid;
	return CAL_OK;
}

cal_err cal_billing_notice_store(cal_db *db, const cal_billing_notice *n, const char *body, long long *id,
				 bool *fresh)
{
	static const char ins[] =
		"INSERT IGNORE INTO mp_notifications (topic, resource_id, action, body) VALUES (?, ?, ?, ?)";
	static const char sel[] = "SELECT id FROM mp_notifications WHERE topic = ? AND resource_id = ? AND action = ?";
	cal_dbv p[] = {CAL_DB_STR(cal_billing_topic_name(n->topic)), CAL_DB_STR(n->resource_id), CAL_DB_STR(n->action),
		       CAL_DB_STR(body)};
	cal_dbresult res = {0};
	cal_dbrows rows = {0};
	cal_arena tmp;
	cal_err err = cal_db_exec(db, ins, p, 4, &res);

	*fresh = false;
	*id = 0;
	if (err != CAL_OK)
		return err;
	*fresh = res.affected == 1;
	if (*fresh) {
		*id = (long long)res.insert_id;
		return CAL_OK;
	}
	cal_arena_init(&tmp, 1024);
	err = cal_db_query(db, &tmp, sel, p, 3, &rows);
	if (err == CAL_OK && rows.nrows == 1)
		*id = cal_db_cell_int(&rows, 0, 0, 0);
	cal_arena_free(&tmp);
	return err;
}

/* ---- the fetched resource ----------------------------------------------------------------------------- */

typedef struct resource {
	cal_billing_topic topic;
	const char *id;             /* preapproval id, or the MercadoPago payment id */
	const char *status;
	const char *external_reference;
	const char *preapproval_id;
	time_t at;                  /* payment date */
	double amount;
	bool has_amount;
	const char *currency;
} resource;

static int read_resource(cal_arena *a, cal_billing_topic topic, struct json_object *o, resource *r)
{
	struct json_object *amount, *payment = member(o, "payment");

	memset(r, 0, sizeof *r);
	r->topic = topic;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return -1;
	r->id = id_text(a, member(o, "id"));
	r->status = str_member(o, "status");
	r->external_reference = str_member(o, "external_reference");
	r->currency = str_member(o, "currency_id");
	amount = member(o, "transaction_amount");
	if (amount == NULL)
		amount = member(member(o, "auto_recurring"), "transaction_amount");
	if (amount != NULL && (json_object_is_type(amount, json_type_double) || json_object_is_type(amount, json_type_int))) {
		r->amount = json_object_get_double(amount);
		r->has_amount = true;
	}
	switch (topic) {
	case CAL_TOPIC_PREAPPROVAL:
		r->preapproval_id = r->id;
		break;
	case CAL_TOPIC_PAYMENT:
		r->preapproval_id = str_member(o, "preapproval_id");
		if (r->preapproval_id == NULL)
			r->preapproval_id = str_member(member(o, "metadata"), "preapproval_id");
		r->at = cal_billing_parse_time(str_member(o, "date_approved"));
		if (r->at == 0)
			r->at = cal_billing_parse_time(str_member(o, "date_created"));
		break;
	case CAL_TOPIC_AUTHORIZED_PAYMENT:
		/* An authorized payment is one charge of a preapproval; the charge itself is its "payment". Stored
		 * under the payment's id when it has one, so the charge is one row whichever topic told of it. */
		r->preapproval_id = str_member(o, "preapproval_id");
		if (id_text(a, member(payment, "id")) != NULL)
			r->id = id_text(a, member(payment, "id"));
		if (str_member(payment, "status") != NULL)
			r->status = str_member(payment, "status");
		r->at = cal_billing_parse_time(str_member(o, "debit_date"));
		if (r->at == 0)
			r->at = cal_billing_parse_time(str_member(o, "date_created"));
		break;
	default:
		return -1;
	}
	if (r->external_reference != NULL && !cal_users_valid_subscriber(r->external_reference))
		r->external_reference = NULL;
	if (r->preapproval_id != NULL && !resource_id_valid(r->preapproval_id))
		r->preapproval_id = NULL;
	if (!resource_id_valid(r->id) || r->status == NULL || strlen(r->status) > 32)
		return -1;
	if (r->currency != NULL && strlen(r->currency) != 3)
		r->currency = NULL;
	return 0;
}

/* ---- applying it ----------------------------------------------------------------------------------------- */

typedef struct target {
	long long id;
	const char *subscriber_id;
	cal_lang lang;
	const char *status;
	time_t trial_ends_at, paid_until;
} target;

/*
 * The user a resource belongs to: by external_reference, else by a stored preapproval id. 0 when none. The
 * look-up by preapproval locks the subscriptions index entry (or the gap where it would be), so a payment and
 * its preapproval processed at once cannot miss each other: either the payment sees the preapproval's row, or
 * the preapproval's insert waits and then links the payment (store_preapproval()).
 */
static cal_err find_user(cal_db *db, cal_arena *a, const resource *r, long long *user_id)
{
	static const char by_sub[] = "SELECT id FROM users WHERE subscriber_id = ?";
	static const char by_sub_pre[] = "SELECT user_id FROM subscriptions WHERE preapproval_id = ? FOR UPDATE";
	static const char by_user_pre[] = "SELECT id FROM users WHERE preapproval_id = ? LIMIT 1";
	cal_dbrows rows = {0};
	cal_err err;

	*user_id = 0;
	if (r->external_reference != NULL) {
		cal_dbv p[] = {CAL_DB_STR(r->external_reference)};
		err = cal_db_query(db, a, by_sub, p, 1, &rows);
		if (err != CAL_OK || rows.nrows == 1) {
			*user_id = rows.nrows == 1 ? cal_db_cell_int(&rows, 0, 0, 0) : 0;
			return err;
		}
	}
	if (r->preapproval_id == NULL)
		return CAL_OK;
	cal_dbv p[] = {CAL_DB_STR(r->preapproval_id)};
	err = cal_db_query(db, a, by_sub_pre, p, 1, &rows);
	if (err == CAL_OK && rows.nrows == 0)
		err = cal_db_query(db, a, by_user_pre, p, 1, &rows);
	if (err == CAL_OK && rows.nrows >= 1)
		*user_id = cal_db_cell_int(&rows, 0, 0, 0);
	return err;
}

static cal_err lock_user(cal_db *db, cal_arena *a, long long user_id, target *t)
{
	static const char sql[] =
		"SELECT id, subscriber_id, language, subscription_status, COALESCE(UNIX_TIMESTAMP(trial_ends_at), 0),"
		" COALESCE(UNIX_TIMESTAMP(paid_until), 0) FROM users WHERE id = ? FOR UPDATE";
	cal_dbv p[] = {CAL_DB_INT(user_id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, sql, p, 1, &rows);

	if (err != CAL_OK)
		return err;
	if (rows.nrows != 1)
		return CAL_ERR_NOT_FOUND;
	t->id = user_id;
	t->subscriber_id = cal_db_cell(&rows, 0, 1);
	t->lang = cal_db_cell(&rows, 0, 2) != NULL && strcmp(cal_db_cell(&rows, 0, 2), "en") == 0 ? CAL_LANG_EN
												 : CAL_LANG_ES;
	t->status = cal_db_cell(&rows, 0, 3);
	t->trial_ends_at = (time_t)cal_db_cell_int(&rows, 0, 4, 0);
	t->paid_until = (time_t)cal_db_cell_int(&rows, 0, 5, 0);
	return CAL_OK;
}

static cal_dbv user_param(long long user_id)
{
	return user_id > 0 ? CAL_DB_INT(user_id) : CAL_DB_NULL;
}

static cal_dbv opt_str(const char *s)
{
	return CAL_DB_STR(s);
}

static cal_err store_preapproval(cal_db *db, const cal_conf *conf, const resource *r, long long user_id)
{
	/* A preapproval this instance did not create (made in MercadoPago's panel, say) still gets its row. */
	static const char up[] =
		"INSERT INTO subscriptions (user_id, preapproval_id, status, amount, currency) VALUES (?, ?, ?, ?, ?)"
		" ON DUPLICATE KEY UPDATE status = VALUES(status), updated_at = UTC_TIMESTAMP()";
	static const char link_user[] = "UPDATE users SET preapproval_id = ? WHERE id = ? AND preapproval_id IS NULL";
	static const char link_payments[] =
		"UPDATE payments SET user_id = ? WHERE preapproval_id = ? AND user_id IS NULL";
	cal_dbv p[] = {user_param(user_id), CAL_DB_STR(r->id), CAL_DB_STR(r->status),
		       r->has_amount ? CAL_DB_DBL(r->amount) : CAL_DB_STR(conf->subscription_price),
		       CAL_DB_STR(r->currency != NULL ? r->currency : conf->subscription_currency)};
	cal_err err;

	if (user_id <= 0) {
		/* subscriptions.user_id is required: an orphan preapproval is remembered only by its notification. */
		return CAL_OK;
	}
	err = cal_db_exec(db, up, p, 5, NULL);
	if (err == CAL_OK) {
		cal_dbv q[] = {CAL_DB_STR(r->id), CAL_DB_INT(user_id)};
		err = cal_db_exec(db, link_user, q, 2, NULL);
	}
	if (err == CAL_OK) {
		cal_dbv q[] = {CAL_DB_INT(user_id), CAL_DB_STR(r->id)};
		err = cal_db_exec(db, link_payments, q, 2, NULL);
	}
	return err;
}

/* Upserts a payment; *first_approval when this call is the first to see it approved. */
static cal_err store_payment(cal_db *db, cal_arena *a, const resource *r, long long user_id, const char *raw,
			     bool *first_approval)
{
	static const char prev[] = "SELECT status FROM payments WHERE mp_payment_id = ? FOR UPDATE";
	static const char up[] =
		"INSERT INTO payments (user_id, mp_payment_id, kind, status, amount, currency, paid_at, preapproval_id, raw)"
		" VALUES (?, ?, ?, ?, ?, ?, IF(? > 0, FROM_UNIXTIME(?), NULL), ?, ?)"
		" ON DUPLICATE KEY UPDATE user_id = COALESCE(user_id, VALUES(user_id)), status = VALUES(status),"
		" amount = COALESCE(VALUES(amount), amount), currency = COALESCE(VALUES(currency), currency),"
		" paid_at = COALESCE(VALUES(paid_at), paid_at),"
		" preapproval_id = COALESCE(VALUES(preapproval_id), preapproval_id), raw = VALUES(raw),"
		" updated_at = UTC_TIMESTAMP()";
	cal_dbv q[] = {CAL_DB_STR(r->id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, prev, q, 1, &rows);

	*first_approval = false;
	if (err != CAL_OK)
		return err;
	*first_approval = strcmp(r->status, "approved") == 0 &&
			  (rows.nrows == 0 || cal_db_cell(&rows, 0, 0) == NULL || strcmp(cal_db_cell(&rows, 0, 0), "approved") != 0);
	cal_dbv p[] = {user_param(user_id), CAL_DB_STR(r->id),
		       CAL_DB_STR(r->topic == CAL_TOPIC_AUTHORIZED_PAYMENT ? "authorized_payment" : "payment"),
		       CAL_DB_STR(r->status), r->has_amount ? CAL_DB_DBL(r->amount) : CAL_DB_NULL, opt_str(r->currency),
		       CAL_DB_INT(r->at), CAL_DB_INT(r->at), opt_str(r->preapproval_id), CAL_DB_STR(raw)};
	return cal_db_exec(db, up, p, 10, NULL);
}

/* The facts of billing_state.h for the user, read under the user's lock. */
static cal_err load_facts(cal_db *db, cal_arena *a, const target *t, cal_billing_facts *f)
{
	/* The preapproval that speaks for the user: an authorized one over a paused one over a pending one over
	 * a cancelled one, the newest first (a second checkout must not hide a running subscription). */
	static const char pre[] =
		"SELECT status FROM subscriptions WHERE user_id = ?"
		" ORDER BY FIELD(status, 'authorized', 'paused', 'pending', 'cancelled') = 0,"
		" FIELD(status, 'authorized', 'paused', 'pending', 'cancelled'), id DESC LIMIT 1";
	static const char pays[] =
		"SELECT status, COALESCE(UNIX_TIMESTAMP(paid_at), 0) FROM payments WHERE user_id = ?"
		" ORDER BY paid_at DESC LIMIT 64";
	cal_dbv p[] = {CAL_DB_INT(t->id)};
	cal_dbrows rows = {0};
	cal_billing_payment *list;
	cal_err err = cal_db_query(db, a, pre, p, 1, &rows);

	memset(f, 0, sizeof *f);
	f->current = t->status;
	f->trial_ends_at = t->trial_ends_at;
	if (err != CAL_OK)
		return err;
	f->preapproval_status = rows.nrows == 1 ? cal_db_cell(&rows, 0, 0) : NULL;
	err = cal_db_query(db, a, pays, p, 1, &rows);
	if (err != CAL_OK)
		return err;
	list = cal_arena_alloc(a, (rows.nrows > 0 ? rows.nrows : 1) * sizeof *list);
	for (size_t i = 0; i < rows.nrows && i < MAX_PAYMENTS; i++) {
		list[i].status = cal_db_cell(&rows, i, 0);
		list[i].paid_at = (time_t)cal_db_cell_int(&rows, i, 1, 0);
	}
	f->payments = list;
	f->npayments = rows.nrows < MAX_PAYMENTS ? rows.nrows : MAX_PAYMENTS;
	return CAL_OK;
}

static cal_err derive_and_store(cal_db *db, cal_arena *a, const target *t, const char *source,
				cal_billing_outcome *out)
{
	static const char upd[] =
		"UPDATE users SET subscription_status = ?, paid_until = IF(? > 0, FROM_UNIXTIME(?), NULL),"
		" updated_at = UTC_TIMESTAMP() WHERE id = ?";
	static const char ev[] = "INSERT INTO activity_log (user_id, event, detail) VALUES (?, ?, ?)";
	cal_billing_facts f;
	cal_billing_state s;
	cal_err err = load_facts(db, a, t, &f);

	if (err != CAL_OK)
		return err;
	cal_billing_derive(&f, time(NULL), &s);
	out->subscriber_id = t->subscriber_id;
	out->lang = t->lang;
	out->status = s.status;
	out->paid_until = s.paid_until;
	out->revoked = s.revoked;
	out->changed = t->status == NULL || strcmp(t->status, s.status) != 0;
	if (!out->changed && s.paid_until == t->paid_until)
		return CAL_OK;
	cal_dbv p[] = {CAL_DB_STR(s.status), CAL_DB_INT(s.paid_until), CAL_DB_INT(s.paid_until), CAL_DB_INT(t->id)};
	err = cal_db_exec(db, upd, p, 4, NULL);
	if (err == CAL_OK && out->changed) {
		cal_dbv e[] = {CAL_DB_INT(t->id), CAL_DB_STR(cal_arena_printf(a, "subscription_%s", s.status)),
			       CAL_DB_STR(source)};
		err = cal_db_exec(db, ev, e, 3, NULL);
	}
	return err;
}

static cal_err mark(cal_db *db, long long notification_id, const char *status, const char *error)
{
	static const char sql[] =
		"UPDATE mp_notifications SET status = ?, attempts = attempts + 1, last_error = ?,"
		" processed_at = IF(? = 'pending', processed_at, UTC_TIMESTAMP()) WHERE id = ?";
	cal_dbv p[] = {CAL_DB_STR(status), CAL_DB_STR(error), CAL_DB_STR(status), CAL_DB_INT(notification_id)};

	return notification_id > 0 ? cal_db_exec(db, sql, p, 4, NULL) : CAL_OK;
}

/* The writes of one fetched resource inside the caller's open transaction (see the file comment). */
static cal_err apply_in_tx(cal_ctx *ctx, cal_arena *a, const resource *r, const char *raw,
			   long long notification_id, cal_billing_outcome *out)
{
	cal_db *db = ctx->db;
	target t;
	long long user_id = 0;
	bool approved = false;
	const char *source = cal_arena_printf(a, "%s:%s", cal_billing_topic_name(r->topic), r->id);
	cal_err err = find_user(db, a, r, &user_id);

	memset(&t, 0, sizeof t);
	if (err == CAL_OK && user_id > 0)
		err = lock_user(db, a, user_id, &t);
	if (err == CAL_ERR_NOT_FOUND) {
		user_id = 0;
		err = CAL_OK;
	}
	if (err == CAL_OK)
		err = r->topic == CAL_TOPIC_PREAPPROVAL ? store_preapproval(db, &ctx->conf, r, user_id)
							: store_payment(db, a, r, user_id, raw, &approved);
	if (err == CAL_OK && user_id > 0)
		err = derive_and_store(db, a, &t, source, out);
	else if (err == CAL_OK)
		out->note = "no user";
	if (err == CAL_OK)
		err = mark(db, notification_id, "processed", out->note);
	out->user_id = user_id;
	out->payment_approved = err == CAL_OK && approved && user_id > 0;
	return err;
}

/* Counters of an outcome that is committed. */
static void count(cal_ctx *ctx, const cal_billing_outcome *out)
{
	if (ctx->shm != NULL && out->payment_approved)
		cal_metrics_business(ctx->shm, "payments_approved", 1);
	if (ctx->shm != NULL && out->changed && strcmp(out->status, "active") == 0)
		cal_metrics_business(ctx->shm, "subscriptions_activated", 1);
}

static cal_err apply_tx(cal_ctx *ctx, cal_arena *a, const resource *r, const char *raw, long long notification_id,
			cal_billing_outcome *out)
{
	cal_err err = cal_db_begin(ctx->db);

	if (err == CAL_OK)
		err = apply_in_tx(ctx, a, r, raw, notification_id, out);
	if (err == CAL_OK)
		err = cal_db_commit(ctx->db);
	if (err != CAL_OK) {
		cal_db_rollback(ctx->db);
		return err;
	}
	count(ctx, out);
	return CAL_OK;
}

cal_err cal_billing_apply(cal_ctx *ctx, cal_arena *a, cal_billing_topic topic, struct json_object *resource_json,
			  cal_billing_outcome *out)
{
	resource r;

	memset(out, 0, sizeof *out);
	if (read_resource(a, topic, resource_json, &r) != 0)
		return CAL_ERR_UPSTREAM;
	return apply_tx(ctx, a, &r, json_object_to_json_string_ext(resource_json, JSON_C_TO_STRING_PLAIN), 0, out);
}

/* ---- processing one stored notification -------------------------------------------------------------- */

static const char *const fetch_paths[CAL_TOPIC__MAX] = {
	[CAL_TOPIC_PAYMENT] = "/v1/payments/",
	[CAL_TOPIC_PREAPPROVAL] = "/preapproval/",
	[CAL_TOPIC_AUTHORIZED_PAYMENT] = "/authorized_payments/",
};

static cal_err load_notice(cal_db *db, cal_arena *a, long long id, cal_billing_notice *n)
{
	static const char sql[] = "SELECT topic, resource_id, action, status FROM mp_notifications WHERE id = ?";
	cal_dbv p[] = {CAL_DB_INT(id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(db, a, sql, p, 1, &rows);

	if (err != CAL_OK)
		return err;
	if (rows.nrows != 1 || cal_db_cell(&rows, 0, 3) == NULL || strcmp(cal_db_cell(&rows, 0, 3), "pending") != 0)
		return CAL_ERR_NOT_FOUND;
	n->topic = cal_billing_topic_parse(cal_db_cell(&rows, 0, 0));
	n->resource_id = cal_db_cell(&rows, 0, 1);
	n->action = cal_db_cell(&rows, 0, 2);
	return n->topic == CAL_TOPIC_UNKNOWN || !resource_id_valid(n->resource_id) ? CAL_ERR_NOT_FOUND : CAL_OK;
}

cal_err cal_billing_notify_request(cal_db *db, cal_arena *a, long long id, cal_api_req *req)
{
	cal_billing_notice n;
	cal_err err = load_notice(db, a, id, &n);

	if (err != CAL_OK)
		return err;
	memset(req, 0, sizeof *req);
	req->provider = CAL_API_MERCADOPAGO;
	req->method = "GET";
	req->path = cal_arena_printf(a, "%s%s", fetch_paths[n.topic], n.resource_id);
	return CAL_OK;
}

cal_err cal_billing_notify_consume(cal_ctx *ctx, cal_arena *a, long long id, cal_err err, const cal_api_resp *resp,
				   cal_billing_outcome *out)
{
	cal_billing_notice n;
	resource r;
	cal_err e;

	memset(out, 0, sizeof *out);
	e = load_notice(ctx->db, a, id, &n);
	if (e != CAL_OK)
		return e == CAL_ERR_NOT_FOUND ? CAL_OK : e; /* processed meanwhile: nothing left to do */
	if (err != CAL_OK && resp != NULL && resp->status == 404) {
		out->note = "not found";
		return mark(ctx->db, id, "failed", "resource not found");
	}
	if (err != CAL_OK || resp == NULL || read_resource(a, n.topic, resp->json, &r) != 0) {
		const char *why = err != CAL_OK ? cal_arena_printf(a, "fetch failed: HTTP %ld", resp ? resp->status : 0L)
						: "unreadable resource";
		(void)mark(ctx->db, id, "pending", why);
		return CAL_ERR_UPSTREAM;
	}
	if (strcmp(r.id, n.resource_id) != 0 && n.topic != CAL_TOPIC_AUTHORIZED_PAYMENT) {
		(void)mark(ctx->db, id, "pending", "resource id differs from the notification");
		return CAL_ERR_UPSTREAM;
	}
	e = apply_tx(ctx, a, &r, resp->body, id, out);
	if (e != CAL_OK && cal_db_last_was_deadlock(ctx->db))
		e = apply_tx(ctx, a, &r, resp->body, id, out);
	return e;
}

cal_msg cal_billing_outcome_message(const cal_billing_outcome *o, bool *subscribe_button)
{
	*subscribe_button = false;
	if (!o->changed || o->status == NULL)
		return CAL_MSG__MAX;
	if (strcmp(o->status, "active") == 0)
		return CAL_MSG_SUB_ACTIVE;
	if (strcmp(o->status, "paused") == 0)
		return CAL_MSG_SUB_PAUSED;
	if (strcmp(o->status, "payment_failed") == 0)
		return CAL_MSG_SUB_PAYMENT_FAILED;
	if (strcmp(o->status, "cancelled") == 0) {
		*subscribe_button = o->revoked;
		return o->revoked ? CAL_MSG_SUB_REVOKED : CAL_MSG_SUB_CANCELLED;
	}
	return CAL_MSG__MAX;
}

/* A date as the chat says it ("10 de diciembre", "December 10"), never ISO. */
static const char *date_of(cal_arena *a, time_t t, cal_lang lang)
{
	struct tm tm;
	char buf[11];

	if (t <= 0)
		t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
	return cal_i18n_date(a, lang, buf, CAL_DATE_DAY_MONTH);
}

struct json_object *cal_billing_outcome_content(cal_ctx *ctx, cal_arena *a, const cal_billing_outcome *o)
{
	bool button = false;
	cal_msg m = cal_billing_outcome_message(o, &button);
	struct json_object *content = NULL;
	cal_reply *r;
	const char *text, *url;

	if (m == CAL_MSG__MAX || o->subscriber_id == NULL)
		return NULL;
	text = strcmp(cal_i18n_args(m), "s") == 0 ? cal_i18n_printf(a, m, o->lang, date_of(a, o->paid_until, o->lang))
						   : cal_i18n_printf(a, m, o->lang);
	r = cal_reply_new(a, ctx->conf.manychat_channel, false);
	cal_reply_text(r, text);
	url = button ? cal_billing_link_url(a, &ctx->conf, o->subscriber_id, time(NULL)) : NULL;
	if (url != NULL)
		cal_reply_button_url(r, cal_i18n(CAL_MSG_BTN_SUBSCRIBE, o->lang), url);
	content = cal_reply_render_content(r);
	cal_reply_free(r);
	return content;
}

cal_err cal_billing_outcome_push(cal_ctx *ctx, cal_arena *a, const cal_billing_outcome *o)
{
	struct json_object *content = cal_billing_outcome_content(ctx, a, o);
	cal_err err;

	if (content == NULL)
		return CAL_OK;
	err = cal_api_manychat_send(ctx->api, o->subscriber_id, content, a);
	json_object_put(content);
	if (err != CAL_OK)
		cal_warn("api", "subscription notice not delivered (%s)", cal_err_code(err));
	return err;
}

cal_err cal_billing_notify_apply_text(cal_ctx *ctx, cal_arena *a, long long id, const char *body,
				      cal_billing_outcome *out)
{
	cal_billing_notice n;
	struct json_object *doc;
	resource r;
	cal_err err;

	memset(out, 0, sizeof *out);
	err = load_notice(ctx->db, a, id, &n);
	if (err != CAL_OK)
		return err == CAL_ERR_NOT_FOUND ? CAL_OK : err;
	doc = json_tokener_parse(body != NULL ? body : "");
	if (read_resource(a, n.topic, doc, &r) != 0 ||
	    (strcmp(r.id, n.resource_id) != 0 && n.topic != CAL_TOPIC_AUTHORIZED_PAYMENT)) {
		json_object_put(doc);
		return CAL_ERR_UPSTREAM;
	}
	/* r points into doc: keep it until the writes are done. */
	err = apply_in_tx(ctx, a, &r, body, id, out);
	json_object_put(doc);
	if (err == CAL_OK)
		count(ctx, out);
	return err;
}

cal_err cal_billing_notify_process(cal_ctx *ctx, cal_arena *a, long long id, cal_billing_outcome *out)
{
	cal_api_req req;
	cal_api_resp resp;
	cal_err err = cal_billing_notify_request(ctx->db, a, id, &req);

	memset(out, 0, sizeof *out);
	if (err == CAL_ERR_NOT_FOUND)
		return CAL_OK;
	if (err != CAL_OK)
		return err;
	err = cal_api_request(ctx->api, &req, a, &resp);
	err = cal_billing_notify_consume(ctx, a, id, err, &resp, out);
	json_object_put(resp.json);
	if (err == CAL_OK)
		(void)cal_billing_outcome_push(ctx, a, out);
	return err;
}
