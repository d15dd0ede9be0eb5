/*
 * Unit tests for src/billing/ (SPEC §9): the MercadoPago signature with every manifest rule, the signed
 * subscribe token, the payer e-mail rule, reading notifications and fetched resources, the status
 * derivation (including that the order of facts never matters) and the gate. Includes billing_notify.c to
 * reach the resource mapping.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "../../src/billing/billing_notify.c"

#include "caloria/billing_link.h"
#include "caloria/billing_signature.h"
#include "caloria/billing_state.h"

#define NOW 1700000000
/* HMAC-SHA256("secret", manifest) computed independently (Python hmac). */
#define SIG_FULL "7418b9f11aace80577f43e7a10d222f0215267e0ed97243e9b016780201c9749"  /* id, request-id, ts */
#define SIG_NO_ID "c41ecdbe44268fff2c6e323d72f64753d9d69492d802337b91a872a28c4d88cf" /* request-id, ts */
#define SIG_NO_RID "a030622cb4b9d60e0935ef6cff465be76da9a29f74bb88992af19cfed7fa928f" /* id, ts */

/* ---- manifest and signature --------------------------------------------------------------------------- */

Test(signature, manifest_has_every_part_in_order)
{
	char out[256];

	cr_assert_eq(cal_billing_sig_manifest("abc123", "req-1", "1700000000", out, sizeof out), 41);
	cr_assert_str_eq(out, "id:abc123;request-id:req-1;ts:1700000000;");
}

Test(signature, manifest_lower_cases_only_the_data_id)
{
	char out[256];

	cal_billing_sig_manifest("ABC-Def", "Req-XY", "17", out, sizeof out);
	cr_assert_str_eq(out, "id:abc-def;request-id:Req-XY;ts:17;");
}

Test(signature, manifest_leaves_missing_parts_out_whole)
{
	char out[256];

	cal_billing_sig_manifest(NULL, "r", "1", out, sizeof out);
	cr_assert_str_eq(out, "request-id:r;ts:1;");
	cal_billing_sig_manifest("x", "", "1", out, sizeof out);
	cr_assert_str_eq(out, "id:x;ts:1;");
	cal_billing_sig_manifest("x", "r", NULL, out, sizeof out);
	cr_assert_str_eq(out, "id:x;request-id:r;");
	cr_assert_eq(cal_billing_sig_manifest(NULL, NULL, NULL, out, sizeof out), 0);
	cr_assert_str_eq(out, "");
}

Test(signature, manifest_too_long_is_refused_not_cut)
{
	char out[16];

	cr_assert_eq(cal_billing_sig_manifest("abcdefghijkl", "r", "1", out, sizeof out), -1);
}

Test(signature, header_parses_in_any_order_with_spaces)
{
	char buf[256];
	cal_billing_sig s;

	cr_assert_eq(cal_billing_sig_parse("ts=1700000000,v1=abcd", buf, sizeof buf, &s), 0);
	cr_assert_str_eq(s.ts, "1700000000");
	cr_assert_str_eq(s.v1, "abcd");
	cr_assert_eq(cal_billing_sig_parse(" v1 = ff , ts=12 ,x=1", buf, sizeof buf, &s), 0);
	cr_assert_str_eq(s.ts, "12");
	cr_assert_str_eq(s.v1, "ff");
	cr_assert_eq(cal_billing_sig_parse("ts=,v1=ff", buf, sizeof buf, &s), -1);
}

Test(signature, valid_signature_passes)
{
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000,v1=" SIG_FULL, "req-1", "abc123", NOW, 300), CAL_SIG_OK);
	/* data.id is lower-cased before signing: a query with ABC123 carries the same signature */
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000,v1=" SIG_FULL, "req-1", "ABC123", NOW, 300), CAL_SIG_OK);
	/* an upper-case hex v1 is the same number */
	char upper[100] = "ts=1700000000,v1=";
	for (const char *p = SIG_FULL; *p; p++)
		upper[strlen(upper)] = (char)((*p >= 'a' && *p <= 'f') ? *p - 32 : *p);
	cr_assert_eq(cal_billing_sig_verify("secret", upper, "req-1", "abc123", NOW, 300), CAL_SIG_OK);
}

Test(signature, missing_parts_are_signed_without_them)
{
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000,v1=" SIG_NO_ID, "req-1", NULL, NOW, 300), CAL_SIG_OK);
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000,v1=" SIG_NO_RID, NULL, "abc123", NOW, 300), CAL_SIG_OK);
	/* but a part that is present must be in the manifest */
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000,v1=" SIG_NO_ID, "req-1", "abc123", NOW, 300),
		     CAL_SIG_MISMATCH);
}

Test(signature, forgeries_fail)
{
	const char *h = "ts=1700000000,v1=" SIG_FULL;

	cr_assert_eq(cal_billing_sig_verify("other", h, "req-1", "abc123", NOW, 300), CAL_SIG_MISMATCH);
	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-1", "abc124", NOW, 300), CAL_SIG_MISMATCH);
	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-2", "abc123", NOW, 300), CAL_SIG_MISMATCH);
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000001,v1=" SIG_FULL, "req-1", "abc123", NOW, 300),
		     CAL_SIG_MISMATCH);
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000,v1=abc", "req-1", "abc123", NOW, 300),
		     CAL_SIG_MISMATCH);
	cr_assert_eq(cal_billing_sig_verify("secret", NULL, "req-1", "abc123", NOW, 300), CAL_SIG_MISSING);
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=1700000000", "req-1", "abc123", NOW, 300), CAL_SIG_MISSING);
	cr_assert_eq(cal_billing_sig_verify("secret", "ts=17x,v1=" SIG_FULL, "req-1", "abc123", NOW, 300),
		     CAL_SIG_MALFORMED);
	cr_assert_eq(cal_billing_sig_verify("", h, "req-1", "abc123", NOW, 300), CAL_SIG_NO_SECRET);
	cr_assert_eq(cal_billing_sig_verify(NULL, h, "req-1", "abc123", NOW, 300), CAL_SIG_NO_SECRET);
}

Test(signature, tolerance_in_seconds_and_milliseconds)
{
	const char *h = "ts=1700000000,v1=" SIG_FULL;

	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-1", "abc123", NOW + 300, 300), CAL_SIG_OK);
	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-1", "abc123", NOW - 300, 300), CAL_SIG_OK);
	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-1", "abc123", NOW + 301, 300), CAL_SIG_STALE);
	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-1", "abc123", NOW - 301, 300), CAL_SIG_STALE);
	/* 0 disables the clock check */
	cr_assert_eq(cal_billing_sig_verify("secret", h, "req-1", "abc123", NOW + 999999, 0), CAL_SIG_OK);
	/* a ts in milliseconds is judged as its second; it is signed as sent */
	char ms[128], hex[65], manifest[128];
	int n = cal_billing_sig_manifest("abc123", "req-1", "1700000000123", manifest, sizeof manifest);
	cal_billing_hmac_hex("secret", manifest, (size_t)n, hex);
	snprintf(ms, sizeof ms, "ts=1700000000123,v1=%s", hex);
	cr_assert_eq(cal_billing_sig_verify("secret", ms, "req-1", "abc123", NOW + 10, 300), CAL_SIG_OK);
	cr_assert_eq(cal_billing_sig_verify("secret", ms, "req-1", "abc123", NOW + 400, 300), CAL_SIG_STALE);
	/* without ts, freshness cannot be shown while a tolerance applies */
	n = cal_billing_sig_manifest("abc123", "req-1", NULL, manifest, sizeof manifest);
	cal_billing_hmac_hex("secret", manifest, (size_t)n, hex);
	snprintf(ms, sizeof ms, "v1=%s", hex);
	cr_assert_eq(cal_billing_sig_verify("secret", ms, "req-1", "abc123", NOW, 300), CAL_SIG_STALE);
	cr_assert_eq(cal_billing_sig_verify("secret", ms, "req-1", "abc123", NOW, 0), CAL_SIG_OK);
}

/* ---- subscribe token and e-mail ----------------------------------------------------------------------- */

Test(token, round_trip_names_one_user)
{
	cal_arena a;
	const char *sid = NULL;
	time_t exp = 0;

	cal_arena_init(&a, 4096);
	const char *t = cal_billing_token_make(&a, "k", "user_1-A", NOW, 3600);
	cr_assert_not_null(t);
	cr_assert_eq(cal_billing_token_check(&a, "k", t, NOW + 10, &sid, &exp), CAL_TOKEN_OK);
	cr_assert_str_eq(sid, "user_1-A");
	cr_assert_eq(exp, NOW + 3600);
	cal_arena_free(&a);
}

Test(token, expired_forged_and_malformed)
{
	cal_arena a;
	const char *sid = NULL;

	cal_arena_init(&a, 4096);
	const char *t = cal_billing_token_make(&a, "k", "alice", NOW, 3600);
	cr_assert_eq(cal_billing_token_check(&a, "k", t, NOW + 3601, &sid, NULL), CAL_TOKEN_EXPIRED);
	cr_assert_null(sid);
	cr_assert_eq(cal_billing_token_check(&a, "other", t, NOW, &sid, NULL), CAL_TOKEN_BAD_SIGNATURE);
	/* another user's name with alice's signature */
	char *swapped = cal_arena_strdup(&a, t);
	swapped[0] = 'b';
	cr_assert_eq(cal_billing_token_check(&a, "k", swapped, NOW, &sid, NULL), CAL_TOKEN_BAD_SIGNATURE);
	/* a later expiry with the old signature */
	const char *dot = strchr(t, '.');
	const char *later = cal_arena_printf(&a, "alice.%lld%s", (long long)NOW + 999999, strchr(dot + 1, '.'));
	cr_assert_eq(cal_billing_token_check(&a, "k", later, NOW, &sid, NULL), CAL_TOKEN_BAD_SIGNATURE);
	cr_assert_eq(cal_billing_token_check(&a, "k", "", NOW, &sid, NULL), CAL_TOKEN_MALFORMED);
	cr_assert_eq(cal_billing_token_check(&a, "k", "alice.123", NOW, &sid, NULL), CAL_TOKEN_MALFORMED);
	cr_assert_eq(cal_billing_token_check(&a, "k", NULL, NOW, &sid, NULL), CAL_TOKEN_MALFORMED);
	cr_assert_eq(cal_billing_token_check(&a, "", t, NOW, &sid, NULL), CAL_TOKEN_MALFORMED);
	cr_assert_null(cal_billing_token_make(&a, "", "alice", NOW, 60));
	cr_assert_null(cal_billing_token_make(&a, "k", "bad id!", NOW, 60));
	cal_arena_free(&a);
}

Test(token, link_url_uses_public_url)
{
	cal_arena a;
	cal_conf conf;

	memset(&conf, 0, sizeof conf);
	conf.server_public_url = "https://caloria.example/";
	conf.manychat_webhook_token = "tok";
	cal_arena_init(&a, 4096);
	const char *u = cal_billing_link_url(&a, &conf, "42", NOW);
	cr_assert(strncmp(u, "https://caloria.example/subscribe?t=42.", 39) == 0, "%s", u);
	cal_arena_free(&a);
}

Test(email, rule)
{
	cr_assert(cal_billing_email_valid("ana@example.com"));
	cr_assert(cal_billing_email_valid("a.b+tag@mail.example.com.ar"));
	cr_assert_not(cal_billing_email_valid("anaexample.com"));
	cr_assert_not(cal_billing_email_valid("ana@example"));
	cr_assert_not(cal_billing_email_valid("ana@@example.com"));
	cr_assert_not(cal_billing_email_valid("an a@example.com"));
	cr_assert_not(cal_billing_email_valid("<x>@example.com"));
	cr_assert_not(cal_billing_email_valid("ana@exa_mple.com"));
	cr_assert_not(cal_billing_email_valid("ana@.example.com"));
	cr_assert_not(cal_billing_email_valid("ana@example..com"));
	cr_assert_not(cal_billing_email_valid("@example.com"));
	cr_assert_not(cal_billing_email_valid(""));
	cr_assert_not(cal_billing_email_valid(NULL));
}

/* ---- notifications and resources ---------------------------------------------------------------------- */

Test(notice, query_forms_and_body)
{
	cal_arena a;
	cal_billing_notice n;
	struct json_object *body = json_tokener_parse(
		"{\"id\": 12345, \"type\": \"payment\", \"action\": \"payment.updated\", \"data\": {\"id\": \"999\"}}");

	cal_arena_init(&a, 4096);
	cr_assert_eq(cal_billing_notice_read(&a, "777", "payment", NULL, NULL, NULL, &n), CAL_OK);
	cr_assert_eq(n.topic, CAL_TOPIC_PAYMENT);
	cr_assert_str_eq(n.resource_id, "777");
	cr_assert_eq(cal_billing_notice_read(&a, NULL, NULL, "2c93", "preapproval", NULL, &n), CAL_OK);
	cr_assert_eq(n.topic, CAL_TOPIC_PREAPPROVAL);
	cr_assert_eq(cal_billing_notice_read(&a, NULL, NULL, NULL, NULL, body, &n), CAL_OK);
	cr_assert_str_eq(n.resource_id, "999");
	cr_assert_str_eq(n.action, "payment.updated");
	cr_assert_eq(cal_billing_notice_read(&a, NULL, "subscription_authorized_payment", NULL, NULL, body, &n), CAL_OK);
	cr_assert_eq(n.topic, CAL_TOPIC_AUTHORIZED_PAYMENT);
	cr_assert_eq(cal_billing_notice_read(&a, "1", "merchant_order", NULL, NULL, NULL, &n), CAL_OK);
	cr_assert_eq(n.topic, CAL_TOPIC_UNKNOWN);
	cr_assert_eq(cal_billing_notice_read(&a, "1;DROP", "payment", NULL, NULL, NULL, &n), CAL_ERR_VALIDATION);
	cr_assert_eq(cal_billing_notice_read(&a, NULL, "payment", NULL, NULL, NULL, &n), CAL_ERR_VALIDATION);
	json_object_put(body);
	cal_arena_free(&a);
}

Test(resource, payment_mapping_uses_fetched_fields)
{
	cal_arena a;
	resource r;
	struct json_object *o = json_tokener_parse(
		"{\"id\": 5551234567, \"status\": \"approved\", \"date_approved\": \"2026-12-04T10:00:00.000-03:00\","
		" \"date_created\": \"2026-12-01T00:00:00Z\", \"transaction_amount\": 4999.0, \"currency_id\": \"ARS\","
		" \"external_reference\": \"sub_1\", \"metadata\": {\"preapproval_id\": \"pre1\"}}");

	cal_arena_init(&a, 4096);
	cr_assert_eq(read_resource(&a, CAL_TOPIC_PAYMENT, o, &r), 0);
	cr_assert_str_eq(r.id, "5551234567");
	cr_assert_str_eq(r.status, "approved");
	cr_assert_str_eq(r.external_reference, "sub_1");
	cr_assert_str_eq(r.preapproval_id, "pre1");
	cr_assert_eq(r.at, cal_billing_parse_time("2026-12-04T13:00:00Z"));
	cr_assert_str_eq(r.currency, "ARS");
	json_object_put(o);
	cal_arena_free(&a);
}

Test(resource, authorized_payment_is_stored_as_its_charge)
{
	cal_arena a;
	resource r;
	struct json_object *o = json_tokener_parse(
		"{\"id\": 700, \"status\": \"processed\", \"preapproval_id\": \"pre1\", \"debit_date\": \"2026-12-04T10:00:00Z\","
		" \"payment\": {\"id\": 5551, \"status\": \"approved\"}}");
	struct json_object *bare = json_tokener_parse("{\"id\": \"700\", \"status\": \"approved\"}");
	struct json_object *bad = json_tokener_parse("{\"id\": \"7 0\", \"status\": \"approved\"}");

	cal_arena_init(&a, 4096);
	cr_assert_eq(read_resource(&a, CAL_TOPIC_AUTHORIZED_PAYMENT, o, &r), 0);
	cr_assert_str_eq(r.id, "5551");
	cr_assert_str_eq(r.status, "approved");
	cr_assert_str_eq(r.preapproval_id, "pre1");
	cr_assert_eq(read_resource(&a, CAL_TOPIC_AUTHORIZED_PAYMENT, bare, &r), 0);
	cr_assert_str_eq(r.id, "700");
	cr_assert_eq(read_resource(&a, CAL_TOPIC_PAYMENT, bad, &r), -1);
	cr_assert_eq(read_resource(&a, CAL_TOPIC_PAYMENT, NULL, &r), -1);
	json_object_put(o);
	json_object_put(bare);
	json_object_put(bad);
	cal_arena_free(&a);
}

/* ---- status derivation and gate ----------------------------------------------------------------------- */

static const char *derive(const char *current, time_t trial_end, const char *pre, const cal_billing_payment *p,
			  size_t n, cal_billing_state *s)
{
	cal_billing_facts f = {.current = current, .trial_ends_at = trial_end, .preapproval_status = pre,
			       .payments = p, .npayments = n};
	cal_billing_derive(&f, NOW, s);
	return s->status;
}

Test(state, mapping_of_spec)
{
	cal_billing_state s;
	cal_billing_payment approved[] = {{"approved", NOW - 86400}};
	cal_billing_payment rejected[] = {{"rejected", NOW - 3600}};
	cal_billing_payment refunded[] = {{"refunded", NOW - 86400}};

	cr_assert_str_eq(derive("trial_expired", 0, "authorized", approved, 1, &s), "active");
	cr_assert_eq(s.paid_until, cal_billing_add_month(NOW - 86400));
	cr_assert_str_eq(derive("active", 0, "paused", approved, 1, &s), "paused");
	cr_assert_str_eq(derive("active", 0, "cancelled", approved, 1, &s), "cancelled");
	cr_assert(cal_billing_entitled("cancelled", 0, s.paid_until, NOW), "cancelled keeps access until paid_until");
	cr_assert_str_eq(derive("pending", 0, "pending", rejected, 1, &s), "payment_failed");
	cr_assert_str_eq(derive("active", 0, "authorized", refunded, 1, &s), "cancelled");
	cr_assert(s.revoked);
	cr_assert_not(cal_billing_entitled(s.status, 0, s.paid_until, NOW));
	/* no activation without an approved payment, whatever the preapproval says */
	cr_assert_str_eq(derive("trial_expired", 0, "authorized", NULL, 0, &s), "pending");
	cr_assert_str_eq(derive("trial_expired", 0, "authorized", rejected, 1, &s), "payment_failed");
	/* checking out during the trial keeps the trial */
	cr_assert_str_eq(derive("trial", NOW + 3600, "authorized", NULL, 0, &s), "trial");
	cr_assert_str_eq(derive("trial", NOW - 1, NULL, NULL, 0, &s), "trial_expired");
	cr_assert_str_eq(derive("none", 0, NULL, NULL, 0, &s), "none");
}

Test(state, order_of_payments_never_matters)
{
	cal_billing_payment p[] = {{"rejected", NOW - 40 * 86400}, {"approved", NOW - 2 * 86400},
				   {"refunded", NOW - 70 * 86400}, {"approved", NOW - 35 * 86400}};
	cal_billing_payment q[4];
	cal_billing_state first, s;
	int perm[24][4], np = 0;

	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			for (int c = 0; c < 4; c++)
				for (int d = 0; d < 4; d++)
					if (a != b && a != c && a != d && b != c && b != d && c != d) {
						perm[np][0] = a, perm[np][1] = b, perm[np][2] = c, perm[np][3] = d;
						np++;
					}
	derive("trial_expired", 0, "authorized", p, 4, &first);
	cr_assert_str_eq(first.status, "active");
	for (int i = 0; i < np; i++) {
		for (int j = 0; j < 4; j++)
			q[j] = p[perm[i][j]];
		derive("trial_expired", 0, "authorized", q, 4, &s);
		cr_assert_str_eq(s.status, first.status);
		cr_assert_eq(s.paid_until, first.paid_until);
	}
}

Test(state, gate)
{
	cr_assert(cal_billing_gate_allows("trial", NOW + 1, 0, 99, 3, NOW));
	cr_assert_not(cal_billing_gate_allows("trial", NOW - 1, 0, 3, 3, NOW));
	cr_assert(cal_billing_gate_allows("trial_expired", 0, 0, 2, 3, NOW));
	cr_assert_not(cal_billing_gate_allows("trial_expired", 0, 0, 3, 3, NOW));
	cr_assert(cal_billing_gate_allows("active", 0, NOW + 10, 50, 3, NOW));
	cr_assert_not(cal_billing_gate_allows("active", 0, NOW - 10, 3, 3, NOW));
	cr_assert_not(cal_billing_gate_allows("paused", 0, NOW + 10, 3, 3, NOW));
	cr_assert_not(cal_billing_gate_allows("pending", 0, 0, 3, 3, NOW));
	cr_assert_not(cal_billing_gate_allows("payment_failed", 0, 0, 0, 0, NOW));
}

Test(state, times)
{
	cr_assert_eq(cal_billing_parse_time("2026-12-04T10:20:30.000-03:00"), cal_billing_parse_time("2026-12-04T13:20:30Z"));
	cr_assert_eq(cal_billing_parse_time("2026-12-04 13:20:30"), cal_billing_parse_time("2026-12-04T13:20:30Z"));
	cr_assert_eq(cal_billing_parse_time("2026-12-04"), 0);
	cr_assert_eq(cal_billing_parse_time("garbage-in-garbage"), 0);
	cr_assert_eq(cal_billing_parse_time(NULL), 0);
	cr_assert_eq(cal_billing_add_month(cal_billing_parse_time("2026-01-31T12:00:00Z")),
		     cal_billing_parse_time("2026-02-28T12:00:00Z"));
	cr_assert_eq(cal_billing_add_month(cal_billing_parse_time("2028-01-31T00:00:00Z")),
		     cal_billing_parse_time("2028-02-29T00:00:00Z"));
	cr_assert_eq(cal_billing_add_month(cal_billing_parse_time("2026-12-15T08:00:00Z")),
		     cal_billing_parse_time("2027-01-15T08:00:00Z"));
}

Test(outcome, what_the_user_is_told)
{
	cal_billing_outcome o = {.changed = true, .status = "active"};
	bool button;

	cr_assert_eq(cal_billing_outcome_message(&o, &button), CAL_MSG_SUB_ACTIVE);
	o.status = "paused";
	cr_assert_eq(cal_billing_outcome_message(&o, &button), CAL_MSG_SUB_PAUSED);
	o.status = "payment_failed";
	cr_assert_eq(cal_billing_outcome_message(&o, &button), CAL_MSG_SUB_PAYMENT_FAILED);
	o.status = "cancelled";
	cr_assert_eq(cal_billing_outcome_message(&o, &button), CAL_MSG_SUB_CANCELLED);
	cr_assert_not(button);
	o.revoked = true;
	cr_assert_eq(cal_billing_outcome_message(&o, &button), CAL_MSG_SUB_REVOKED);
	cr_assert(button);
	o.changed = false;
	cr_assert_eq(cal_billing_outcome_message(&o, &button), CAL_MSG__MAX);
}
