/*
 * The project's one error enum. Every fallible function returns a cal_err; each value maps to exactly one
 * HTTP status, one stable code string (the "code" of the JSON error envelope, SPEC §4.1) and one short
 * user-facing message per language.
 */
#ifndef CALORIA_ERR_H
#define CALORIA_ERR_H

typedef enum cal_lang {
	CAL_LANG_ES = 0, /* Spanish, the default */
	CAL_LANG_EN,     /* English */
	CAL_LANG__MAX
} cal_lang;

typedef enum cal_err {
	CAL_OK = 0,                /* success */
	CAL_ERR_INVALID_JSON,      /* body is not JSON, too deep, or not UTF-8 → 400 */
	CAL_ERR_VALIDATION,        /* a field is missing, malformed or too long → 400 */
	CAL_ERR_UNAUTHORIZED,      /* missing or wrong credentials → 401 */
	CAL_ERR_FORBIDDEN,         /* authenticated but not allowed → 403 */
	CAL_ERR_NOT_FOUND,         /* no such path or resource → 404 */
	CAL_ERR_METHOD,            /* path exists, method does not → 405 with Allow */
	CAL_ERR_CONFLICT,          /* state forbids the action (e.g. already subscribed) → 409 */
	CAL_ERR_TOO_LARGE,         /* body above server.max_body_bytes → 413 */
	CAL_ERR_MEDIA_TYPE,        /* unsupported Content-Type → 415 */
	CAL_ERR_RATE_LIMITED,      /* over the rate class limit → 429 with Retry-After */
	CAL_ERR_INTERNAL,          /* a bug or resource exhaustion → 500 */
	CAL_ERR_UPSTREAM,          /* an external API failed → 502 */
	CAL_ERR_UNAVAILABLE,       /* database or another dependency down → 503 */
	CAL_ERR__MAX
} cal_err;

/* Stable machine code, e.g. "invalid_json". */
const char *cal_err_code(cal_err e);
/* HTTP status for the error (200 for CAL_OK). */
int cal_err_status(cal_err e);
/* Short human message in the given language, safe to show to anyone. */
const char *cal_err_message(cal_err e, cal_lang lang);
/* Same as cal_err_code; the name the style guide asks for. */
const char *cal_strerror(cal_err e);
/* Reverse of cal_err_code for metrics; CAL_ERR__MAX when unknown. */
cal_err cal_err_from_code(const char *code);

#endif
