/*
 * MercadoPago notifications (SPEC §9.3): what a notification names, its durable storage (one row per topic,
 * resource and action in mp_notifications, so a redelivery is a no-op), and its processing: fetch the named
 * resource from the API (the notification's own status is never trusted), store it (payments once per
 * MercadoPago payment id, preapprovals once per id), derive the user's status from everything stored
 * (billing_state.h) and say what the user should be told.
 *
 * Processing is split in the two halves a job runner needs: the HTTP call to make
 * (cal_billing_notify_request) and what to do with its answer (cal_billing_notify_consume);
 * cal_billing_notify_process does both with a blocking call.
 */
#ifndef CALORIA_BILLING_NOTIFY_H
#define CALORIA_BILLING_NOTIFY_H

#include <stdbool.h>

#include <json-c/json.h>

#include "caloria/apiclient.h"
#include "caloria/ctx.h"
#include "caloria/db.h"
#include "caloria/err.h"
#include "caloria/http.h"
#include "caloria/i18n.h"
#include "caloria/mem.h"

#define CAL_BILLING_RESOURCE_MAX 64

typedef enum cal_billing_topic {
	CAL_TOPIC_UNKNOWN = 0,
	CAL_TOPIC_PAYMENT,            /* "payment" → GET /v1/payments/{id} */
	CAL_TOPIC_PREAPPROVAL,        /* "preapproval", "subscription_preapproval" → GET /preapproval/{id} */
	CAL_TOPIC_AUTHORIZED_PAYMENT, /* "authorized_payment", "subscription_authorized_payment"
				       * → GET /authorized_payments/{id} */
	CAL_TOPIC__MAX
} cal_billing_topic;

/* What a notification names. Strings live in the request arena. */
typedef struct cal_billing_notice {
	cal_billing_topic topic;
	const char *resource_id; /* [A-Za-z0-9_-], ≤ 64 */
	const char *action;      /* "payment.created", … ; "" when absent */
} cal_billing_notice;

cal_billing_topic cal_billing_topic_parse(const char *type);
/* "payment", "preapproval", "authorized_payment" (the stored topic names); NULL for unknown. */
const char *cal_billing_topic_name(cal_billing_topic t);

/*
 * Reads the notice from the query (`data.id` + `type`, or legacy `id` + `topic`) or, failing that, from the
 * body ({"type"|"topic", "action", "data": {"id"}} or the legacy {"resource", "topic"}). body may be NULL.
 * CAL_OK with topic UNKNOWN for types Caloria does not handle; CAL_ERR_VALIDATION when a handled type has
 * no usable resource id.
 */
cal_err cal_billing_notice_read(cal_arena *a, const char *query_data_id, const char *query_type,
				const char *query_id, const char *query_topic, struct json_object *body,
				cal_billing_notice *out);

/* Stores the notice (status pending); *id its row, *fresh false when it was a redelivery (nothing new). */
cal_err cal_billing_notice_store(cal_db *db, const cal_billing_notice *n, const char *body, long long *id,
				 bool *fresh);

/* What processing decided for the user, for the push (SPEC §9.3: activation, failure, pause, cancellation). */
typedef struct cal_billing_outcome {
	bool changed;            /* the user's status changed */
	long long user_id;       /* 0 when the resource belongs to no known user */
	const char *subscriber_id;
	cal_lang lang;
	const char *status;      /* the new status */
	time_t paid_until;
	bool revoked;
	bool payment_approved;   /* a payment was seen approved for the first time */
	const char *note;        /* why nothing was applied ("no user", "not found"), NULL otherwise */
} cal_billing_outcome;

/* The GET for notification id into req (path in the arena). CAL_ERR_NOT_FOUND when the row is not pending
 * any more (already processed: nothing to do). */
cal_err cal_billing_notify_request(cal_db *db, cal_arena *a, long long id, cal_api_req *req);

/*
 * Consumes the API's answer for notification id: err/resp as cal_api_request returned them. A failed fetch
 * leaves the row pending with attempts + 1 and returns CAL_ERR_UPSTREAM (retry later); a 404 marks it failed
 * (the resource does not exist: retrying cannot help). Otherwise stores the resource, derives the user's
 * status and marks the row processed, all in one transaction; out says what changed.
 */
cal_err cal_billing_notify_consume(cal_ctx *ctx, cal_arena *a, long long id, cal_err err,
				   const cal_api_resp *resp, cal_billing_outcome *out);

/* The text (and whether to add a subscribe button) that tells the user about an outcome; CAL_MSG__MAX when
 * there is nothing to tell. */
cal_msg cal_billing_outcome_message(const cal_billing_outcome *o, bool *subscribe_button);

/* The v2 content object that tells the user about an outcome (caller puts it), NULL when nothing to tell. */
struct json_object *cal_billing_outcome_content(cal_ctx *ctx, cal_arena *a, const cal_billing_outcome *o);

/* Sends the outcome's message through ManyChat sendContent (nothing when there is nothing to tell). */
cal_err cal_billing_outcome_push(cal_ctx *ctx, cal_arena *a, const cal_billing_outcome *o);

/* request + blocking call + consume + push, for one notification. */
cal_err cal_billing_notify_process(cal_ctx *ctx, cal_arena *a, long long id, cal_billing_outcome *out);

/*
 * The fetched resource's text (body) applied to notification id inside the caller's open transaction (a job's
 * commit): nothing when the row is no longer pending; CAL_ERR_UPSTREAM when the text is not the resource.
 */
cal_err cal_billing_notify_apply_text(cal_ctx *ctx, cal_arena *a, long long id, const char *body,
				      cal_billing_outcome *out);

/* Store from a fetched resource and derive: the part of consume after the HTTP call, exposed for tests. */
cal_err cal_billing_apply(cal_ctx *ctx, cal_arena *a, cal_billing_topic topic, struct json_object *resource,
			  cal_billing_outcome *out);

#endif
