/*
 * Unit tests for src/log.c: the JSON shape of a line, escaping of untrusted bytes, the masking table and
 * level filtering. Lines are written to a temporary file and read back.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caloria/log.h"

static char logpath[64];

static void open_log(const char *level)
{
	snprintf(logpath, sizeof logpath, "/tmp/cal-test-log-%ld.jsonl", (long)getpid());
	unlink(logpath);
	cr_assert_eq(cal_log_init(level, logpath), 0);
}

static void close_log(void)
{
	cal_log_close();
	unlink(logpath);
}

/* Reads the whole log file; the caller frees it. */
static char *slurp(void)
{
	FILE *f = fopen(logpath, "r");
	cr_assert_not_null(f);
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Parses the first line as JSON (asserting it is one object). */
static struct json_object *first_line(void)
{
	char *all = slurp();
	char *nl = strchr(all, '\n');
	cr_assert_not_null(nl, "no complete line in %s", all);
	*nl = '\0';
	struct json_object *o = json_tokener_parse(all);
	cr_assert_not_null(o, "not JSON: %s", all);
	cr_assert(json_object_is_type(o, json_type_object));
	free(all);
	return o;
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;
	cr_assert(json_object_object_get_ex(o, key, &v), "missing field %s", key);
	return json_object_get_string(v);
}

Test(log, line_has_the_spec_shape, .fini = close_log)
{
	open_log("info");
	cal_log_set_request_id("req-123");
	cal_info("webhook", "user %s logged %d items", "abc", 3);
	struct json_object *o = first_line();
	const char *ts = field(o, "ts");
	/* 2026-11-26T04:13:00.123Z */
	cr_assert_eq(strlen(ts), 24, "ts %s", ts);
	cr_assert_eq(ts[4], '-');
	cr_assert_eq(ts[10], 'T');
	cr_assert_eq(ts[19], '.');
	cr_assert_eq(ts[23], 'Z');
	cr_assert_str_eq(field(o, "level"), "info");
	cr_assert_str_eq(field(o, "category"), "webhook");
	cr_assert_str_eq(field(o, "request_id"), "req-123");
	cr_assert_str_eq(field(o, "msg"), "user abc logged 3 items");
	struct json_object *pid;
	cr_assert(json_object_object_get_ex(o, "pid", &pid));
	cr_assert(json_object_is_type(pid, json_type_int));
	cr_assert_eq(json_object_get_int(pid), getpid());
	json_object_put(o);
}

Test(log, fields_are_added_and_masked, .fini = close_log)
{
	open_log("debug");
	cal_log_set_request_id(NULL);
	cal_log_fields(CAL_LOG_WARN, "security", "login failed", "route", "admin_login", "email", "ana@mail.com",
		       "nothing", NULL, NULL);
	struct json_object *o = first_line();
	cr_assert_str_eq(field(o, "level"), "warn");
	cr_assert_str_eq(field(o, "request_id"), "");
	cr_assert_str_eq(field(o, "route"), "admin_login");
	cr_assert_str_eq(field(o, "email"), "a***@m***.com");
	struct json_object *v;
	cr_assert(json_object_object_get_ex(o, "nothing", &v));
	cr_assert_null(v);
	json_object_put(o);
}

Test(log, control_characters_quotes_and_bad_utf8_are_escaped, .fini = close_log)
{
	open_log("info");
	cal_info("app", "a\"b\\c\nd\re\tf\x01g\x7fh \xff\xfe i \xc3\xa9 \xed\xa0\x80 \xc0\xaf end");
	char *all = slurp();
	cr_assert_eq(count_lines(all), 1, "one physical line: %s", all);
	cr_assert_not_null(strstr(all, "a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh"), "%s", all);
	/* Invalid bytes, surrogates and overlongs become U+FFFD; valid é stays. */
	cr_assert_not_null(strstr(all, " \xef\xbf\xbd\xef\xbf\xbd i \xc3\xa9 "), "%s", all);
	cr_assert_null(strstr(all, "\xff"));
	cr_assert_null(strstr(all, "\xed\xa0\x80"));
	cr_assert_null(strstr(all, "\xc0\xaf"));
	free(all);
	struct json_object *o = first_line();
	cr_assert_not_null(strstr(field(o, "msg"), "a\"b\\c\nd"));
	json_object_put(o);
}

Test(log, level_filtering, .fini = close_log)
{
	open_log("warn");
	cr_assert_not(cal_log_enabled(CAL_LOG_DEBUG));
	cr_assert_not(cal_log_enabled(CAL_LOG_INFO));
	cr_assert(cal_log_enabled(CAL_LOG_WARN));
	cr_assert(cal_log_enabled(CAL_LOG_ERROR));
	cal_debug("app", "debug line");
	cal_info("app", "info line");
	cal_warn("app", "warn line");
	cal_error("app", "error line");
	cal_log_fields(CAL_LOG_INFO, "app", "info fields", "k", "v", NULL);
	cal_log_access("GET", "health", "/health", 200, 1.0, "127.0.0.1", NULL);
	char *all = slurp();
	cr_assert_eq(count_lines(all), 2, "%s", all);
	cr_assert_null(strstr(all, "debug line"));
	cr_assert_null(strstr(all, "info"));
	cr_assert_not_null(strstr(all, "warn line"));
	cr_assert_not_null(strstr(all, "error line"));
	free(all);
}

Test(log, level_names)
{
	cr_assert_eq(cal_log_level_parse("debug"), CAL_LOG_DEBUG);
	cr_assert_eq(cal_log_level_parse("INFO"), CAL_LOG_INFO);
	cr_assert_eq(cal_log_level_parse("warn"), CAL_LOG_WARN);
	cr_assert_eq(cal_log_level_parse("error"), CAL_LOG_ERROR);
	cr_assert_eq(cal_log_level_parse("verbose"), -1);
	cr_assert_eq(cal_log_level_parse(NULL), -1);
	cr_assert_eq(cal_log_init("nonsense", NULL), -1, "an unknown level is reported");
	cr_assert(cal_log_enabled(CAL_LOG_INFO), "and logging falls back to info");
	cr_assert_eq(cal_log_init("info", "/nonexistent-dir/x/caloria.log"), -1);
}

Test(log, access_line, .fini = close_log)
{
	open_log("info");
	cal_log_set_request_id("r1");
	cal_log_access("POST", "webhook_manychat", "/webhook/manychat", 503, 12.3456, "10.0.0.1", "unavailable");
	struct json_object *o = first_line();
	cr_assert_str_eq(field(o, "level"), "error");
	cr_assert_str_eq(field(o, "category"), "webhook");
	cr_assert_str_eq(field(o, "method"), "POST");
	cr_assert_str_eq(field(o, "route"), "webhook_manychat");
	cr_assert_str_eq(field(o, "path"), "/webhook/manychat");
	cr_assert_str_eq(field(o, "client_ip"), "10.0.0.1");
	cr_assert_str_eq(field(o, "error"), "unavailable");
	struct json_object *st, *d;
	cr_assert(json_object_object_get_ex(o, "status", &st));
	cr_assert_eq(json_object_get_int(st), 503);
	cr_assert(json_object_object_get_ex(o, "duration_ms", &d));
	cr_assert_float_eq(json_object_get_double(d), 12.346, 0.0005);
	json_object_put(o);
}

Test(log, messages_are_masked_before_writing, .fini = close_log)
{
	open_log("info");
	cal_info("app", "fetch https://api.telegram.org/file/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabc/voice/f.oga failed");
	char *all = slurp();
	cr_assert_null(strstr(all, "ABCDEFGHIJ"), "%s", all);
	cr_assert_not_null(strstr(all, "bot***"), "%s", all);
	free(all);
}

Test(log, many_lines_are_whole_lines, .fini = close_log)
{
	open_log("info");
	for (int i = 0; i < 200; i++)
		cal_info("app", "line %d", i);
	char *all = slurp();
	cr_assert_eq(count_lines(all), 200);
	char *save = NULL;
	int n = 0;
	for (char *line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		struct json_object *o = json_tokener_parse(line);
		cr_assert_not_null(o, "line %d is not JSON", n);
		json_object_put(o);
	}
	free(all);
}

/* ---- the masking table --------------------------------------------------------------------------------- */

struct mask_case {
	const char *in;
	const char *out;
};

static const struct mask_case mask_cases[] = {
	/* bearer tokens */
	{"Authorization: Bearer abc.def-123", "Authorization: Bearer ***"},
	{"header bearer   eyJhbGciOi.payload.sig, next", "header bearer   ***, next"},
	{"Basic dXNlcjpwYXNz", "Basic ***"},
	{"auth: Bearer abc123 end", "auth: Bearer *** end"},
	/* key=value secrets */
	{"token=abc123&x=1", "token=***&x=1"},
	{"GET /subscribe?password=hunter2&user=bob", "GET /subscribe?password=***&user=bob"},
	{"https://api.spoonacular.com/food?apiKey=zzz&query=egg", "https://api.spoonacular.com/food?apiKey=***&query=egg"},
	{"url ?key=AIzaXYZ&alt=json", "url ?key=***&alt=json"},
	{"api_key=k1 secret=s2 signature=s3", "api_key=*** secret=*** signature=***"},
	{"access_token=APP_USR-1 done", "access_token=*** done"},
	{"{\"api_key\":\"sekret\", \"name\":\"ok\"}", "{\"api_key\":\"***\", \"name\":\"ok\"}"},
	{"{\"password\": \"p a s s\"}", "{\"password\": \"***\"}"},
	{"x-caloria-token: s3cr3t", "x-caloria-token: ***"},
	{"webhook_secret='abc'", "webhook_secret='***'"},
	/* MercadoPago signatures */
	{"x-signature ts=1700000,v1=abcdef0123456789", "x-signature ts=***00,v1=***"}, /* 7 digits look like a phone */
	/* Telegram */
	{"https://api.telegram.org/file/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/file_1.jpg",
	 "https://api.telegram.org/file/bot***/photos/file_1.jpg"},
	{"token is bot987654:AAAAbbbbCCCCdddd_eeee-ffff here", "token is bot*** here"},
	/* e-mails */
	{"contact john.doe@example.com now.", "contact j***@e***.com now."},
	{"a@b.co", "a***@b***.co"},
	{"email=maria+promo@mail.example.org", "email=m***@m***.org"},
	/* phone numbers */
	{"call +54 9 11 1234-5678 please", "call ***78 please"},
	{"phone (011) 4567-8901", "phone ***01"},
	{"wa 5491112345678", "wa ***78"},
	{"card 4111111111111111111111111111 end", "card ***11 end"},
	/* long bare secrets */
	{"key AIzaSyD-1234567890abcdefghijklmnopqrstu end", "key *** end"},
	/* things that must survive */
	{"date 2026-11-26 ip 192.168.100.200 dur 1234.567", "date 2026-11-26 ip 192.168.100.200 dur 1234.567"},
	{"monkey=5 format=json tokens left 3", "monkey=5 format=json tokens left 3"},
	{"2 huevos y 1 tostada (350 kcal)", "2 huevos y 1 tostada (350 kcal)"},
	{"status 200 in 12 ms", "status 200 in 12 ms"},
	{"", ""},
};

Test(log, mask_table)
{
	char out[512];
	for (size_t i = 0; i < sizeof mask_cases / sizeof mask_cases[0]; i++) {
		cal_log_mask(mask_cases[i].in, out, sizeof out);
		cr_expect_str_eq(out, mask_cases[i].out, "case %zu: '%s' gave '%s'", i, mask_cases[i].in, out);
	}
	cr_assert_geq(sizeof mask_cases / sizeof mask_cases[0], 20);
}

Test(log, mask_truncates_safely)
{
	char out[8];
	memset(out, 'x', sizeof out);
	cal_log_mask("abcdefghijklmnop", out, sizeof out);
	cr_assert_str_eq(out, "abcdefg");
	cal_log_mask("password=1234567890", out, sizeof out);
	cr_assert_eq(strlen(out), 7);
	cr_assert_null(strstr(out, "123"));
	cal_log_mask(NULL, out, sizeof out);
	cr_assert_str_eq(out, "");
	cal_log_mask("abc", out, 1);
	cr_assert_str_eq(out, "");
}
