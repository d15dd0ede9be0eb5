/*
 * Unit tests for src/http.c through a fake cal_io: method/path/query under nginx- and Apache-style
 * parameters, body limits (nothing read when too large), request ids, X-Forwarded-For behind trusted
 * proxies, JSON limits, the error envelope, header injection and HEAD.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "caloria/http.h"
#include "caloria/log.h"

#define MAX_PARAMS 16

struct fake {
	const char *params[MAX_PARAMS][2];
	int nparams;
	const char *body;
	size_t body_len;
	size_t pos;
	size_t bytes_read;
	int reads;
	cal_buf out;
};

static const char *fake_getparam(void *h, const char *name)
{
	struct fake *f = h;
	for (int i = 0; i < f->nparams; i++)
		if (strcmp(f->params[i][0], name) == 0)
			return f->params[i][1];
	return NULL;
}

static long fake_read(void *h, char *buf, size_t n)
{
	struct fake *f = h;
	f->reads++;
	size_t left = f->body_len - f->pos;
	if (n > left)
		n = left;
	if (n > 1000)
		n = 1000; /* short reads, like a real stream */
	if (n > 0)
		memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	f->bytes_read += n;
	return (long)n;
}

static int fake_write(void *h, const char *buf, size_t n)
{
	struct fake *f = h;
	cal_buf_append(&f->out, buf, n);
	return 0;
}

static struct fake fk;
static cal_io io;
static cal_arena arena;
static cal_request req;
static cal_http_limits limits;

static void setup(void)
{
	memset(&fk, 0, sizeof fk);
	cal_buf_init(&fk.out);
	io.h = &fk;
	io.getparam = fake_getparam;
	io.read = fake_read;
	io.write = fake_write;
	cal_arena_init(&arena, 4096);
	limits.max_body_bytes = 1024;
	limits.trusted_proxies = "127.0.0.1,::1";
	/* Keep the test output quiet: warnings about dropped headers are expected. */
	cal_log_init("error", "/dev/null");
}

static void teardown(void)
{
	cal_http_request_release(&req);
	cal_buf_free(&fk.out);
	cal_arena_free(&arena);
}

static void p(const char *name, const char *value)
{
	cr_assert_lt(fk.nparams, MAX_PARAMS);
	fk.params[fk.nparams][0] = name;
	fk.params[fk.nparams][1] = value;
	fk.nparams++;
}

static void body(const char *b)
{
	fk.body = b;
	fk.body_len = strlen(b);
}

static cal_err parse(void)
{
	return cal_http_parse(&req, &arena, &io, &limits);
}

TestSuite(http, .init = setup, .fini = teardown);

Test(http, nginx_style_params)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/api/users/42?page=2&q=ana%20maria");
	p("SCRIPT_NAME", "/api/users/42");
	p("QUERY_STRING", "page=2&q=ana%20maria");
	p("REMOTE_ADDR", "203.0.113.9");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_eq(req.method, CAL_GET);
	cr_assert_str_eq(req.method_name, "GET");
	cr_assert_str_eq(req.path, "/api/users/42");
	cr_assert_str_eq(req.query, "page=2&q=ana%20maria");
	cr_assert_str_eq(cal_http_query(&req, "page"), "2");
	cr_assert_str_eq(cal_http_query(&req, "q"), "ana maria");
	cr_assert_null(cal_http_query(&req, "missing"));
	cr_assert_str_eq(req.client_ip, "203.0.113.9");
	cr_assert_null(req.body);
	cr_assert_eq(fk.reads, 0, "GET without a length reads nothing");
}

Test(http, apache_rewrite_keeps_original_uri)
{
	/* .htaccess: RewriteRule ^(.*)$ caloria.fcgi/$1 — REQUEST_URI is what the client asked for. */
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/webhook/manychat");
	p("SCRIPT_NAME", "/caloria.fcgi");
	p("PATH_INFO", "/webhook/manychat");
	p("QUERY_STRING", "");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/webhook/manychat");
	cr_assert_eq(req.method, CAL_POST);
}

Test(http, apache_script_addressed_directly)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/cgi-bin/caloria.fcgi/health/live?x=1");
	p("SCRIPT_NAME", "/cgi-bin/caloria.fcgi");
	p("PATH_INFO", "/health/live");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/health/live");
	cr_assert_str_eq(req.query, "x=1", "query from REQUEST_URI when QUERY_STRING is absent");
}

Test(http, apache_script_root)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/caloria.fcgi");
	p("SCRIPT_NAME", "/caloria.fcgi");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/");
}

Test(http, apache_subdirectory_rewrite)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/app/privacy-policy");
	p("SCRIPT_NAME", "/app/caloria.fcgi");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/privacy-policy");
}

Test(http, apache_scriptalias_without_extension)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/caloria/health");
	p("SCRIPT_NAME", "/caloria");
	p("PATH_INFO", "/health");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/health");
}

Test(http, cgi_without_request_uri_uses_path_info)
{
	p("REQUEST_METHOD", "GET");
	p("SCRIPT_NAME", "/caloria.cgi");
	p("PATH_INFO", "/health/version");
	p("QUERY_STRING", "a=b");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/health/version");
	cr_assert_str_eq(req.query, "a=b");
}

Test(http, percent_encoded_path_is_kept_raw)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/api/users/a%2Fb");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/api/users/a%2Fb");
}

Test(http, absolute_form_uri)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "http://example.com/health?x=1");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.path, "/health");
}

Test(http, bad_paths_and_methods)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "*");
	cr_assert_eq(parse(), CAL_ERR_VALIDATION);
	cr_assert_str_eq(req.path, "/", "path stays usable for the error response");
	cr_assert_eq(strlen(req.id), 32, "an error still has a request id");
}

Test(http, missing_method_is_an_error)
{
	p("REQUEST_URI", "/health");
	cr_assert_eq(parse(), CAL_ERR_VALIDATION);
}

Test(http, unknown_and_lowercase_methods)
{
	cr_assert_eq(cal_http_method_parse("BREW"), CAL_METHOD_OTHER);
	cr_assert_eq(cal_http_method_parse("get"), CAL_METHOD_OTHER);
	cr_assert_eq(cal_http_method_parse("DELETE"), CAL_DELETE);
	cr_assert_eq(cal_http_method_parse(NULL), CAL_METHOD_OTHER);
}

Test(http, body_exactly_max_is_read)
{
	static char big[1025];
	memset(big, 'a', 1024);
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	p("CONTENT_LENGTH", "1024");
	body(big);
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_eq(req.body_len, 1024);
	cr_assert_eq(req.body[1024], '\0');
	cr_assert_eq(memcmp(req.body, big, 1024), 0);
}

Test(http, body_over_max_is_413_without_reading)
{
	static char big[1026];
	memset(big, 'a', 1025);
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	p("CONTENT_LENGTH", "1025");
	body(big);
	cr_assert_eq(parse(), CAL_ERR_TOO_LARGE);
	cr_assert_eq(fk.reads, 0);
	cr_assert_eq(fk.bytes_read, 0);
	cr_assert_eq(strlen(req.id), 32);
}

Test(http, huge_content_length_is_413)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	p("CONTENT_LENGTH", "999999999999999999999999999");
	cr_assert_eq(parse(), CAL_ERR_TOO_LARGE);
	cr_assert_eq(fk.reads, 0);
}

Test(http, malformed_content_length)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	p("CONTENT_LENGTH", "12abc");
	cr_assert_eq(parse(), CAL_ERR_VALIDATION);
	cr_assert_eq(fk.reads, 0);
}

Test(http, short_body_is_an_error)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	p("CONTENT_LENGTH", "10");
	body("abc");
	cr_assert_eq(parse(), CAL_ERR_VALIDATION);
}

Test(http, missing_length_reads_to_end)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	body("{\"a\":1}");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_eq(req.body_len, 7);
	cr_assert_str_eq(req.body, "{\"a\":1}");
}

Test(http, missing_length_over_max_is_413_after_max_plus_one)
{
	static char big[5000];
	memset(big, 'b', sizeof big - 1);
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	body(big);
	cr_assert_eq(parse(), CAL_ERR_TOO_LARGE);
	cr_assert_eq(fk.bytes_read, 1025, "reads max + 1 bytes, no more");
}

Test(http, missing_length_exactly_max)
{
	static char big[1025];
	memset(big, 'c', 1024);
	p("REQUEST_METHOD", "PUT");
	p("REQUEST_URI", "/x");
	body(big);
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_eq(req.body_len, 1024);
}

Test(http, request_id_adopted_when_valid)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("HTTP_X_REQUEST_ID", "abc-DEF_1.2");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.id, "abc-DEF_1.2");
}

Test(http, request_id_replaced_when_invalid)
{
	static char long_id[70];
	memset(long_id, 'a', 65);
	const char *bad[] = {"has space", "semi;colon", "", long_id, "quote\"", "new\nline"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fk.nparams = 0;
		p("REQUEST_METHOD", "GET");
		p("REQUEST_URI", "/");
		p("HTTP_X_REQUEST_ID", bad[i]);
		cr_assert_eq(parse(), CAL_OK);
		cr_assert_str_neq(req.id, bad[i]);
		cr_assert_eq(strlen(req.id), 32, "'%s'", bad[i]);
		cr_assert(cal_http_request_id_valid(req.id));
	}
	memset(long_id, 'a', 64);
	long_id[64] = '\0';
	cr_assert(cal_http_request_id_valid(long_id), "64 chars is the limit, inclusive");
}

Test(http, new_request_ids_differ)
{
	char a[CAL_REQUEST_ID_MAX + 1], b[CAL_REQUEST_ID_MAX + 1];
	cal_http_new_request_id(a);
	cal_http_new_request_id(b);
	cr_assert_str_neq(a, b);
	cr_assert_eq(strspn(a, "0123456789abcdef"), 32);
}

Test(http, forwarded_for_from_trusted_proxy)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("REMOTE_ADDR", "127.0.0.1");
	p("HTTP_X_FORWARDED_FOR", "6.6.6.6, 198.51.100.7, ::1");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.client_ip, "198.51.100.7", "right-most hop that is not a trusted proxy");
	cr_assert_str_eq(req.remote_addr, "127.0.0.1");
}

Test(http, forwarded_for_ignored_from_untrusted_peer)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("REMOTE_ADDR", "203.0.113.5");
	p("HTTP_X_FORWARDED_FOR", "1.2.3.4");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.client_ip, "203.0.113.5");
}

Test(http, forwarded_for_variants)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("REMOTE_ADDR", "::ffff:127.0.0.1");
	p("HTTP_X_FORWARDED_FOR", "[2001:db8::1]:4711");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.client_ip, "2001:db8::1");

	fk.nparams = 0;
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("REMOTE_ADDR", "127.0.0.1");
	p("HTTP_X_FORWARDED_FOR", "1.2.3.4:5678");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.client_ip, "1.2.3.4");

	fk.nparams = 0;
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("REMOTE_ADDR", "127.0.0.1");
	p("HTTP_X_FORWARDED_FOR", "1.2.3.4, garbage");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.client_ip, "127.0.0.1", "a garbage hop is not believed");

	fk.nparams = 0;
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	p("REMOTE_ADDR", "127.0.0.1");
	p("HTTP_X_FORWARDED_FOR", "::1, 127.0.0.1");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(req.client_ip, "::1", "all hops trusted: the left-most one");
}

Test(http, headers_cookies_forms)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/admin/login");
	p("HTTP_X_CALORIA_TOKEN", "tok");
	p("HTTP_COOKIE", "a=1; caloria_session=\"abc%3Ddef\"; b");
	p("CONTENT_TYPE", "application/x-www-form-urlencoded; charset=utf-8");
	p("CONTENT_LENGTH", "40");
	body("username=ana+m&password=p%26w%3D&empty=&");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_str_eq(cal_http_header(&req, "X-Caloria-Token"), "tok");
	cr_assert_str_eq(cal_http_header(&req, "x-caloria-token"), "tok");
	cr_assert_str_eq(cal_http_header(&req, "Content-Length"), "40");
	cr_assert_null(cal_http_header(&req, "Authorization"));
	cr_assert_null(cal_http_header(&req, "Bad Header"));
	cr_assert_str_eq(cal_http_cookie(&req, "caloria_session"), "abc=def");
	cr_assert_str_eq(cal_http_cookie(&req, "a"), "1");
	cr_assert_null(cal_http_cookie(&req, "c"));
	cr_assert_str_eq(cal_http_form(&req, "username"), "ana m");
	cr_assert_str_eq(cal_http_form(&req, "password"), "p&w=");
	cr_assert_str_eq(cal_http_form(&req, "empty"), "");
	cr_assert_null(cal_http_form(&req, "nope"));
}

Test(http, form_needs_form_content_type_and_nul_is_refused)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x?a=%00b&c=%zz&d=%4");
	p("CONTENT_TYPE", "application/json");
	p("CONTENT_LENGTH", "3");
	body("a=b");
	cr_assert_eq(parse(), CAL_OK);
	cr_assert_null(cal_http_form(&req, "a"));
	cr_assert_null(cal_http_query(&req, "a"), "a value that decodes to NUL is refused");
	cr_assert_str_eq(cal_http_query(&req, "c"), "%zz", "invalid escapes stay literal");
	cr_assert_str_eq(cal_http_query(&req, "d"), "%4");
}

/* ---- JSON ---- */

static cal_err json_of(const char *text, bool want_object, const char **why)
{
	fk.nparams = 0;
	fk.pos = fk.bytes_read = 0;
	fk.reads = 0;
	cal_http_request_release(&req);
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/x");
	body(text);
	limits.max_body_bytes = 100000;
	cr_assert_eq(parse(), CAL_OK);
	return cal_http_json(&req, want_object, why);
}

static char *nested(int depth)
{
	char *s = cal_arena_alloc(&arena, (size_t)depth * 2 + 1);
	for (int i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	return s;
}

Test(http, json_ok_and_cached)
{
	const char *why = "x";
	cr_assert_eq(json_of("{\"id\": \"123\", \"n\": [1, 2.5, true, null], \"t\": \"ñandú\"}", true, &why), CAL_OK);
	cr_assert_null(why);
	cr_assert_not_null(req.json);
	struct json_object *first = req.json;
	cr_assert_eq(cal_http_json(&req, true, &why), CAL_OK);
	cr_assert_eq(req.json, first, "parsed once");
}

Test(http, json_malformed)
{
	static const char *bad[] = {"{", "{\"a\":1,}", "{'a':1}", "{\"a\":NaN}", "{\"a\":Infinity}", "nul",
				    "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":\"\\u0000\"}", "{\"a\":tru}", "", "   "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = NULL;
		cr_expect_eq(json_of(bad[i], false, &why), CAL_ERR_INVALID_JSON, "accepted: %s", bad[i]);
		cr_expect_not_null(why, "no reason for %s", bad[i]);
		cr_expect_null(req.json);
	}
}

Test(http, json_depth_32_ok_33_rejected)
{
	const char *why = NULL;
	cr_assert_eq(json_of(nested(32), false, &why), CAL_OK, "%s", why ? why : "");
	cr_assert_eq(json_of(nested(33), false, &why), CAL_ERR_INVALID_JSON);
	cr_assert_str_eq(why, "nesting deeper than 32");
}

Test(http, json_invalid_utf8)
{
	static const char *bad[] = {"{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
				    "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe2\x82\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = NULL;
		cr_expect_eq(json_of(bad[i], false, &why), CAL_ERR_INVALID_JSON);
		cr_expect_str_eq(why, "body is not valid UTF-8");
	}
}

Test(http, json_object_required)
{
	const char *why = NULL;
	cr_assert_eq(json_of("[1,2]", true, &why), CAL_ERR_INVALID_JSON);
	cr_assert_str_eq(why, "the body must be a JSON object");
	cr_assert_eq(json_of("42", false, &why), CAL_OK);
	cr_assert_eq(json_object_get_int(req.json), 42);
}

Test(http, utf8_validator)
{
	cr_assert(cal_http_utf8_valid("plain", 5));
	cr_assert(cal_http_utf8_valid("\xc3\xb1\xe2\x82\xac\xf0\x9f\x8d\x8e", 9), "ñ € 🍎");
	cr_assert(cal_http_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF");
	cr_assert_not(cal_http_utf8_valid("a\0b", 3), "NUL");
	cr_assert_not(cal_http_utf8_valid("\xe0\x80\xaf", 3), "overlong 3-byte");
	cr_assert_not(cal_http_utf8_valid("\xf0\x80\x80\xaf", 4), "overlong 4-byte");
	cr_assert_not(cal_http_utf8_valid("\xed\xbf\xbf", 3), "surrogate");
	cr_assert_not(cal_http_utf8_valid("\xf5\x80\x80\x80", 4), "above U+10FFFF");
	cr_assert_not(cal_http_utf8_valid("\x80", 1), "lone continuation");
}

/* ---- responses ---- */

Test(http, error_envelope_exact)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/nope");
	p("HTTP_X_REQUEST_ID", "rid-1");
	cr_assert_eq(parse(), CAL_OK);
	req.lang = CAL_LANG_EN;
	cal_response resp;
	cal_resp_init(&resp);
	cal_resp_error(&req, &resp, CAL_ERR_NOT_FOUND, NULL, NULL);
	cr_assert_eq(resp.status, 404);
	cr_assert_eq(resp.err, CAL_ERR_NOT_FOUND);
	cr_assert_str_eq(resp.content_type, "application/json; charset=utf-8");
	cr_assert_str_eq(resp.body.data,
			 "{\"error\":{\"code\":\"not_found\",\"message\":\"Not found.\",\"request_id\":\"rid-1\"}}");

	struct json_object *details = json_object_new_object();
	json_object_object_add(details, "field", json_object_new_string("text"));
	cal_resp_error(&req, &resp, CAL_ERR_VALIDATION, "text is too long", details);
	cr_assert_eq(resp.status, 400);
	cr_assert_str_eq(resp.body.data, "{\"error\":{\"code\":\"validation_error\",\"message\":\"text is too long\","
					 "\"request_id\":\"rid-1\",\"details\":{\"field\":\"text\"}}}");
	int nosniff = 0;
	for (int i = 0; i < resp.nheaders; i++)
		nosniff += strcmp(resp.headers[i].name, "X-Content-Type-Options") == 0;
	cr_assert_eq(nosniff, 1, "re-rendering does not duplicate headers");
	cal_resp_free(&resp);
}

Test(http, write_json_response)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/health/live");
	p("HTTP_X_REQUEST_ID", "rid-2");
	cr_assert_eq(parse(), CAL_OK);
	cal_response resp;
	cal_resp_init(&resp);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("alive"));
	cal_resp_json(&resp, 200, o);
	json_object_put(o);
	cal_resp_header(&resp, "Retry-After", "5");
	cr_assert_eq(cal_http_write(&req, &resp, &io), 0);
	cr_assert_str_eq(fk.out.data, "Status: 200 OK\r\n"
				      "Content-Type: application/json; charset=utf-8\r\n"
				      "Content-Length: 18\r\n"
				      "X-Request-ID: rid-2\r\n"
				      "X-Content-Type-Options: nosniff\r\n"
				      "Cache-Control: no-store\r\n"
				      "Retry-After: 5\r\n"
				      "\r\n"
				      "{\"status\":\"alive\"}");
	cal_resp_free(&resp);
}

Test(http, head_has_no_body_but_same_length)
{
	p("REQUEST_METHOD", "HEAD");
	p("REQUEST_URI", "/");
	cr_assert_eq(parse(), CAL_OK);
	cal_response resp;
	cal_resp_init(&resp);
	cal_resp_text(&resp, 200, "text/plain; charset=utf-8", "hello", 5);
	cr_assert_eq(cal_http_write(&req, &resp, &io), 0);
	cr_assert_not_null(strstr(fk.out.data, "Content-Length: 5\r\n"));
	size_t n = strlen(fk.out.data);
	cr_assert_str_eq(fk.out.data + n - 4, "\r\n\r\n", "nothing after the blank line");
	cal_resp_free(&resp);
}

Test(http, header_injection_is_refused)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	cr_assert_eq(parse(), CAL_OK);
	cal_response resp;
	cal_resp_init(&resp);
	cal_resp_text(&resp, 303, NULL, "", 0);
	cal_resp_header(&resp, "Location", "/ok\r\nSet-Cookie: evil=1");
	cal_resp_header(&resp, "Bad Name", "x");
	cal_resp_header(&resp, "X-Fine", "yes");
	cal_resp_header(&resp, "Content-Length", "999");
	cr_assert_eq(cal_http_write(&req, &resp, &io), 0);
	cr_assert_null(strstr(fk.out.data, "evil"));
	cr_assert_null(strstr(fk.out.data, "Location"));
	cr_assert_null(strstr(fk.out.data, "Bad Name"));
	/* Not a bare "999": the random request id in X-Request-ID may contain it (about 1 run in 140). */
	cr_assert_null(strstr(fk.out.data, "Content-Length: 999"));
	cr_assert_null(strstr(fk.out.data, ": 999\r\n"), "no header carries the injected value");
	cr_assert_not_null(strstr(fk.out.data, "Status: 303 See Other\r\n"));
	cr_assert_not_null(strstr(fk.out.data, "X-Fine: yes\r\n"));
	cal_resp_free(&resp);
}

Test(http, html_gets_security_headers)
{
	cal_response resp;
	cal_resp_init(&resp);
	cal_resp_html(&resp, 200, "<p>hi</p>", 9);
	cr_assert_str_eq(resp.content_type, "text/html; charset=utf-8");
	const char *want[][2] = {
		{"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
					    "form-action 'self'; frame-ancestors 'none'"},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "no-referrer"},
	};
	for (size_t w = 0; w < 4; w++) {
		int found = 0;
		for (int i = 0; i < resp.nheaders; i++)
			if (strcmp(resp.headers[i].name, want[w][0]) == 0) {
				cr_assert_str_eq(resp.headers[i].value, want[w][1]);
				found++;
			}
		cr_assert_eq(found, 1, "%s", want[w][0]);
	}
	cal_resp_free(&resp);
}

Test(http, invalid_status_becomes_500)
{
	p("REQUEST_METHOD", "GET");
	p("REQUEST_URI", "/");
	cr_assert_eq(parse(), CAL_OK);
	cal_response resp;
	cal_resp_init(&resp);
	resp.status = 42;
	cr_assert_eq(cal_http_write(&req, &resp, &io), 0);
	cr_assert_eq(strncmp(fk.out.data, "Status: 500 ", 12), 0);
	cal_resp_free(&resp);
}

Test(http, too_many_headers_are_dropped_not_overflowed)
{
	cal_response resp;
	cal_resp_init(&resp);
	for (int i = 0; i < CAL_MAX_RESP_HEADERS + 5; i++)
		cal_resp_header(&resp, "X-N", "v");
	cr_assert_eq(resp.nheaders, CAL_MAX_RESP_HEADERS);
	cal_resp_free(&resp);
}

/* json-c clamps integers beyond 64 bits, which turned every huge id into one user: refused before it. */
Test(http, json_integers_beyond_64_bits_are_refused)
{
	static const char *const refused[] = {
		"{\"id\": 18446744073709551616}", "{\"id\": -9223372036854775809}",
		"{\"a\": [1, 2, 99999999999999999999999]}", "{\"id\": 1000000000000000000000000000000000000}",
	};
	static const char *const accepted[] = {
		"{\"id\": 18446744073709551615}", "{\"id\": -9223372036854775808}",
		"{\"x\": 123456789012345678901234567890.5, \"y\": -0.5, \"z\": 1e3}",
		"{\"s\": \"18446744073709551616\"}",
	};

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		const char *why = NULL;
		cr_expect_eq(json_of(refused[i], true, &why), CAL_ERR_INVALID_JSON, "accepted: %s", refused[i]);
		cr_expect_str_eq(why != NULL ? why : "", "integer beyond 64 bits");
	}
	for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
		const char *why = NULL;
		cr_expect_eq(json_of(accepted[i], true, &why), CAL_OK, "%s: %s", accepted[i], why ? why : "");
	}
}

/* The pipeline authenticates on the head alone (SPEC §1): parsing it must not read one body byte. */
Test(http, head_reads_no_body_until_asked)
{
	p("REQUEST_METHOD", "POST");
	p("REQUEST_URI", "/webhook/manychat");
	p("CONTENT_LENGTH", "13");
	body("{\"id\": \"ab\"}\n");
	cr_assert_eq(cal_http_parse_head(&req, &arena, &io, &limits), CAL_OK);
	cr_assert_eq(fk.reads, 0, "no body byte read with the head");
	cr_assert_null(req.body);
	cr_assert_eq(cal_http_read_body(&req, &limits), CAL_OK);
	cr_assert_eq(req.body_len, 13);
	cr_assert_eq(cal_http_read_body(&req, &limits), CAL_OK, "a second call is a no-op");
	cr_assert_eq(req.body_len, 13);
}
