/*
 * The HTTP layer (SPEC §4.1, §4.2). This file owns the translation from CGI/FastCGI parameters and body
 * bytes into a cal_request — including which path the client asked for under nginx and Apache mod_fcgid,
 * the request id, the client address behind trusted proxies and the body limits — and the writing of a
 * cal_response as a CGI-style response. Input limits are enforced here, before any parsing, so no handler
 * ever sees an oversized or malformed body.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "caloria/http.h"
#include "caloria/log.h"

/* Longest path we route; anything longer is a client bug or an attack. */
#define HTTP_PATH_MAX 4096
/* Read size when the body length is unknown. */
#define HTTP_READ_CHUNK 8192
/* JSON nesting limit of SPEC §4.2. */
#define HTTP_JSON_DEPTH 32

static const struct {
	const char *name;
	cal_method bit;
} methods[] = {
	{"GET", CAL_GET},       {"HEAD", CAL_HEAD},   {"POST", CAL_POST},       {"PUT", CAL_PUT},
	{"DELETE", CAL_DELETE}, {"PATCH", CAL_PATCH}, {"OPTIONS", CAL_OPTIONS},
};

cal_method cal_http_method_parse(const char *name)
{
	if (name == NULL)
		return CAL_METHOD_OTHER;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(name, methods[i].name) == 0)
			return methods[i].bit;
	return CAL_METHOD_OTHER;
}

static const char *param(const cal_io *io, const char *name)
{
	if (io == NULL || io->getparam == NULL)
		return NULL;
	return io->getparam(io->h, name);
}

/* ---- request id ------------------------------------------------------------------------------------- */

bool cal_http_request_id_valid(const char *id)
{
	size_t n = 0;
	if (id == NULL)
		return false;
	for (const char *p = id; *p; p++, n++)
		if (n >= CAL_REQUEST_ID_MAX || (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-'))
			return false;
	return n > 0;
}

/* Random bytes from the kernel; /dev/urandom for kernels without getrandom(2). */
static int random_bytes(unsigned char *buf, size_t n)
{
	if (getrandom(buf, n, GRND_NONBLOCK) == (ssize_t)n)
		return 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n);
	close(fd);
	return r == (ssize_t)n ? 0 : -1;
}

void cal_http_new_request_id(char *out)
{
	unsigned char raw[16];
	static const char hex[] = "0123456789abcdef";

	if (random_bytes(raw, sizeof raw) != 0) {
		/* Ids only need to be unique enough to find log lines; time and pid still give that. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		uint64_t b = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&ts;
		memcpy(raw, &a, 8);
		memcpy(raw + 8, &b, 8);
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * sizeof raw] = '\0';
}

/* ---- addresses -------------------------------------------------------------------------------------- */

/* Parses an IPv4/IPv6 address (optionally "[v6]:port" or "v4:port") into IPv6 form; v4 becomes ::ffff:a.b.c.d. */
static bool ip_parse(const char *s, size_t n, unsigned char out[16])
{
	char buf[64];
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof buf)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL)
			return false;
		n = (size_t)(close - s - 1);
		s++;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL)
			n = (size_t)(colon - s); /* "1.2.3.4:5678" */
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	unsigned char v4[4];
	if (inet_pton(AF_INET, buf, v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, buf, out) == 1;
}

static const char *ip_text(cal_arena *a, const unsigned char ip[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char buf[INET6_ADDRSTRLEN];
	const char *r = memcmp(ip, mapped, 12) == 0 ? inet_ntop(AF_INET, ip + 12, buf, sizeof buf)
						     : inet_ntop(AF_INET6, ip, buf, sizeof buf);
	return cal_arena_strdup(a, r ? r : "");
}

static bool ip_trusted(const unsigned char ip[16], const char *list)
{
	const char *p = list;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		unsigned char t[16];
		if (ip_parse(p, n, t) && memcmp(t, ip, 16) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/*
 * The client is REMOTE_ADDR unless that is a trusted proxy; then it is the right-most X-Forwarded-For hop
 * that is not itself a trusted proxy (hops further left were written by the client and prove nothing).
 */
static const char *client_ip(cal_request *req, const cal_http_limits *limits)
{
	unsigned char ip[16];
	const char *xff;

	if (!ip_parse(req->remote_addr, strlen(req->remote_addr), ip))
		return req->remote_addr;
	if (limits == NULL || limits->trusted_proxies == NULL || !ip_trusted(ip, limits->trusted_proxies))
		return ip_text(req->arena, ip);
	xff = param(req->io, "HTTP_X_FORWARDED_FOR");
	if (xff == NULL)
		return ip_text(req->arena, ip);
	size_t end = strlen(xff);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		unsigned char hop[16];
		if (!ip_parse(xff + start, end - start, hop))
			break; /* garbage from the proxy: trust only what we saw ourselves */
		memcpy(ip, hop, 16);
		if (!ip_trusted(hop, limits->trusted_proxies))
			break;
		end = start > 0 ? start - 1 : 0;
	}
	return ip_text(req->arena, ip);
}

/* ---- path ------------------------------------------------------------------------------------------- */

static bool has_prefix_segment(const char *path, const char *prefix, size_t n)
{
	return n > 0 && strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* SCRIPT_NAME names our program itself (mod_fcgid, ScriptAlias to caloria.fcgi, plain CGI). */
static bool is_script(const char *sn)
{
	size_t n = strlen(sn);
	return (n >= 5 && strcmp(sn + n - 5, ".fcgi") == 0) || (n >= 4 && strcmp(sn + n - 4, ".cgi") == 0);
}

/*
 * Which path did the client ask for? nginx passes REQUEST_URI and a SCRIPT_NAME equal to the URI. Apache
 * passes the original REQUEST_URI too; when the client addressed the program itself (/caloria.fcgi/health)
 * or the program sits in a sub-directory with a RewriteRule (/app/health with SCRIPT_NAME
 * /app/caloria.fcgi), the script's own prefix is dropped. Without REQUEST_URI, PATH_INFO is the path.
 */
static const char *request_path(cal_request *req, const char **uri_query)
{
	const char *uri = param(req->io, "REQUEST_URI");
	const char *sn = param(req->io, "SCRIPT_NAME");
	const char *pi = param(req->io, "PATH_INFO");
	sn = sn ? sn : "";
	pi = pi ? pi : "";

	*uri_query = NULL;
	if (uri == NULL || *uri == '\0') {
		if (*pi != '\0')
			return pi;
		return (*sn != '\0' && !is_script(sn)) ? sn : "/";
	}
	if (strncasecmp(uri, "http://", 7) == 0 || strncasecmp(uri, "https://", 8) == 0) {
		/* absolute-form request target: keep only the path */
		const char *p = strchr(strstr(uri, "//") + 2, '/');
		uri = p ? p : "/";
	}
	const char *q = strchr(uri, '?');
	size_t n = q ? (size_t)(q - uri) : strlen(uri);
	if (q != NULL)
		*uri_query = q + 1;
	char *path = cal_arena_strndup(req->arena, uri, n);
	size_t sl = strlen(sn);
	if (has_prefix_segment(path, sn, sl) && (*pi != '\0' || is_script(sn)))
		return path[sl] ? path + sl : "/";
	if (is_script(sn)) {
		const char *slash = strrchr(sn, '/');
		size_t dl = slash ? (size_t)(slash - sn) : 0;
		if (dl > 0 && has_prefix_segment(path, sn, dl))
			return path[dl] ? path + dl : "/";
	}
	return path;
}

static bool path_ok(const char *p)
{
	size_t n = 0;
	if (p[0] != '/')
		return false;
	for (; p[n]; n++)
		if ((unsigned char)p[n] <= 0x20 || (unsigned char)p[n] == 0x7f || n >= HTTP_PATH_MAX)
			return false;
	return true;
}

/* ---- body ------------------------------------------------------------------------------------------- */

/* Parses a CONTENT_LENGTH; -1 when malformed, SIZE_MAX when it does not fit (surely too large). */
static int parse_length(const char *s, size_t *out)
{
	size_t v = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (SIZE_MAX - d) / 10) {
			v = SIZE_MAX;
			while (isdigit((unsigned char)s[1]))
				s++;
			if (s[1] != '\0')
				return -1;
			break;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static cal_err read_exact(cal_request *req, size_t len)
{
	char *body = cal_arena_alloc(req->arena, len + 1);
	size_t got = 0;
	if (req->io->read == NULL)
		return CAL_ERR_VALIDATION;
	while (got < len) {
		long r = req->io->read(req->io->h, body + got, len - got);
		if (r <= 0 || (size_t)r > len - got)
			return CAL_ERR_VALIDATION; /* the client sent less than it announced */
		got += (size_t)r;
	}
	body[len] = '\0';
	req->body = body;
	req->body_len = len;
	return CAL_OK;
}

/* No CONTENT_LENGTH: read until the end, but never more than max + 1 bytes. */
static cal_err read_unknown(cal_request *req, size_t max)
{
	cal_buf b;
	cal_err rc = CAL_OK;
	char chunk[HTTP_READ_CHUNK];

	cal_buf_init(&b);
	if (req->io->read == NULL)
		goto done;
	for (;;) {
		size_t want = sizeof chunk;
		if (max - b.len + 1 < want)
			want = max - b.len + 1;
		long r = req->io->read(req->io->h, chunk, want);
		if (r < 0) {
			rc = CAL_ERR_VALIDATION;
			goto done;
		}
		if (r == 0)
			break;
		cal_buf_append(&b, chunk, (size_t)r);
		if (b.len > max) {
			rc = CAL_ERR_TOO_LARGE;
			goto done;
		}
	}
	if (b.len > 0) {
		req->body = cal_arena_alloc(req->arena, b.len + 1);
		memcpy(req->body, b.data, b.len);
		req->body_len = b.len;
	}
done:
	cal_buf_free(&b);
	return rc;
}

static cal_err read_body(cal_request *req, const cal_http_limits *limits)
{
	size_t max = limits ? limits->max_body_bytes : 0;
	const char *cl = param(req->io, "CONTENT_LENGTH");
	size_t len;

	if (cl != NULL && *cl != '\0') {
		if (parse_length(cl, &len) != 0)
			return CAL_ERR_VALIDATION;
		if (len > max)
			return CAL_ERR_TOO_LARGE; /* refused before a single body byte is read */
		return len == 0 ? CAL_OK : read_exact(req, len);
	}
	/* GET and HEAD carry no body; other methods may stream one without a length. */
	if (req->method == CAL_GET || req->method == CAL_HEAD)
		return CAL_OK;
	if (max == SIZE_MAX)
		max = SIZE_MAX - 1;
	return read_unknown(req, max);
}

/* ---- parse ------------------------------------------------------------------------------------------ */

static const char *param_or_empty(const cal_io *io, const char *name)
{
	const char *v = param(io, name);
	return v ? v : "";
}

cal_err cal_http_parse_head(cal_request *req, cal_arena *arena, const cal_io *io, const cal_http_limits *limits)
{
	const char *xid, *uri_query = NULL, *qs, *path;
	cal_err rc = CAL_OK;

	memset(req, 0, sizeof *req);
	req->arena = arena;
	req->io = io;
	req->lang = CAL_LANG_ES;
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	req->path = "/";
	req->query = "";

	xid = param(io, "HTTP_X_REQUEST_ID");
	if (cal_http_request_id_valid(xid))
		snprintf(req->id, sizeof req->id, "%s", xid);
	else
		cal_http_new_request_id(req->id);

	req->remote_addr = cal_arena_strdup(arena, param_or_empty(io, "REMOTE_ADDR"));
	req->client_ip = client_ip(req, limits);
	req->content_type = param_or_empty(io, "CONTENT_TYPE");
	req->method_name = param_or_empty(io, "REQUEST_METHOD");
	req->method = cal_http_method_parse(req->method_name);
	if (*req->method_name == '\0')
		rc = CAL_ERR_VALIDATION;

	path = request_path(req, &uri_query);
	if (path_ok(path))
		req->path = path;
	else if (rc == CAL_OK)
		rc = CAL_ERR_VALIDATION;
	qs = param(io, "QUERY_STRING");
	req->query = qs ? qs : (uri_query ? uri_query : "");
	return rc;
}

cal_err cal_http_read_body(cal_request *req, const cal_http_limits *limits)
{
	if (req->body_read)
		return CAL_OK;
	req->body_read = true;
	return read_body(req, limits);
}

cal_err cal_http_parse(cal_request *req, cal_arena *arena, const cal_io *io, const cal_http_limits *limits)
{
	cal_err rc = cal_http_parse_head(req, arena, io, limits);
	return rc == CAL_OK ? cal_http_read_body(req, limits) : rc;
}

void cal_http_request_release(cal_request *req)
{
	if (req == NULL)
		return;
	if (req->json != NULL)
		json_object_put(req->json);
	req->json = NULL;
}

/* ---- headers, query, form, cookies ------------------------------------------------------------------- */

const char *cal_http_header(const cal_request *req, const char *name)
{
	char key[128];
	size_t n = strlen(name);

	if (strcasecmp(name, "Content-Type") == 0)
		return param(req->io, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return param(req->io, "CONTENT_LENGTH");
	if (n == 0 || n + 6 > sizeof key)
		return NULL;
	memcpy(key, "HTTP_", 5);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '-' && c != '_')
			return NULL;
		key[5 + i] = c == '-' ? '_' : (char)toupper(c);
	}
	key[5 + n] = '\0';
	return param(req->io, key);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into the arena; '+' is a space when plus. NULL when it would decode to a NUL. */
static char *pct_decode(cal_arena *a, const char *s, size_t n, bool plus)
{
	char *out = cal_arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 && hexval((unsigned char)s[i + 2]) >= 0) {
			c = (unsigned char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			if (c == 0)
				return NULL;
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* Finds name in "a=1&b=2" (sep '&') and returns its decoded value; "" for a bare "name". */
static const char *pairs_find(cal_arena *a, const char *s, size_t len, const char *name, char sep, bool plus)
{
	const char *end = s + len;
	const char *p = s;
	while (p < end) {
		const char *e = memchr(p, sep, (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (sep == ';')
			while (p < e && *p == ' ')
				p++;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		const char *kend = eq ? eq : e;
		char *key = pct_decode(a, p, (size_t)(kend - p), plus);
		if (key != NULL && strcmp(key, name) == 0) {
			if (eq == NULL)
				return "";
			const char *v = eq + 1;
			size_t vn = (size_t)(e - v);
			if (sep == ';' && vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
				v++;
				vn -= 2;
			}
			return pct_decode(a, v, vn, plus);
		}
		p = e + 1;
	}
	return NULL;
}

const char *cal_http_query(const cal_request *req, const char *name)
{
	if (req->query == NULL || name == NULL)
		return NULL;
	return pairs_find(req->arena, req->query, strlen(req->query), name, '&', true);
}

static bool is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof form - 1;
	return ct != NULL && strncasecmp(ct, form, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

const char *cal_http_form(const cal_request *req, const char *name)
{
	if (req->body == NULL || name == NULL || !is_form(req->content_type))
		return NULL;
	return pairs_find(req->arena, req->body, req->body_len, name, '&', true);
}

const char *cal_http_cookie(const cal_request *req, const char *name)
{
	const char *c = param(req->io, "HTTP_COOKIE");
	if (c == NULL || name == NULL)
		return NULL;
	return pairs_find(req->arena, c, strlen(c), name, ';', false);
}

/* ---- JSON ------------------------------------------------------------------------------------------- */

bool cal_http_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned min, cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i < n)
			return false;
		cp = c & (0x7fu >> n);
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/*
 * An integer literal at s (n bytes, optional '-', digits) fits in 64 bits: int64 when negative, uint64
 * otherwise. json-c saturates larger ones silently, which would turn every huge id into the same user.
 */
static bool int_literal_fits(const char *s, size_t n)
{
	bool neg = n > 0 && s[0] == '-';
	const char *limit = neg ? "9223372036854775808" : "18446744073709551615";
	size_t lim_len = strlen(limit);

	if (neg) {
		s++;
		n--;
	}
	while (n > 1 && s[0] == '0') { /* strict parsing refuses these later; compare the value only */
		s++;
		n--;
	}
	return n < lim_len || (n == lim_len && memcmp(s, limit, n) <= 0);
}

/* Length of the number token at s[i]; *is_int says whether it has no fraction or exponent. */
static size_t number_token(const char *s, size_t n, size_t i, bool *is_int)
{
	size_t k = i + (s[i] == '-');

	*is_int = true;
	while (k < n && isdigit((unsigned char)s[k]))
		k++;
	while (k < n && (s[k] == '.' || s[k] == 'e' || s[k] == 'E' || s[k] == '+' || s[k] == '-' ||
			 isdigit((unsigned char)s[k]))) {
		*is_int = false;
		k++;
	}
	return k - i;
}

/*
 * json-c accepts a few things JSON does not (single-quoted strings, NaN, Infinity) and decodes \u0000 into
 * strings that C then truncates, and it clamps integers beyond 64 bits. This pass rejects them before
 * json-c sees the text.
 */
static const char *json_lex_check(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '-' || isdigit((unsigned char)c)) {
			bool is_int;
			size_t len = number_token(s, n, i, &is_int);
			if (is_int && !int_literal_fits(s + i, len))
				return "integer beyond 64 bits";
			i += len;
		} else if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] != '\\')
					continue;
				if (i + 5 < n && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
					return "strings must not contain \\u0000";
				i++;
			}
			i++;
		} else if (c == '\'') {
			return "single-quoted strings are not JSON";
		} else if (isalpha((unsigned char)c)) {
			size_t k = i;
			while (k < n && isalpha((unsigned char)s[k]))
				k++;
			bool exponent = (c == 'e' || c == 'E') && k == i + 1 && i > 0 &&
					(isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.');
			if (!exponent && !(k - i == 4 && memcmp(s + i, "true", 4) == 0) &&
			    !(k - i == 5 && memcmp(s + i, "false", 5) == 0) && !(k - i == 4 && memcmp(s + i, "null", 4) == 0))
				return "unexpected word (only true, false and null are JSON)";
			i = k;
		} else {
			i++;
		}
	}
	return NULL;
}

cal_err cal_http_json(cal_request *req, bool want_object, const char **why)
{
	const char *dummy;
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	cal_err rc = CAL_ERR_INVALID_JSON;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (req->json != NULL) {
		obj = req->json;
		goto check;
	}
	if (req->body == NULL || req->body_len == 0) {
		*why = "empty body";
		goto out;
	}
	if (!cal_http_utf8_valid(req->body, req->body_len)) {
		*why = "body is not valid UTF-8";
		goto out;
	}
	if ((*why = json_lex_check(req->body, req->body_len)) != NULL)
		goto out;
	tok = json_tokener_new_ex(HTTP_JSON_DEPTH);
	if (tok == NULL) {
		*why = "out of memory";
		rc = CAL_ERR_INTERNAL;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* Passing the terminating NUL tells json-c the text ends here, so a bare number is complete. */
	obj = json_tokener_parse_ex(tok, req->body, (int)req->body_len + 1);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		*why = jerr == json_tokener_error_depth ? "nesting deeper than 32" : json_tokener_error_desc(jerr);
		json_object_put(obj);
		obj = NULL;
		goto out;
	}
	req->json = obj;
check:
	if (want_object && !json_object_is_type(obj, json_type_object)) {
		*why = "the body must be a JSON object";
		goto out;
	}
	rc = CAL_OK;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* ---- responses -------------------------------------------------------------------------------------- */

void cal_resp_init(cal_response *resp)
{
	memset(resp, 0, sizeof *resp);
	resp->status = 200;
	cal_buf_init(&resp->body);
}

void cal_resp_free(cal_response *resp)
{
	cal_buf_free(&resp->body);
	resp->nheaders = 0;
}

void cal_resp_header(cal_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= CAL_MAX_RESP_HEADERS) {
		cal_log(CAL_LOG_ERROR, "app", "response header %s dropped: more than %d headers", name,
			CAL_MAX_RESP_HEADERS);
		return;
	}
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = value;
	resp->nheaders++;
}

/* Sets a header once: replaces an existing one of the same name, so re-rendering does not duplicate it. */
static void header_set(cal_response *resp, const char *name, const char *value)
{
	for (int i = 0; i < resp->nheaders; i++)
		if (resp->headers[i].name != NULL && strcasecmp(resp->headers[i].name, name) == 0) {
			resp->headers[i].value = value;
			return;
		}
	cal_resp_header(resp, name, value);
}

static void body_set(cal_response *resp, int status, const char *ctype, const char *data, size_t len)
{
	resp->status = status;
	resp->content_type = ctype;
	cal_buf_reset(&resp->body);
	cal_buf_append(&resp->body, data ? data : "", data ? len : 0);
}

void cal_resp_json(cal_response *resp, int status, struct json_object *obj)
{
	const char *text = NULL;
	if (obj != NULL)
		text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		text = "null";
	body_set(resp, status, "application/json; charset=utf-8", text, strlen(text));
	header_set(resp, "X-Content-Type-Options", "nosniff");
	header_set(resp, "Cache-Control", "no-store");
}

void cal_resp_html(cal_response *resp, int status, const char *html, size_t len)
{
	body_set(resp, status, "text/html; charset=utf-8", html, len);
	header_set(resp, "Content-Security-Policy",
		   "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
		   "frame-ancestors 'none'");
	header_set(resp, "X-Content-Type-Options", "nosniff");
	header_set(resp, "X-Frame-Options", "DENY");
	header_set(resp, "Referrer-Policy", "no-referrer");
}

void cal_resp_text(cal_response *resp, int status, const char *content_type, const char *text, size_t len)
{
	body_set(resp, status, content_type ? content_type : "text/plain; charset=utf-8", text, len);
	header_set(resp, "X-Content-Type-Options", "nosniff");
}

struct json_object *cal_http_error_object(const cal_request *req, cal_err e, const char *message,
					  struct json_object *details)
{
	struct json_object *root = json_object_new_object();
	struct json_object *err = json_object_new_object();
	cal_lang lang = req ? req->lang : CAL_LANG_ES;

	if (root == NULL || err == NULL) {
		json_object_put(root);
		json_object_put(err);
		json_object_put(details);
		return NULL;
	}
	json_object_object_add(err, "code", json_object_new_string(cal_err_code(e)));
	json_object_object_add(err, "message", json_object_new_string(message ? message : cal_err_message(e, lang)));
	json_object_object_add(err, "request_id", json_object_new_string(req ? req->id : ""));
	if (details != NULL)
		json_object_object_add(err, "details", details);
	json_object_object_add(root, "error", err);
	return root;
}

void cal_resp_error(const cal_request *req, cal_response *resp, cal_err e, const char *message,
		    struct json_object *details)
{
	struct json_object *obj = cal_http_error_object(req, e, message, details);
	if (obj == NULL) {
		static const char fallback[] = "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
		body_set(resp, 500, "application/json; charset=utf-8", fallback, sizeof fallback - 1);
	} else {
		cal_resp_json(resp, cal_err_status(e), obj);
		json_object_put(obj);
	}
	resp->err = e;
}

/* ---- writing ---------------------------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
	}
}

static bool header_name_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

static bool header_value_ok(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/* Headers this module writes itself; a handler's copy would contradict them. */
static bool header_reserved(const char *name)
{
	return strcasecmp(name, "Status") == 0 || strcasecmp(name, "Content-Type") == 0 ||
	       strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "X-Request-ID") == 0;
}

/* Appends "Name: value\r\n" (both already checked). The head is built with puts, not a printf per line. */
static void head_line(cal_buf *head, const char *name, const char *value)
{
	cal_buf_puts(head, name);
	cal_buf_puts(head, ": ");
	cal_buf_puts(head, value);
	cal_buf_puts(head, "\r\n");
}

/* Decimal text of v in buf (at least 21 bytes); returns buf's first digit. */
static const char *udec(size_t v, char buf[24])
{
	char *p = buf + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return p;
}

int cal_http_write(const cal_request *req, const cal_response *resp, const cal_io *io)
{
	char num[24];
	cal_buf head;
	int status = resp->status;
	int rc = -1;
	bool bodyless;

	if (io == NULL || io->write == NULL)
		return -1;
	if (status < 100 || status > 599) {
		cal_log(CAL_LOG_ERROR, "app", "invalid response status %d replaced by 500", status);
		status = 500;
	}
	bodyless = status == 204 || status == 304 || status < 200;
	cal_buf_init(&head);
	cal_buf_puts(&head, "Status: ");
	cal_buf_puts(&head, udec((size_t)status, num));
	cal_buf_puts(&head, " ");
	cal_buf_puts(&head, reason_phrase(status));
	cal_buf_puts(&head, "\r\n");
	if (!bodyless) {
		const char *ct = resp->content_type;
		if (ct == NULL && resp->body.len > 0)
			ct = "application/octet-stream";
		if (ct != NULL && header_value_ok(ct))
			head_line(&head, "Content-Type", ct);
		head_line(&head, "Content-Length", udec(resp->body.len, num));
	}
	if (req != NULL && cal_http_request_id_valid(req->id))
		head_line(&head, "X-Request-ID", req->id);
	for (int i = 0; i < resp->nheaders; i++) {
		const cal_header *h = &resp->headers[i];
		if (!header_name_ok(h->name) || !header_value_ok(h->value)) {
			/* Never echo the value: it may carry a cookie or a token. */
			cal_log(CAL_LOG_WARN, "security", "response header dropped: CR/LF or invalid characters in %s",
				header_name_ok(h->name) ? h->name : "(invalid name)");
			continue;
		}
		if (header_reserved(h->name))
			continue;
		head_line(&head, h->name, h->value);
	}
	cal_buf_puts(&head, "\r\n");
	if (io->write(io->h, head.data, head.len) != 0)
		goto out;
	bool head_only = req != NULL && req->method == CAL_HEAD;
	if (!bodyless && !head_only && resp->body.len > 0 && io->write(io->h, resp->body.data, resp->body.len) != 0)
		goto out;
	rc = 0;
out:
	cal_buf_free(&head);
	return rc;
}

double cal_http_elapsed_ms(const cal_request *req)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - req->started.tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - req->started.tv_nsec) / 1e6;
}
