/*
 * Unit tests for src/err.c: every error has a code, a status and a message in each language, codes are
 * unique and cal_err_from_code() reverses cal_err_code().
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "caloria/err.h"

Test(err, every_error_has_code_status_and_messages)
{
	for (int e = 0; e < CAL_ERR__MAX; e++) {
		const char *code = cal_err_code((cal_err)e);
		cr_assert_not_null(code);
		cr_assert_gt(strlen(code), 0, "error %d has an empty code", e);
		int status = cal_err_status((cal_err)e);
		if (e == CAL_OK)
			cr_assert_eq(status, 200);
		else
			cr_assert(status >= 400 && status <= 599, "error %s has status %d", code, status);
		for (int l = 0; l < CAL_LANG__MAX; l++) {
			const char *msg = cal_err_message((cal_err)e, (cal_lang)l);
			cr_assert_not_null(msg);
			cr_assert_gt(strlen(msg), 0, "error %s has no message in language %d", code, l);
		}
		cr_assert_str_neq(cal_err_message((cal_err)e, CAL_LANG_ES), cal_err_message((cal_err)e, CAL_LANG_EN),
				  "error %s is not translated", code);
		cr_assert_str_eq(cal_strerror((cal_err)e), code);
	}
}

Test(err, codes_are_unique_and_round_trip)
{
	for (int a = 0; a < CAL_ERR__MAX; a++) {
		cr_assert_eq(cal_err_from_code(cal_err_code((cal_err)a)), (cal_err)a);
		for (int b = a + 1; b < CAL_ERR__MAX; b++)
			cr_assert_str_neq(cal_err_code((cal_err)a), cal_err_code((cal_err)b));
	}
	cr_assert_eq(cal_err_from_code("no_such_code"), CAL_ERR__MAX);
	cr_assert_eq(cal_err_from_code(NULL), CAL_ERR__MAX);
}

Test(err, spec_codes_and_statuses)
{
	static const struct {
		cal_err e;
		const char *code;
		int status;
	} spec[] = {
		{CAL_ERR_INVALID_JSON, "invalid_json", 400},     {CAL_ERR_VALIDATION, "validation_error", 400},
		{CAL_ERR_UNAUTHORIZED, "unauthorized", 401},     {CAL_ERR_FORBIDDEN, "forbidden", 403},
		{CAL_ERR_NOT_FOUND, "not_found", 404},           {CAL_ERR_METHOD, "method_not_allowed", 405},
		{CAL_ERR_TOO_LARGE, "payload_too_large", 413},   {CAL_ERR_MEDIA_TYPE, "unsupported_media_type", 415},
		{CAL_ERR_RATE_LIMITED, "rate_limited", 429},     {CAL_ERR_INTERNAL, "internal_error", 500},
		{CAL_ERR_UPSTREAM, "upstream_error", 502},       {CAL_ERR_UNAVAILABLE, "unavailable", 503},
		{CAL_ERR_CONFLICT, "conflict", 409},
	};
	for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
		cr_assert_str_eq(cal_err_code(spec[i].e), spec[i].code);
		cr_assert_eq(cal_err_status(spec[i].e), spec[i].status, "%s", spec[i].code);
	}
}

Test(err, out_of_range_values_are_safe)
{
	cr_assert_eq(cal_err_status((cal_err)-1), 500);
	cr_assert_eq(cal_err_status(CAL_ERR__MAX), 500);
	cr_assert_str_eq(cal_err_code((cal_err)999), "internal_error");
	cr_assert_str_eq(cal_err_message(CAL_ERR_NOT_FOUND, (cal_lang)42), cal_err_message(CAL_ERR_NOT_FOUND, CAL_LANG_ES));
}
