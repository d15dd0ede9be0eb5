/*
 * Unit tests for src/router.c with a local route table: literal and {capture} segments, 404 versus 405 with
 * the Allow set, HEAD through GET, trailing and double slashes, long segments, and cal_router_index().
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "caloria/router.h"

static cal_err h_dummy(struct cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return CAL_OK;
}

/* Auth and rate class do not matter to the matcher. */
#define R(m, pat, label) {.methods = (m), .pattern = (pat), .handler = h_dummy, .name = (label)}

/* The test owns cal_routes so cal_router_index() can be checked against a known table. */
const cal_route cal_routes[] = {
	R(CAL_GET, "/health", "health"),
	R(CAL_GET, "/health/", "health_slash"),
	R(CAL_GET, "/health/live", "health_live"),
	R(CAL_POST, "/webhook/manychat", "webhook_manychat"),
	R(CAL_GET | CAL_POST, "/subscribe", "subscribe"),
	R(CAL_GET, "/api/users/{id}", "api_user"),
	R(CAL_GET, "/api/users/{id}/stats", "api_user_stats"),
	R(CAL_DELETE, "/api/users/{id}", "api_user_delete"),
	R(CAL_GET, "/a/{x}/b/{y}", "two_captures"),
	R(CAL_GET, "/", "index"),
};
const int cal_routes_count = (int)(sizeof cal_routes / sizeof cal_routes[0]);

static cal_arena arena;
static cal_request req;

static void setup(void)
{
	cal_arena_init(&arena, 4096);
}

static void teardown(void)
{
	cal_arena_free(&arena);
}

static cal_err match(const char *method, const char *path, const cal_route **route, unsigned *allow)
{
	memset(&req, 0, sizeof req);
	req.arena = &arena;
	req.method_name = method;
	req.method = cal_router_method_from_name(method);
	req.path = path;
	return cal_router_match(cal_routes, cal_routes_count, &req, route, allow);
}

static const char *route_name(const char *method, const char *path)
{
	const cal_route *r = NULL;
	unsigned allow;
	if (match(method, path, &r, &allow) != CAL_OK)
		return "(none)";
	return r->name;
}

TestSuite(router, .init = setup, .fini = teardown);

Test(router, literal_routes)
{
	cr_assert_str_eq(route_name("GET", "/health"), "health");
	cr_assert_str_eq(route_name("GET", "/health/"), "health_slash");
	cr_assert_str_eq(route_name("GET", "/health/live"), "health_live");
	cr_assert_str_eq(route_name("POST", "/webhook/manychat"), "webhook_manychat");
	cr_assert_str_eq(route_name("GET", "/"), "index");
	cr_assert_eq(req.route, &cal_routes[9]);
}

Test(router, captures)
{
	const cal_route *r;
	unsigned allow;
	cr_assert_eq(match("GET", "/api/users/42", &r, &allow), CAL_OK);
	cr_assert_str_eq(r->name, "api_user");
	cr_assert_eq(req.ncaptures, 1);
	cr_assert_str_eq(req.captures[0], "42");
	cr_assert_eq(match("GET", "/api/users/abc-9/stats", &r, &allow), CAL_OK);
	cr_assert_str_eq(r->name, "api_user_stats");
	cr_assert_str_eq(req.captures[0], "abc-9");
	cr_assert_eq(match("GET", "/a/one/b/two", &r, &allow), CAL_OK);
	cr_assert_eq(req.ncaptures, 2);
	cr_assert_str_eq(req.captures[0], "one");
	cr_assert_str_eq(req.captures[1], "two");
}

Test(router, not_found)
{
	const cal_route *r = (const cal_route *)1;
	unsigned allow = 99;
	cr_assert_eq(match("GET", "/nope", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_null(r);
	cr_assert_eq(allow, 0);
	cr_assert_eq(match("GET", "/api/users", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "/api/users/", &r, &allow), CAL_ERR_NOT_FOUND, "empty capture");
	cr_assert_eq(match("GET", "/api/users/1/stats/x", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "/healthz", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "", &r, &allow), CAL_ERR_NOT_FOUND);
}

Test(router, method_not_allowed_with_allow_set)
{
	const cal_route *r;
	unsigned allow = 0;
	cr_assert_eq(match("GET", "/webhook/manychat", &r, &allow), CAL_ERR_METHOD);
	cr_assert_null(r);
	cr_assert_eq(allow, CAL_POST);
	cr_assert_str_eq(cal_router_allow_header(&arena, allow), "POST");

	cr_assert_eq(match("PUT", "/api/users/7", &r, &allow), CAL_ERR_METHOD);
	cr_assert_eq(allow, CAL_GET | CAL_HEAD | CAL_DELETE, "union over every pattern that matches the path");
	cr_assert_str_eq(cal_router_allow_header(&arena, allow), "GET, HEAD, DELETE");

	cr_assert_eq(match("DELETE", "/subscribe", &r, &allow), CAL_ERR_METHOD);
	cr_assert_str_eq(cal_router_allow_header(&arena, allow), "GET, HEAD, POST");

	cr_assert_eq(match("BREW", "/health", &r, &allow), CAL_ERR_METHOD);
	cr_assert_str_eq(cal_router_allow_header(&arena, allow), "GET, HEAD");
}

Test(router, second_pattern_with_other_method_matches)
{
	cr_assert_str_eq(route_name("DELETE", "/api/users/7"), "api_user_delete");
	cr_assert_str_eq(req.captures[0], "7");
}

Test(router, head_goes_to_get_routes)
{
	cr_assert_str_eq(route_name("HEAD", "/health/live"), "health_live");
	cr_assert_str_eq(route_name("HEAD", "/api/users/5"), "api_user");
	const cal_route *r;
	unsigned allow;
	cr_assert_eq(match("HEAD", "/webhook/manychat", &r, &allow), CAL_ERR_METHOD, "no HEAD where there is no GET");
}

Test(router, trailing_and_double_slashes_do_not_match_other_routes)
{
	const cal_route *r;
	unsigned allow;
	cr_assert_eq(match("GET", "/health/live/", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "//health", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "/health//live", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("POST", "/webhook/manychat/", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "/api/users//stats", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "//", &r, &allow), CAL_ERR_NOT_FOUND);
}

Test(router, percent_encoded_paths_are_matched_raw)
{
	const cal_route *r;
	unsigned allow;
	cr_assert_eq(match("GET", "/%68ealth", &r, &allow), CAL_ERR_NOT_FOUND);
	cr_assert_eq(match("GET", "/api/users/a%2Fb", &r, &allow), CAL_OK);
	cr_assert_str_eq(req.captures[0], "a%2Fb");
}

Test(router, long_segments)
{
	char path[300];
	char seg[200];
	const cal_route *r;
	unsigned allow;
	memset(seg, 'x', 128);
	seg[128] = '\0';
	snprintf(path, sizeof path, "/api/users/%s", seg);
	cr_assert_eq(match("GET", path, &r, &allow), CAL_OK, "128 bytes is the limit, inclusive");
	cr_assert_eq(strlen(req.captures[0]), 128);
	memset(seg, 'x', 129);
	seg[129] = '\0';
	snprintf(path, sizeof path, "/api/users/%s", seg);
	cr_assert_eq(match("GET", path, &r, &allow), CAL_ERR_NOT_FOUND);
}

Test(router, allow_header_formats)
{
	cr_assert_str_eq(cal_router_allow_header(&arena, 0), "");
	cr_assert_str_eq(cal_router_allow_header(&arena, CAL_OPTIONS | CAL_GET), "GET, OPTIONS");
	cr_assert_str_eq(cal_router_allow_header(&arena, CAL_GET | CAL_HEAD | CAL_POST | CAL_PUT | CAL_DELETE |
								  CAL_PATCH | CAL_OPTIONS),
			 "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
}

Test(router, index_of_routes)
{
	for (int i = 0; i < cal_routes_count; i++)
		cr_assert_eq(cal_router_index(&cal_routes[i]), i);
	cal_route other = cal_routes[0];
	cr_assert_eq(cal_router_index(&other), -1);
	cr_assert_eq(cal_router_index(NULL), -1);
	cr_assert_eq(cal_router_index(cal_routes + cal_routes_count), -1);
}

Test(router, method_names)
{
	cr_assert_eq(cal_router_method_from_name("GET"), CAL_GET);
	cr_assert_eq(cal_router_method_from_name("PATCH"), CAL_PATCH);
	cr_assert_eq(cal_router_method_from_name("OPTIONS"), CAL_OPTIONS);
	cr_assert_eq(cal_router_method_from_name("TRACE"), CAL_METHOD_OTHER);
}
