/*
 * Server-rendered HTML for the admin panel and the public pages: escaping, the page frame (one inline
 * style sheet, no external assets, a viewport for phones) and inline-SVG bar charts. Every string that
 * comes from a user or the database goes through cal_html_esc() before it reaches a page; markup is only
 * ever written by this code.
 */
#ifndef CALORIA_ADMIN_HTML_H
#define CALORIA_ADMIN_HTML_H

#include "caloria/mem.h"

/* s with & < > " ' replaced by entities (arena); "" for NULL. Safe in text and in quoted attributes. */
const char *cal_html_esc(cal_arena *a, const char *s);
/* s percent-encoded for a URL query value (arena). */
const char *cal_html_urlenc(cal_arena *a, const char *s);

/* <!doctype html> … <body>; lang "es"/"en"; title is escaped. */
void cal_html_begin(cal_buf *b, cal_arena *a, const char *lang, const char *title);
void cal_html_end(cal_buf *b);

/*
 * A bar chart as inline SVG: npoints bars (labels are dates, shown first and last), nseries values per bar
 * stacked in fixed colours, with a legend of the series names. Values < 0 count as 0.
 */
void cal_html_chart(cal_buf *b, cal_arena *a, const char *title, int npoints, const char *const *labels,
		    int nseries, const double *const *series, const char *const *names);

#endif
