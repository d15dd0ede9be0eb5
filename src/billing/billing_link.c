/*
 * Signed subscribe links and the payer e-mail rule (billing_link.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "caloria/billing_link.h"
#include "caloria/billing_signature.h"
#include "caloria/users.h"

static const char key_label[] = "caloria subscribe link v1";

/* The link key: HMAC(secret, label), so the configured secret is never the key itself. */
static void link_key(const char *secret, char key[65])
{
	cal_billing_hmac_hex(secret, key_label, sizeof key_label - 1, key);
}

const char *cal_billing_token_make(cal_arena *a, const char *secret, const char *subscriber_id, time_t now,
				   long ttl_s)
{
	char key[65], mac[65];
	const char *signed_part;

	if (secret == NULL || secret[0] == '\0' || !cal_users_valid_subscriber(subscriber_id))
		return NULL;
	link_key(secret, key);
	signed_part = cal_arena_printf(a, "%s.%lld", subscriber_id, (long long)now + ttl_s);
	cal_billing_hmac_hex(key, signed_part, strlen(signed_part), mac);
	return cal_arena_printf(a, "%s.%s", signed_part, mac);
}

cal_billing_token_result cal_billing_token_check(cal_arena *a, const char *secret, const char *token, time_t now,
						 const char **subscriber_id, time_t *expires)
{
	char key[65], mac[65];
	const char *dot1, *dot2;
	char *end = NULL, *sid;
	long long exp;

	*subscriber_id = NULL;
	if (secret == NULL || secret[0] == '\0' || token == NULL || strlen(token) > CAL_BILLING_TOKEN_MAX)
		return CAL_TOKEN_MALFORMED;
	dot2 = strrchr(token, '.');
	if (dot2 == NULL || strlen(dot2 + 1) != 64)
		return CAL_TOKEN_MALFORMED;
	for (dot1 = dot2 - 1; dot1 > token && *dot1 != '.'; dot1--)
		;
	if (dot1 <= token || dot2 - dot1 < 2 || !isdigit((unsigned char)dot1[1]))
		return CAL_TOKEN_MALFORMED;
	exp = strtoll(dot1 + 1, &end, 10);
	if (end != dot2 || exp <= 0)
		return CAL_TOKEN_MALFORMED;
	sid = cal_arena_strndup(a, token, (size_t)(dot1 - token));
	if (!cal_users_valid_subscriber(sid))
		return CAL_TOKEN_MALFORMED;
	link_key(secret, key);
	cal_billing_hmac_hex(key, token, (size_t)(dot2 - token), mac);
	if (CRYPTO_memcmp(mac, dot2 + 1, 64) != 0)
		return CAL_TOKEN_BAD_SIGNATURE;
	if (expires != NULL)
		*expires = (time_t)exp;
	if ((long long)now > exp)
		return CAL_TOKEN_EXPIRED;
	*subscriber_id = sid;
	return CAL_TOKEN_OK;
}

const char *cal_billing_link_url(cal_arena *a, const cal_conf *conf, const char *subscriber_id, time_t now)
{
	const char *t = cal_billing_token_make(a, conf->manychat_webhook_token, subscriber_id, now,
					       CAL_BILLING_LINK_TTL_S);
	const char *base = conf->server_public_url != NULL ? conf->server_public_url : "";
	size_t n = strlen(base);

	if (t == NULL)
		return NULL;
	/* The token is [A-Za-z0-9_.-] only, so it needs no escaping in a URL. */
	return cal_arena_printf(a, "%.*s/subscribe?t=%s", (int)(n > 0 && base[n - 1] == '/' ? n - 1 : n), base, t);
}

cal_err cal_billing_link_check(const cal_conf *conf, const char *token, cal_arena *a)
{
	const char *sid = NULL;

	return cal_billing_token_check(a, conf->manychat_webhook_token, token, time(NULL), &sid, NULL) == CAL_TOKEN_OK
		       ? CAL_OK
		       : CAL_ERR_FORBIDDEN;
}

static bool local_char(unsigned char c)
{
	return c > ' ' && c < 0x7F && c != '"' && c != '(' && c != ')' && c != ',' && c != ':' && c != ';' &&
	       c != '<' && c != '>' && c != '@' && c != '[' && c != '\\' && c != ']';
}

bool cal_billing_email_valid(const char *email)
{
	const char *at, *p, *label;
	size_t n;
	int dots = 0;

	if (email == NULL || (n = strlen(email)) < 3 || n > CAL_BILLING_EMAIL_MAX)
		return false;
	at = strchr(email, '@');
	if (at == NULL || at == email || at - email > 64 || strchr(at + 1, '@') != NULL)
		return false;
	for (p = email; p < at; p++)
		if (!local_char((unsigned char)*p))
			return false;
	if (email[0] == '.' || at[-1] == '.')
		return false;
	for (label = p = at + 1;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || label[0] == '-' || p[-1] == '-' || p - label > 63)
				return false;
			if (*p == '\0')
				break;
			dots++;
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-') {
			return false;
		}
	}
	return dots >= 1;
}
