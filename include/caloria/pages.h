/*
 * The public pages of SPEC §4.3: `/` (what the bot does), `/privacy-policy` (what data it keeps, why, for how
 * long, and how to have it erased) and `/terms-and-conditions`, in Spanish and English. Static text rendered
 * into the shared page frame (admin_html.h); nothing user-controlled reaches them but the language choice.
 */
#ifndef CALORIA_PAGES_H
#define CALORIA_PAGES_H

#include "caloria/err.h"
#include "caloria/mem.h"

typedef enum cal_page {
	CAL_PAGE_HOME = 0,
	CAL_PAGE_PRIVACY,
	CAL_PAGE_TERMS,
	CAL_PAGE__MAX
} cal_page;

/* The page in lang into b (appended). price/currency/trial_days describe the subscription in the terms. */
void cal_pages_render(cal_buf *b, cal_arena *a, cal_page page, cal_lang lang, const char *price,
		      const char *currency, long trial_days);
/* The language of a request: ?lang= first, then the first Accept-Language tag, else def. */
cal_lang cal_pages_lang(const char *lang_param, const char *accept_language, cal_lang def);

#endif
