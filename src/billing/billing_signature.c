/*
 * MercadoPago webhook signatures (billing_signature.h): parsing x-signature, building the manifest exactly
 * as SPEC §9.3 says, the HMAC, the clock check and the route's authentication. The earlier implementation
 * signed the wrong manifest; the unit tests pin every rule (lower-cased data.id, parts left out whole,
 * seconds or milliseconds, constant-time comparison).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "caloria/billing_signature.h"
#include "caloria/log.h"

#define SIG_HEADER_MAX 512
#define MS_THRESHOLD 100000000000LL /* 1e11: as seconds that is the year 5138, so larger values are ms */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int cal_billing_sig_parse(const char *header, char *buf, size_t n, cal_billing_sig *out)
{
	char *save = NULL, *part;

	memset(out, 0, sizeof *out);
	if (header == NULL || strlen(header) >= n)
		return -1;
	strcpy(buf, header);
	for (part = strtok_r(buf, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(part, '='), *key, *val;
		if (eq == NULL)
			continue;
		*eq = '\0';
		key = trim(part);
		val = trim(eq + 1);
		if (strcmp(key, "ts") == 0)
			out->ts = val;
		else if (strcmp(key, "v1") == 0)
			out->v1 = val;
	}
	if ((out->ts != NULL && out->ts[0] == '\0') || (out->v1 != NULL && out->v1[0] == '\0'))
		return -1;
	return 0;
}

/* Appends "<label>:<value>;" when value is non-empty; false when it does not fit. */
static bool segment(char *out, size_t n, size_t *len, const char *label, const char *value, bool lower)
{
	size_t vl, ll = strlen(label);

	if (value == NULL || value[0] == '\0')
		return true;
	vl = strlen(value);
	if (*len + ll + vl + 2 >= n)
		return false;
	memcpy(out + *len, label, ll);
	*len += ll;
	out[(*len)++] = ':';
	for (size_t i = 0; i < vl; i++)
		out[(*len)++] = lower ? (char)tolower((unsigned char)value[i]) : value[i];
	out[(*len)++] = ';';
	out[*len] = '\0';
	return true;
}

int cal_billing_sig_manifest(const char *data_id, const char *request_id, const char *ts, char *out, size_t n)
{
	size_t len = 0;

	if (n == 0)
		return -1;
	out[0] = '\0';
	if (!segment(out, n, &len, "id", data_id, true) || !segment(out, n, &len, "request-id", request_id, false) ||
	    !segment(out, n, &len, "ts", ts, false))
		return -1;
	return (int)len;
}

void cal_billing_hmac_hex(const char *secret, const void *msg, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, len, mac, &maclen);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
}

const char *cal_billing_sig_result_name(cal_billing_sig_result r)
{
	static const char *const names[CAL_SIG__MAX] = {"ok", "no_secret", "missing", "malformed", "stale",
							 "mismatch"};

	return r < CAL_SIG__MAX ? names[r] : "?";
}

/* ts as seconds since the epoch; -1 when it is not 1–19 digits. */
static long long ts_seconds(const char *ts)
{
	char *end = NULL;
	long long v;

	if (ts == NULL || !isdigit((unsigned char)ts[0]) || strlen(ts) > 19)
		return -1;
	v = strtoll(ts, &end, 10);
	if (*end != '\0' || v < 0)
		return -1;
	return v >= MS_THRESHOLD ? v / 1000 : v;
}

cal_billing_sig_result cal_billing_sig_verify(const char *secret, const char *x_signature, const char *x_request_id,
					      const char *data_id, time_t now, long tolerance_s)
{
	char buf[SIG_HEADER_MAX], manifest[CAL_BILLING_MANIFEST_MAX], want[65], given[65];
	cal_billing_sig sig;
	int len;

	if (secret == NULL || secret[0] == '\0')
		return CAL_SIG_NO_SECRET;
	if (x_signature == NULL)
		return CAL_SIG_MISSING;
	if (cal_billing_sig_parse(x_signature, buf, sizeof buf, &sig) != 0)
		return CAL_SIG_MALFORMED;
	if (sig.v1 == NULL)
		return CAL_SIG_MISSING;
	if (sig.ts != NULL && ts_seconds(sig.ts) < 0)
		return CAL_SIG_MALFORMED;
	/* Freshness needs a ts: without one a captured notification could be replayed forever. */
	if (tolerance_s > 0 && (sig.ts == NULL || llabs((long long)now - ts_seconds(sig.ts)) > tolerance_s))
		return CAL_SIG_STALE;
	len = cal_billing_sig_manifest(data_id, x_request_id, sig.ts, manifest, sizeof manifest);
	if (len < 0)
		return CAL_SIG_MALFORMED;
	cal_billing_hmac_hex(secret, manifest, (size_t)len, want);
	if (strlen(sig.v1) != 64)
		return CAL_SIG_MISMATCH;
	for (int i = 0; i < 64; i++)
		given[i] = (char)tolower((unsigned char)sig.v1[i]);
	given[64] = '\0';
	return CRYPTO_memcmp(want, given, 64) == 0 ? CAL_SIG_OK : CAL_SIG_MISMATCH;
}

cal_err cal_billing_sig_check(cal_ctx *ctx, cal_request *req)
{
	cal_billing_sig_result r = cal_billing_sig_verify(
		ctx->conf.mercadopago_webhook_secret, cal_http_header(req, "X-Signature"),
		cal_http_header(req, "X-Request-Id"), cal_http_query(req, "data.id"), time(NULL),
		ctx->conf.mercadopago_signature_tolerance_s);

	if (r == CAL_SIG_OK)
		return CAL_OK;
	cal_warn("security", "mercadopago notification rejected (%s) from %s", cal_billing_sig_result_name(r),
		 req->client_ip != NULL ? req->client_ip : "-");
	return CAL_ERR_UNAUTHORIZED;
}
