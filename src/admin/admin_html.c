/*
 * HTML helpers (admin_html.h). The style sheet is inline because the Content-Security-Policy of every page
 * (http.c) allows inline styles and nothing external; charts are inline SVG for the same reason, so a page
 * is one response with no further requests.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "caloria/admin_html.h"

const char *cal_html_esc(cal_arena *a, const char *s)
{
	size_t n = 0;
	const char *p;
	char *out, *o;

	if (s == NULL)
		return "";
	for (p = s; *p; p++)
		n += (*p == '&') ? 5 : (*p == '<' || *p == '>') ? 4 : (*p == '"' || *p == '\'') ? 6 : 1;
	if (n == (size_t)(p - s))
		return s;
	out = o = cal_arena_alloc(a, n + 1);
	for (p = s; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: *o++ = *p; continue;
		}
		size_t l = strlen(rep);
		memcpy(o, rep, l);
		o += l;
	}
	*o = '\0';
	return out;
}

const char *cal_html_urlenc(cal_arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *o;

	if (s == NULL)
		return "";
	out = o = cal_arena_alloc(a, 3 * strlen(s) + 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

static const char style[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2327;"
	"background:#f4f6f8}"
	"header{background:#1f6f50;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;"
	"align-items:center}"
	"header a,header button{color:#fff;text-decoration:none;font:inherit;background:none;border:0;padding:0;"
	"cursor:pointer}"
	"header strong{margin-right:auto}"
	"main{max-width:72rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .6rem}"
	".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.6rem}"
	".card{background:#fff;border-radius:8px;padding:.7rem .8rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	".card b{display:block;font-size:1.35rem}.card span{color:#5b6770;font-size:.85rem}"
	".box{background:#fff;border-radius:8px;padding:.8rem;box-shadow:0 1px 2px rgba(0,0,0,.08);"
	"overflow-x:auto;margin-bottom:.8rem}"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}"
	"th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e7ea;vertical-align:top}"
	"th{color:#5b6770;font-weight:600;white-space:nowrap}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"svg{width:100%;height:auto;display:block}"
	".legend span{display:inline-block;margin-right:.8rem;font-size:.85rem}"
	".legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}"
	"form.inline{display:inline}"
	"input[type=text],input[type=password],input[type=search]{font:inherit;padding:.45rem .55rem;"
	"border:1px solid #b9c2c9;border-radius:6px;width:100%;max-width:22rem}"
	"button.primary{font:inherit;padding:.45rem 1rem;border:0;border-radius:6px;background:#1f6f50;"
	"color:#fff;cursor:pointer}"
	"label{display:block;margin:.6rem 0 .2rem;font-weight:600}"
	".msg{background:#fdecea;color:#8a1f11;padding:.6rem .8rem;border-radius:6px}"
	".muted{color:#5b6770}.pager{display:flex;gap:1rem;margin-top:.6rem}"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{color:#5b6770}"
	"dd{margin:0;word-break:break-word}"
	"article{max-width:46rem;background:#fff;border-radius:8px;padding:1rem 1.2rem;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}";

void cal_html_begin(cal_buf *b, cal_arena *a, const char *lang, const char *title)
{
	cal_buf_printf(b,
		       "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		       "<meta name=\"robots\" content=\"noindex\">"
		       /* An empty data: icon: the browser asks for no /favicon.ico. */
		       "<link rel=\"icon\" href=\"data:,\"><title>%s</title><style>%s</style></head><body>\n",
		       strcmp(lang, "en") == 0 ? "en" : "es", cal_html_esc(a, title), style);
}

void cal_html_end(cal_buf *b)
{
	cal_buf_puts(b, "</body></html>\n");
}

static const char *const colours[] = {"#1f6f50", "#e0a526", "#3b7dd8", "#b04a5a"};

void cal_html_chart(cal_buf *b, cal_arena *a, const char *title, int npoints, const char *const *labels,
		    int nseries, const double *const *series, const char *const *names)
{
	const double w = 600, h = 180, top = 10, bottom = 22, left = 34;
	double max = 0;

	for (int i = 0; i < npoints; i++) {
		double sum = 0;
		for (int s = 0; s < nseries; s++)
			sum += series[s][i] > 0 ? series[s][i] : 0;
		if (sum > max)
			max = sum;
	}
	double scale_max = max < 1 ? 1 : max;
	double plot_h = h - top - bottom, slot = npoints > 0 ? (w - left) / npoints : 1;
	cal_buf_printf(b, "<div class=\"box\"><h2>%s</h2>", cal_html_esc(a, title));
	cal_buf_printf(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">", w, h, cal_html_esc(a, title));
	cal_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#b9c2c9\"/>", left, top + plot_h,
		       w, top + plot_h);
	cal_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6770\">%.0f</text>",
		       left - 4, top + 9, max);
	cal_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6770\">0</text>",
		       left - 4, top + plot_h);
	for (int i = 0; i < npoints; i++) {
		double y = top + plot_h;
		for (int s = 0; s < nseries; s++) {
			double v = series[s][i] > 0 ? series[s][i] : 0, bh = v / scale_max * plot_h;
			if (bh <= 0)
				continue;
			y -= bh;
			cal_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
					  "<title>%s %s: %.0f</title></rect>",
				       left + i * slot + slot * 0.1, y, slot * 0.8, bh, colours[s % 4],
				       cal_html_esc(a, labels[i]), cal_html_esc(a, names[s]), v);
		}
	}
	if (npoints > 0)
		cal_buf_printf(b,
			       "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"#5b6770\">%s</text>"
			       "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6770\">%s</text>",
			       left, h - 6, cal_html_esc(a, labels[0]), w, h - 6, cal_html_esc(a, labels[npoints - 1]));
	cal_buf_puts(b, "</svg><div class=\"legend\">");
	for (int s = 0; s < nseries; s++)
		cal_buf_printf(b, "<span><i style=\"background:%s\"></i>%s</span>", colours[s % 4], cal_html_esc(a, names[s]));
	cal_buf_puts(b, "</div></div>\n");
}
