/*
 * Unit tests for src/admin/ and src/services/pages.c: scrypt hashes (format, salt, verification, tampered
 * and absurd parameters), HMAC and constant-time helpers, HTML escaping and URL encoding, money in cents,
 * subscriber-id masking, the LIKE pattern of the user search, charts and the public pages' language choice.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../src/admin/admin_stats.c"
#include "caloria/admin_auth.h"
#include "caloria/admin_html.h"
#include "caloria/pages.h"

Test(admin, scrypt_hash_verifies_and_salts)
{
	char *a = NULL, *b = NULL;

	cr_assert_eq(cal_admin_password_hash("correct horse battery", &a), CAL_OK);
	cr_assert_eq(cal_admin_password_hash("correct horse battery", &b), CAL_OK);
	cr_assert(strncmp(a, "scrypt$16384$8$1$", 17) == 0, "parameters stored with the hash: %s", a);
	cr_assert_str_neq(a, b, "two hashes of one password differ (per-user salt)");
	cr_assert(cal_admin_password_verify("correct horse battery", a));
	cr_assert(cal_admin_password_verify("correct horse battery", b));
	cr_assert_not(cal_admin_password_verify("correct horse batterY", a));
	cr_assert_not(cal_admin_password_verify("", a));
	free(a);
	free(b);
}

Test(admin, malformed_or_absurd_hashes_never_match)
{
	char *h = NULL;

	cr_assert_eq(cal_admin_password_hash("pw-0123456789", &h), CAL_OK);
	char *t = strdup(h);
	t[strlen(t) - 1] = t[strlen(t) - 1] == '0' ? '1' : '0'; /* one bit of the key */
	cr_assert_not(cal_admin_password_verify("pw-0123456789", t));
	cr_assert_not(cal_admin_password_verify("pw-0123456789", "plain-text"));
	cr_assert_not(cal_admin_password_verify("pw-0123456789", NULL));
	cr_assert_not(cal_admin_password_verify("pw-0123456789", "scrypt$1073741824$8$1$00112233445566778899aabbccddeeff$"
							     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
	cr_assert_not(cal_admin_password_verify("pw-0123456789", "scrypt$16385$8$1$00112233445566778899aabbccddeeff$"
							     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
	free(t);
	free(h);
}

Test(admin, hmac_and_random_hex)
{
	char mac[65], r1[65], r2[65];

	/* RFC 4231 test case 2. */
	cal_admin_hmac_hex("Jefe", "what do ya want for nothing?", mac);
	cr_assert_str_eq(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	cr_assert_eq(cal_admin_random_hex(r1, 32), 0);
	cr_assert_eq(cal_admin_random_hex(r2, 32), 0);
	cr_assert_eq(strlen(r1), 64);
	cr_assert_str_neq(r1, r2);
}

Test(admin, csrf_of_a_session_is_exact)
{
	cal_admin_who who = {.admin_id = 1, .csrf = "ab12"};

	cr_assert(cal_admin_csrf_ok(&who, "ab12"));
	cr_assert_not(cal_admin_csrf_ok(&who, "ab13"));
	cr_assert_not(cal_admin_csrf_ok(&who, "ab1"));
	cr_assert_not(cal_admin_csrf_ok(&who, NULL));
	cr_assert_not(cal_admin_csrf_ok(NULL, "ab12"));
}

Test(admin, html_escape)
{
	cal_arena a;

	cal_arena_init(&a, 1024);
	cr_assert_str_eq(cal_html_esc(&a, "<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
	cr_assert_str_eq(cal_html_esc(&a, "a\"b'c&d"), "a&quot;b&#39;c&amp;d");
	cr_assert_str_eq(cal_html_esc(&a, "plain ñandú"), "plain ñandú");
	cr_assert_str_eq(cal_html_esc(&a, NULL), "");
	cr_assert_str_eq(cal_html_urlenc(&a, "a b&c=<d>"), "a%20b%26c%3D%3Cd%3E");
	cal_arena_free(&a);
}

Test(admin, chart_escapes_labels_and_handles_zeros)
{
	cal_arena a;
	cal_buf b;
	double v[3] = {0, 0, 0};
	const double *const s[] = {v};
	const char *const labels[] = {"<d1>", "d2", "d3"}, *const names[] = {"<n>"};

	cal_arena_init(&a, 1024);
	cal_buf_init(&b);
	cal_html_chart(&b, &a, "T<i>", 3, labels, 1, s, names);
	cr_assert(strstr(b.data, "<svg") != NULL);
	cr_assert(strstr(b.data, "<i>") == NULL && strstr(b.data, "<d1>") == NULL && strstr(b.data, "<n>") == NULL);
	cr_assert(strstr(b.data, "<rect") == NULL, "no bars for zeros");
	cal_buf_free(&b);
	cal_arena_free(&a);
}

Test(admin, money_in_cents)
{
	cr_assert_eq(cents_of("4999.00"), 499900);
	cr_assert_eq(cents_of("4999.5"), 499950);
	cr_assert_eq(cents_of("10"), 1000);
	cr_assert_eq(cents_of("1.999"), -1);
	cr_assert_eq(cents_of("abc"), -1);
	cr_assert_eq(cents_of(""), -1);
}

Test(admin, subscriber_ids_masked_for_viewers)
{
	cal_arena a;

	cal_arena_init(&a, 1024);
	cr_assert_str_eq(cal_stats_subscriber_shown(&a, "1234567890", CAL_ROLE_ADMIN), "1234567890");
	cr_assert_str_eq(cal_stats_subscriber_shown(&a, "1234567890", CAL_ROLE_VIEWER), "12…90");
	cr_assert_str_eq(cal_stats_subscriber_shown(&a, "1234", CAL_ROLE_VIEWER), "…");
	cr_assert_str_eq(cal_stats_rfc3339(&a, "2026-01-31 14:05:09"), "2026-01-31T14:05:09Z");
	cal_arena_free(&a);
}

Test(admin, search_pattern_is_literal)
{
	cal_arena a;

	cal_arena_init(&a, 1024);
	cr_assert_str_eq(like_pattern(&a, "ana"), "%ana%");
	cr_assert_str_eq(like_pattern(&a, "50%_x\\"), "%50\\%\\_x\\\\%");
	cal_arena_free(&a);
}

Test(pages, language_and_content)
{
	cal_arena a;
	cal_buf b;

	cr_assert_eq(cal_pages_lang("en", "es-AR", CAL_LANG_ES), CAL_LANG_EN);
	cr_assert_eq(cal_pages_lang(NULL, "en-US,en;q=0.9", CAL_LANG_ES), CAL_LANG_EN);
	cr_assert_eq(cal_pages_lang("xx", NULL, CAL_LANG_EN), CAL_LANG_EN);
	cal_arena_init(&a, 1024);
	cal_buf_init(&b);
	cal_pages_render(&b, &a, CAL_PAGE_TERMS, CAL_LANG_EN, "4999.00", "<ARS>", 3);
	cr_assert(strstr(b.data, "free trial of 3 day(s)") != NULL);
	cr_assert(strstr(b.data, "4999.00 &lt;ARS&gt;") != NULL, "configuration values are escaped");
	cr_assert(strstr(b.data, "{price}") == NULL);
	cal_buf_reset(&b);
	cal_pages_render(&b, &a, CAL_PAGE_PRIVACY, CAL_LANG_ES, "1", "ARS", 1);
	cr_assert(strstr(b.data, "borrar mis datos") != NULL && strstr(b.data, "lang=\"es\"") != NULL);
	cal_buf_free(&b);
	cal_arena_free(&a);
}
