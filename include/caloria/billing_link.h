/*
 * The payment link of SPEC §9.2 without a payer e-mail: `<public_url>/subscribe?t=<token>`, where the token
 * names one subscriber, expires, and is signed so nobody can make one for someone else:
 *
 *     <subscriber_id>.<expiry, unix seconds>.<hex HMAC-SHA256 of "<subscriber_id>.<expiry>">
 *
 * The key is derived from manychat.webhook_token (required configuration, never shown to users) with a
 * fixed label, so the token itself is never reused as a key and rotating it retires every link.
 * Also here: the payer e-mail rule the page and the API share.
 */
#ifndef CALORIA_BILLING_LINK_H
#define CALORIA_BILLING_LINK_H

#include <stdbool.h>
#include <time.h>

#include "caloria/conf.h"
#include "caloria/err.h"
#include "caloria/mem.h"

#define CAL_BILLING_LINK_TTL_S (3 * 86400) /* a link tapped days after it was sent still works */
#define CAL_BILLING_TOKEN_MAX 128
#define CAL_BILLING_EMAIL_MAX 254

/* A token for subscriber_id valid until now + ttl_s, into the arena; NULL when the secret is empty. */
const char *cal_billing_token_make(cal_arena *a, const char *secret, const char *subscriber_id, time_t now,
				   long ttl_s);

/* Why a token was refused. */
typedef enum cal_billing_token_result {
	CAL_TOKEN_OK = 0,
	CAL_TOKEN_MALFORMED,
	CAL_TOKEN_BAD_SIGNATURE,
	CAL_TOKEN_EXPIRED,
} cal_billing_token_result;

/* Checks a token; on CAL_TOKEN_OK the subscriber id is copied into the arena (*subscriber_id). Expiry is
 * judged only after the signature, so an expired forgery is reported as a forgery. */
cal_billing_token_result cal_billing_token_check(cal_arena *a, const char *secret, const char *token, time_t now,
						 const char **subscriber_id, time_t *expires);

/* `<public_url>/subscribe?t=<token>` for the subscriber, from the configuration; NULL when it cannot sign. */
const char *cal_billing_link_url(cal_arena *a, const cal_conf *conf, const char *subscriber_id, time_t now);

/* The route's authentication (CAL_AUTH_SIGNED_LINK): the query's t is a valid, unexpired token. CAL_OK or
 * CAL_ERR_FORBIDDEN; from the query string alone, before any body is read. */
cal_err cal_billing_link_check(const cal_conf *conf, const char *token, cal_arena *a);

/* A plausible payer e-mail: 3–254 bytes, one '@', a local part of 1–64 printable ASCII characters without
 * spaces or quotes, a domain of labels [A-Za-z0-9-] with at least one dot. */
bool cal_billing_email_valid(const char *email);

#endif
