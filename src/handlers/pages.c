/*
 * GET /, /privacy-policy, /terms-and-conditions (SPEC §4.3): the public pages in the visitor's language
 * (?lang=es|en, else Accept-Language, else app.default_language). pages.c owns the texts.
 */
#include "config.h"

#include <string.h>

#include "caloria/handlers.h"
#include "caloria/pages.h"

static cal_err render(cal_ctx *ctx, cal_request *req, cal_response *resp, cal_page page)
{
	cal_lang def = ctx->conf.app_default_language != NULL && strcmp(ctx->conf.app_default_language, "en") == 0
			       ? CAL_LANG_EN : CAL_LANG_ES;
	cal_lang lang = cal_pages_lang(cal_http_query(req, "lang"), cal_http_header(req, "Accept-Language"), def);
	cal_buf b;

	cal_buf_init(&b);
	cal_pages_render(&b, req->arena, page, lang, ctx->conf.subscription_price, ctx->conf.subscription_currency,
			 ctx->conf.subscription_trial_days);
	cal_resp_html(resp, 200, b.data, b.len);
	cal_resp_header(resp, "Content-Language", lang == CAL_LANG_EN ? "en" : "es");
	cal_resp_header(resp, "Vary", "Accept-Language");
	cal_buf_free(&b);
	return CAL_OK;
}

cal_err cal_h_page_home(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return render(ctx, req, resp, CAL_PAGE_HOME);
}

cal_err cal_h_page_privacy(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return render(ctx, req, resp, CAL_PAGE_PRIVACY);
}

cal_err cal_h_page_terms(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	return render(ctx, req, resp, CAL_PAGE_TERMS);
}
