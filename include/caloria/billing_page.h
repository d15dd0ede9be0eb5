/*
 * The HTML of the subscription pages (SPEC §9.2, §4.1): the subscribe form that asks for the payer e-mail,
 * and the one-message pages (link invalid or expired, already subscribed, MercadoPago unavailable, the
 * return pages after checkout), in Spanish and English. No external assets; a user's first name at most;
 * every inserted value is HTML-escaped.
 */
#ifndef CALORIA_BILLING_PAGE_H
#define CALORIA_BILLING_PAGE_H

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/http.h"
#include "caloria/mem.h"

typedef enum cal_billing_page {
	CAL_PAGE_LINK_INVALID = 0, /* bad or forged token */
	CAL_PAGE_LINK_EXPIRED,
	CAL_PAGE_NO_USER,
	CAL_PAGE_ALREADY,          /* already subscribed */
	CAL_PAGE_UPSTREAM,         /* MercadoPago failed: try again */
	CAL_PAGE_SUCCESS,          /* /subscription-success */
	CAL_PAGE_CANCEL,           /* /subscription-cancel */
	CAL_PAGE_ERROR,            /* anything else went wrong: try again later */
	CAL_PAGE__MAX
} cal_billing_page;

/* The e-mail form posting to action (already a safe URL path); email_error shows the invalid-e-mail line and
 * keeps the typed value. first_name may be NULL. */
const char *cal_billing_page_form(cal_arena *a, cal_lang lang, const char *first_name, const char *price,
				  const char *currency, const char *action, const char *typed_email, bool email_error);
const char *cal_billing_page_message(cal_arena *a, cal_lang lang, cal_billing_page page);

/* Fills resp with the page and the §4.1 headers. The policy lets the form's redirect reach MercadoPago's
 * checkout, which browsers check against form-action. */
void cal_billing_page_send(cal_response *resp, int status, const char *html);

/* The route's error renderer (router.h): the pipeline's errors as a page instead of the JSON envelope. A
 * refused link (CAL_ERR_FORBIDDEN) says whether it is invalid or expired. */
void cal_billing_page_render_error(struct cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e,
				   const char *message);

/* The language of a page without a user: ?lang=, else Accept-Language, else fallback. */
cal_lang cal_billing_page_lang(const cal_request *req, cal_lang fallback);

#endif
