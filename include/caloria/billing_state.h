/*
 * The subscription state machine of SPEC §9.1 and the gate of §9.4, as pure functions over what is known
 * about a user (trial end, the preapproval's status, the payments fetched from MercadoPago), plus the trial
 * expiry writes.
 *
 * The status is derived from all known facts each time one of them changes, never stepped from the previous
 * status by the latest event: notifications arrive duplicated and out of order, and a derivation from the
 * stored resources (each as last fetched from the API) ends in the same state whatever the order. An
 * `active` status is only ever derived from an approved payment fetched from the API: an authorized
 * preapproval without one is `pending` (checkout done, first charge not yet seen).
 */
#ifndef CALORIA_BILLING_STATE_H
#define CALORIA_BILLING_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "caloria/db.h"
#include "caloria/err.h"
#include "caloria/mem.h"

/* One payment as stored (payments.status is MercadoPago's: approved, rejected, refunded, charged_back, …). */
typedef struct cal_billing_payment {
	const char *status;
	time_t paid_at; /* 0 when unknown */
} cal_billing_payment;

typedef struct cal_billing_facts {
	const char *current;              /* users.subscription_status now */
	time_t trial_ends_at;             /* 0 when none */
	const char *preapproval_status;   /* of the user's preapproval; NULL when none is known */
	const cal_billing_payment *payments;
	size_t npayments;
} cal_billing_facts;

typedef struct cal_billing_state {
	const char *status;  /* one of §9.1's values (static text) */
	time_t paid_until;   /* last approved payment + 1 month; 0 when none */
	bool revoked;        /* a refund or charge-back took access away */
} cal_billing_state;

/* The status the facts imply at now (rules in billing_state.c). */
void cal_billing_derive(const cal_billing_facts *f, time_t now, cal_billing_state *out);

/*
 * §9.4: unlimited analyses for an unexpired trial, and for active or cancelled until paid_until. Times 0
 * mean unknown (an unknown end grants nothing).
 */
bool cal_billing_entitled(const char *status, time_t trial_ends_at, time_t paid_until, time_t now);

/* §9.4 for one more analysis: entitled, or fewer than free_daily analyses today. */
bool cal_billing_gate_allows(const char *status, time_t trial_ends_at, time_t paid_until, int analyses_today,
			     long free_daily, time_t now);

/* t + one calendar month, clamped to the month's last day (as MariaDB's + INTERVAL 1 MONTH). */
time_t cal_billing_add_month(time_t t);

/* "2026-12-04T10:20:30.000-03:00", "…Z", "2026-12-04 10:20:30" (UTC) → time_t; 0 when unparsable. */
time_t cal_billing_parse_time(const char *s);

/*
 * Ends user_id's trial when it is due (status trial, trial_ends_at past): one UPDATE plus the trial_expired
 * event, in the caller's transaction when one is open. *expired tells whether this call made the change,
 * which is what makes the user be told exactly once.
 */
cal_err cal_billing_expire_trial(cal_db *db, long long user_id, bool *expired);

#endif
