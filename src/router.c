/*
 * Route matching (SPEC §4.3). This file owns how a method and a raw path select a row of a route table:
 * literal segments match byte for byte (percent-encoding is not undone, "/health" and "/health/" are
 * different paths, empty segments never match), {name} matches one non-empty segment and is captured, and a
 * path that exists with other methods is a 405 with the union of those methods, not a 404.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "caloria/router.h"

/* Longest value a {name} segment may capture; ids are far shorter, anything longer is not ours. */
#define ROUTER_CAPTURE_MAX 128

struct captures {
	const char *start[CAL_MAX_CAPTURES];
	size_t len[CAL_MAX_CAPTURES];
	int n;
};

/* Length of the segment at s (up to the next '/' or the end). */
static size_t seg_len(const char *s)
{
	const char *slash = strchr(s, '/');
	return slash ? (size_t)(slash - s) : strlen(s);
}

static bool is_capture(const char *p, size_t n)
{
	return n >= 3 && p[0] == '{' && p[n - 1] == '}';
}

/* Matches path against pattern segment by segment; both start with '/'. */
static bool pattern_match(const char *pattern, const char *path, struct captures *cap)
{
	const char *p = pattern, *s = path;

	cap->n = 0;
	for (;;) {
		if (*p != '/' || *s != '/')
			return *p == '\0' && *s == '\0';
		p++;
		s++;
		size_t pn = seg_len(p), sn = seg_len(s);
		if (is_capture(p, pn)) {
			if (sn == 0 || sn > ROUTER_CAPTURE_MAX || cap->n >= CAL_MAX_CAPTURES)
				return false;
			cap->start[cap->n] = s;
			cap->len[cap->n] = sn;
			cap->n++;
		} else if (pn != sn || memcmp(p, s, pn) != 0) {
			return false;
		}
		p += pn;
		s += sn;
	}
}

/* GET routes answer HEAD too (the body is dropped when writing). */
static unsigned effective_methods(unsigned m)
{
	return (m & CAL_GET) ? (m | CAL_HEAD) : m;
}

cal_err cal_router_match(const cal_route *table, int n, cal_request *req, const cal_route **route,
			 unsigned *allow)
{
	struct captures cap;
	unsigned allowed = 0;

	*route = NULL;
	if (allow != NULL)
		*allow = 0;
	if (req->path == NULL || req->path[0] != '/')
		return CAL_ERR_NOT_FOUND;
	for (int i = 0; i < n; i++) {
		if (table[i].pattern == NULL || !pattern_match(table[i].pattern, req->path, &cap))
			continue;
		unsigned m = effective_methods(table[i].methods);
		if ((m & (unsigned)req->method) == 0) {
			allowed |= m;
			continue;
		}
		for (int k = 0; k < cap.n; k++)
			req->captures[k] = cal_arena_strndup(req->arena, cap.start[k], cap.len[k]);
		req->ncaptures = cap.n;
		req->route = &table[i];
		*route = &table[i];
		return CAL_OK;
	}
	if (allowed == 0)
		return CAL_ERR_NOT_FOUND;
	if (allow != NULL)
		*allow = allowed;
	return CAL_ERR_METHOD;
}

const char *cal_router_allow_header(cal_arena *a, unsigned methods)
{
	static const struct {
		unsigned bit;
		const char *name;
	} order[] = {
		{CAL_GET, "GET"},       {CAL_HEAD, "HEAD"},   {CAL_POST, "POST"},       {CAL_PUT, "PUT"},
		{CAL_DELETE, "DELETE"}, {CAL_PATCH, "PATCH"}, {CAL_OPTIONS, "OPTIONS"},
	};
	char buf[64];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if ((methods & order[i].bit) == 0)
			continue;
		size_t n = strlen(order[i].name);
		if (len > 0) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, order[i].name, n);
		len += n;
		buf[len] = '\0';
	}
	return cal_arena_strdup(a, buf);
}

int cal_router_index(const cal_route *route)
{
	/* Compare as integers: the pointer may come from another table, and relational pointer
	 * comparison across objects is undefined. */
	uintptr_t base = (uintptr_t)cal_routes, p = (uintptr_t)route;
	if (route == NULL || p < base)
		return -1;
	uintptr_t idx = (p - base) / sizeof(cal_route);
	if (idx >= (uintptr_t)cal_routes_count || (p - base) % sizeof(cal_route) != 0)
		return -1;
	return (int)idx;
}

cal_method cal_router_method_from_name(const char *name)
{
	return cal_http_method_parse(name);
}
