/*
 * Unit tests for fcgi/pool.c: --listen parsing (unix paths, IPv4, bracketed IPv6, wildcard, every malformed
 * form) and the restart back-off schedule. The process behaviour (fork, signals, reload) is covered end to
 * end by tests/e2e/test_pool.py.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "../../fcgi/pool.h"

static void parse_ok(const char *spec, cal_pool_addr *a)
{
	const char *why = NULL;
	cr_assert_eq(cal_pool_parse_listen(spec, a, &why), 0, "%s rejected: %s", spec, why ? why : "");
}

static void parse_bad(const char *spec)
{
	cal_pool_addr a;
	const char *why = NULL;
	cr_assert_eq(cal_pool_parse_listen(spec, &a, &why), -1, "%s accepted", spec ? spec : "(null)");
	cr_assert_not_null(why, "%s: no reason given", spec ? spec : "(null)");
	cr_assert_gt(strlen(why), 0);
}

Test(pool, listen_unix)
{
	cal_pool_addr a;
	parse_ok("unix:/run/caloria.sock", &a);
	cr_assert(a.is_unix);
	cr_assert_str_eq(a.path, "/run/caloria.sock");
	parse_ok("unix:relative.sock", &a);
	cr_assert_str_eq(a.path, "relative.sock");
}

Test(pool, listen_tcp_v4_v6_and_wildcard)
{
	cal_pool_addr a;
	parse_ok("127.0.0.1:9000", &a);
	cr_assert(!a.is_unix);
	cr_assert_str_eq(a.host, "127.0.0.1");
	cr_assert_str_eq(a.port, "9000");
	parse_ok("[::1]:9001", &a);
	cr_assert_str_eq(a.host, "::1");
	cr_assert_str_eq(a.port, "9001");
	parse_ok("*:80", &a);
	cr_assert_str_eq(a.host, "");
	cr_assert_str_eq(a.port, "80");
	parse_ok(":65535", &a);
	cr_assert_str_eq(a.host, "");
	cr_assert_str_eq(a.port, "65535");
	parse_ok("localhost:8080", &a);
	cr_assert_str_eq(a.host, "localhost");
}

Test(pool, listen_rejects_malformed)
{
	char longpath[200];

	parse_bad(NULL);
	parse_bad("");
	parse_bad("unix:");
	parse_bad("9000");
	parse_bad("127.0.0.1");
	parse_bad("127.0.0.1:");
	parse_bad("127.0.0.1:0");
	parse_bad("127.0.0.1:65536");
	parse_bad("127.0.0.1:99999999999999999999");
	parse_bad("127.0.0.1:90a");
	parse_bad("127.0.0.1:-1");
	parse_bad("::1:9000");
	parse_bad("[::1]9000");
	parse_bad("[::1");
	memset(longpath, 'a', sizeof longpath - 1);
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof longpath - 1] = '\0';
	parse_bad(longpath);
}

Test(pool, backoff_doubles_up_to_ten_seconds)
{
	cr_assert_eq(cal_pool_backoff_ms(1), 100);
	cr_assert_eq(cal_pool_backoff_ms(2), 200);
	cr_assert_eq(cal_pool_backoff_ms(3), 400);
	cr_assert_eq(cal_pool_backoff_ms(7), 6400);
	cr_assert_eq(cal_pool_backoff_ms(8), 10000);
	cr_assert_eq(cal_pool_backoff_ms(1000), 10000);
	for (unsigned n = 1; n < 64; n++)
		cr_assert_leq(cal_pool_backoff_ms(n), cal_pool_backoff_ms(n + 1), "not monotonic at %u", n);
}
