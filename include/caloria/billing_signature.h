/*
 * MercadoPago webhook signatures (SPEC §9.3). A notification carries `x-signature: ts=<ts>,v1=<hex>` and
 * `x-request-id`; the signed manifest is `id:<data.id of the query string, lower-cased>;request-id:<x-request-id>;
 * ts:<ts>;` where a part that is missing is left out, segment and all. v1 is the hex HMAC-SHA256 of the manifest
 * under mercadopago.webhook_secret. Everything needed is in the query string and headers, so a notification
 * is judged before its body is read (SPEC §1).
 */
#ifndef CALORIA_BILLING_SIGNATURE_H
#define CALORIA_BILLING_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/http.h"

/* Longest manifest we build; longer parts make the signature invalid rather than truncated. */
#define CAL_BILLING_MANIFEST_MAX 512

/* The parts of an x-signature header; pointers into the caller's copy, NULL when absent. */
typedef struct cal_billing_sig {
	const char *ts;
	const char *v1;
} cal_billing_sig;

/*
 * Splits "ts=…,v1=…" (either order, spaces around parts tolerated, unknown keys ignored) into out, writing
 * into buf (size n). -1 when the header does not fit or a part is empty.
 */
int cal_billing_sig_parse(const char *header, char *buf, size_t n, cal_billing_sig *out);

/*
 * The manifest for data_id (lower-cased here), request_id and ts; each may be NULL or empty (left out).
 * Returns its length, or -1 when it would not fit in out (size n).
 */
int cal_billing_sig_manifest(const char *data_id, const char *request_id, const char *ts, char *out, size_t n);

/* The lower-case hex HMAC-SHA256 of msg under secret into out[65]. */
void cal_billing_hmac_hex(const char *secret, const void *msg, size_t len, char out[65]);

/* Why a signature failed (for the security log; never includes the secret or the signature). */
typedef enum cal_billing_sig_result {
	CAL_SIG_OK = 0,
	CAL_SIG_NO_SECRET,   /* mercadopago.webhook_secret is empty: every notification is rejected */
	CAL_SIG_MISSING,     /* no x-signature header, or no v1 in it */
	CAL_SIG_MALFORMED,   /* unparsable header, bad ts, manifest too long */
	CAL_SIG_STALE,       /* ts further than the tolerance from now (or absent while a tolerance applies) */
	CAL_SIG_MISMATCH,    /* HMAC differs */
	CAL_SIG__MAX
} cal_billing_sig_result;

const char *cal_billing_sig_result_name(cal_billing_sig_result r);

/*
 * Verifies a notification from its parts: the secret, the x-signature and x-request-id headers and the
 * query's data.id (each may be NULL). ts may be seconds or milliseconds since the epoch; tolerance_s 0
 * disables the clock check. The HMAC is compared in constant time.
 */
cal_billing_sig_result cal_billing_sig_verify(const char *secret, const char *x_signature, const char *x_request_id,
					      const char *data_id, time_t now, long tolerance_s);

/* The route's authentication (CAL_AUTH_MP_SIGNATURE): query string and headers only. CAL_OK or
 * CAL_ERR_UNAUTHORIZED (logged in the security category without secrets). */
cal_err cal_billing_sig_check(cal_ctx *ctx, cal_request *req);

#endif
