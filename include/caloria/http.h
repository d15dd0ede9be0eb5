/*
 * The HTTP layer between the process front and the handlers: turns FastCGI/CGI parameters and the body
 * into a validated cal_request (limits of SPEC §4.2 applied before anything is parsed), and writes a
 * cal_response back. It knows nothing of routes or handlers, and it never touches stdout itself: all I/O
 * goes through a cal_io supplied by the front (libfcgi stream, CGI stdio, or a test buffer).
 */
#ifndef CALORIA_HTTP_H
#define CALORIA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "caloria/err.h"
#include "caloria/mem.h"

struct cal_route;

/* How a request reaches us; implemented by fcgi/ for libfcgi and CGI, and by tests. */
typedef struct cal_io {
	void *h;
	/* CGI/FastCGI parameter such as "REQUEST_METHOD" or "HTTP_X_REQUEST_ID"; NULL when absent. */
	const char *(*getparam)(void *h, const char *name);
	/* Reads up to n body bytes; returns bytes read, 0 at end, -1 on error. */
	long (*read)(void *h, char *buf, size_t n);
	/* Writes all n bytes; returns 0 or -1. */
	int (*write)(void *h, const char *buf, size_t n);
} cal_io;

typedef enum cal_method {
	CAL_GET = 1 << 0,
	CAL_HEAD = 1 << 1,
	CAL_POST = 1 << 2,
	CAL_PUT = 1 << 3,
	CAL_DELETE = 1 << 4,
	CAL_PATCH = 1 << 5,
	CAL_OPTIONS = 1 << 6,
	CAL_METHOD_OTHER = 1 << 7
} cal_method;

#define CAL_MAX_CAPTURES 4
#define CAL_MAX_RESP_HEADERS 16
#define CAL_REQUEST_ID_MAX 64

typedef struct cal_request {
	cal_arena *arena;          /* everything below lives here */
	const cal_io *io;
	cal_method method;
	const char *method_name;   /* as received, e.g. "GET" */
	const char *path;          /* path without query, as received (never NULL, starts with '/') */
	const char *query;         /* raw query string, "" when none */
	const char *content_type;  /* "" when none */
	const char *remote_addr;   /* peer address as the web server saw it */
	const char *client_ip;     /* remote_addr, or X-Forwarded-For when the peer is a trusted proxy */
	char id[CAL_REQUEST_ID_MAX + 1];
	char *body;                /* NUL-terminated copy of the body, NULL when empty */
	size_t body_len;
	struct json_object *json;  /* parsed body, owned by the request (see cal_http_json) */
	const char *captures[CAL_MAX_CAPTURES]; /* {id} values of the matched route pattern */
	int ncaptures;
	const struct cal_route *route;
	cal_lang lang;             /* language for error messages; handlers may refine it */
	struct timespec started;   /* CLOCK_MONOTONIC */
	const char *principal;     /* who is calling, for rate-limit keys; set by auth/handlers */
	const struct cal_admin_who *who; /* the admin session or API token that authenticated it (admin_auth.h) */
	bool body_read;            /* cal_http_read_body() has run (the body may still be empty) */
} cal_request;

typedef struct cal_header {
	const char *name;
	const char *value;
} cal_header;

typedef struct cal_response {
	int status;
	const char *content_type;
	cal_buf body;
	cal_header headers[CAL_MAX_RESP_HEADERS];
	int nheaders;
	cal_err err;              /* the error this response reports, CAL_OK otherwise */
	const char *err_detail;   /* internal reason for the log (never sent) */
} cal_response;

typedef struct cal_http_limits {
	size_t max_body_bytes;
	const char *trusted_proxies; /* comma-separated */
} cal_http_limits;

/*
 * Fills req from io. Never reads a body larger than limits->max_body_bytes (→ CAL_ERR_TOO_LARGE). The
 * request id and client ip are set even when an error is returned, so the error can be answered.
 */
cal_err cal_http_parse(cal_request *req, cal_arena *arena, const cal_io *io, const cal_http_limits *limits);
/*
 * The two halves of cal_http_parse(), for the pipeline (SPEC §1): the head (parameters, headers, request id,
 * client address) first, so authentication and rate limits run before a single body byte is read; then
 * the body, once, with the same limits. cal_http_read_body() is a no-op the second time.
 */
cal_err cal_http_parse_head(cal_request *req, cal_arena *arena, const cal_io *io, const cal_http_limits *limits);
cal_err cal_http_read_body(cal_request *req, const cal_http_limits *limits);
/* Releases what the request owns outside the arena (the parsed JSON). */
void cal_http_request_release(cal_request *req);

/* Header lookup by HTTP name ("X-Caloria-Token"), case-insensitive; NULL when absent. */
const char *cal_http_header(const cal_request *req, const char *name);
/* Query parameter, percent-decoded into the arena; NULL when absent. */
const char *cal_http_query(const cal_request *req, const char *name);
/* Form field from an application/x-www-form-urlencoded body; NULL when absent. */
const char *cal_http_form(const cal_request *req, const char *name);
/* Cookie value by name; NULL when absent. */
const char *cal_http_cookie(const cal_request *req, const char *name);

/*
 * Parses the body as JSON once (depth ≤ 32, valid UTF-8, object at top level when want_object) and caches
 * it in req->json. Returns CAL_ERR_INVALID_JSON with a reason in *why (static text) on failure.
 */
cal_err cal_http_json(cal_request *req, bool want_object, const char **why);
/* True when s (len bytes) is valid UTF-8 without NUL bytes. */
bool cal_http_utf8_valid(const char *s, size_t len);
/* True when id is 1–64 chars of [A-Za-z0-9._-]. */
bool cal_http_request_id_valid(const char *id);
/* Writes a fresh random request id (32 hex chars) into out[CAL_REQUEST_ID_MAX + 1]. */
void cal_http_new_request_id(char *out);

void cal_resp_init(cal_response *resp);
void cal_resp_free(cal_response *resp);
/* Adds a header; name and value must outlive the response (use the arena). */
void cal_resp_header(cal_response *resp, const char *name, const char *value);
/* Serialises obj as the body with the JSON content type. Does not take ownership of obj. */
void cal_resp_json(cal_response *resp, int status, struct json_object *obj);
void cal_resp_html(cal_response *resp, int status, const char *html, size_t len);
void cal_resp_text(cal_response *resp, int status, const char *content_type, const char *text, size_t len);
/*
 * Fills the standard error envelope {"error": {"code", "message", "request_id", "details"?}} with the
 * status of e. message NULL = the catalogue text in req->lang. details, if given, is taken over (put).
 */
void cal_resp_error(const cal_request *req, cal_response *resp, cal_err e, const char *message,
		    struct json_object *details);
/* Builds the envelope object without filling a response (for bodies that embed it, like ManyChat's). */
struct json_object *cal_http_error_object(const cal_request *req, cal_err e, const char *message,
					  struct json_object *details);

/* Writes status line, headers (X-Request-ID always) and body. HEAD requests get no body. */
int cal_http_write(const cal_request *req, const cal_response *resp, const cal_io *io);

/* Method bit for a method name (case-sensitive, as HTTP says); CAL_METHOD_OTHER when unknown. */
cal_method cal_http_method_parse(const char *name);

/* Milliseconds since req->started. */
double cal_http_elapsed_ms(const cal_request *req);

#endif
