/*
 * Starting a subscription (SPEC §9.2): the preapproval of MercadoPago for one user and payer e-mail, created
 * with an X-Idempotency-Key so a repeated submit returns the same checkout instead of a second one, stored
 * in subscriptions, and the user's status moved to `pending` (a running trial is kept: checking out does not
 * end it early). Runs from the subscribe page or the API, never from the chat webhook (SPEC §7.5).
 */
#ifndef CALORIA_BILLING_CHECKOUT_H
#define CALORIA_BILLING_CHECKOUT_H

#include <stdbool.h>
#include <time.h>

#include "caloria/ctx.h"
#include "caloria/db.h"
#include "caloria/err.h"
#include "caloria/mem.h"

/* The user as the checkout needs them. */
typedef struct cal_billing_customer {
	long long id;
	const char *subscriber_id;
	const char *first_name;  /* NULL when unknown */
	const char *language;    /* "es" | "en" */
	const char *status;      /* users.subscription_status */
	time_t trial_ends_at, paid_until; /* 0 when none */
} cal_billing_customer;

/* Reads the user by subscriber id; CAL_ERR_NOT_FOUND when there is none. */
cal_err cal_billing_customer_get(cal_db *db, cal_arena *a, const char *subscriber_id, cal_billing_customer *out);

/* True when a new checkout makes no sense: an active subscription that is paid for (409 of §9.2). */
bool cal_billing_customer_subscribed(const cal_billing_customer *c, time_t now);

/*
 * POST {api_base}/preapproval for the customer and payer_email (already validated) with idempotency_key,
 * then stores the subscription and the pending status in one transaction. *init_point: the checkout URL
 * (http(s) only). CAL_ERR_UPSTREAM when MercadoPago failed or answered without an id or init_point,
 * CAL_ERR_UNAVAILABLE when it is not configured or the database is down.
 */
cal_err cal_billing_checkout(cal_ctx *ctx, cal_arena *a, const cal_billing_customer *c, const char *payer_email,
			     const char *idempotency_key, const char **init_point);

/* A stable idempotency key: hex SHA-256 of the parts joined with '|' (into the arena). */
const char *cal_billing_idempotency_key(cal_arena *a, const char *p1, const char *p2, const char *p3);

#endif
