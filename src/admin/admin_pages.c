/*
 * The admin panel's HTML pages (admin_pages.h). Layout: a header with navigation and the logout form, then
 * cards of figures, tables that scroll sideways on a phone, and inline-SVG charts. Figures carry ids
 * (id="m-<name>") so tests and scripts can read them without scraping text. The panel speaks English: it is
 * for operators, not for chat users.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "caloria/admin_html.h"
#include "caloria/admin_pages.h"
#include "caloria/admin_stats.h"
#include "caloria/handlers.h"
#include "caloria/router.h"

#define CHART_DAYS 30
#define USERS_PER_PAGE 20
#define USER_LOGS 50

typedef struct page {
	cal_ctx *ctx;
	cal_request *req;
	cal_arena *a;
	const cal_admin_who *who;
	cal_buf b;
} page;

static const char *E(page *p, const char *s)
{
	return cal_html_esc(p->a, s);
}

static void open_page(page *p, cal_ctx *ctx, cal_request *req, const char *title)
{
	p->ctx = ctx;
	p->req = req;
	p->a = req->arena;
	p->who = req->who;
	cal_buf_init(&p->b);
	cal_html_begin(&p->b, p->a, "en", title);
	if (p->who == NULL || p->who->admin_id == 0) {
		cal_buf_puts(&p->b, "<header><strong>Caloria admin</strong></header><main>\n");
		return;
	}
	cal_buf_printf(&p->b,
		       "<header><strong>Caloria admin</strong><a href=\"/admin/dashboard\">Dashboard</a>"
		       "<a href=\"/admin/users\">Users</a>%s<span class=\"who\">%s (%s)</span>"
		       "<form class=\"inline\" method=\"post\" action=\"/admin/logout\">"
		       "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\"><button type=\"submit\">Log out</button>"
		       "</form></header><main>\n",
		       p->who->role == CAL_ROLE_ADMIN ? "<a href=\"/admin/system-status\">System status</a>" : "",
		       E(p, p->who->username), p->who->role == CAL_ROLE_ADMIN ? "admin" : "viewer", E(p, p->who->csrf));
}

static cal_err close_page(page *p, cal_response *resp, int status)
{
	cal_buf_puts(&p->b, "</main>");
	cal_html_end(&p->b);
	cal_resp_html(resp, status, p->b.data, p->b.len);
	cal_resp_header(resp, "Cache-Control", "no-store");
	cal_buf_free(&p->b);
	return CAL_OK;
}

static void card(page *p, const char *id, const char *label, const char *value)
{
	cal_buf_printf(&p->b, "<div class=\"card\" id=\"m-%s\"><b>%s</b><span>%s</span></div>", id, E(p, value),
		       E(p, label));
}

static void card_int(page *p, const char *id, const char *label, long long v)
{
	card(p, id, label, cal_arena_printf(p->a, "%lld", v));
}

static const char *pct(page *p, double r)
{
	return cal_arena_printf(p->a, "%.1f%%", r * 100.0);
}

/* ---- login ----------------------------------------------------------------------------------------- */

void cal_admin_page_login(cal_ctx *ctx, cal_request *req, cal_response *resp, int status, const char *message)
{
	const char *cookie, *token;
	page p;

	req->who = NULL;
	cal_admin_login_csrf_issue(ctx, req, &cookie, &token);
	open_page(&p, ctx, req, "Caloria admin — sign in");
	cal_buf_puts(&p.b, "<h1>Sign in</h1><div class=\"box\">");
	if (message != NULL)
		cal_buf_printf(&p.b, "<p class=\"msg\" role=\"alert\">%s</p>", E(&p, message));
	cal_buf_printf(&p.b,
		       "<form method=\"post\" action=\"/admin/login\">"
		       "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\">"
		       "<label for=\"username\">Username</label>"
		       "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>"
		       "<label for=\"password\">Password</label>"
		       "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"
		       "<p><button class=\"primary\" type=\"submit\">Sign in</button></p></form></div>",
		       E(&p, token));
	close_page(&p, resp, status);
	cal_resp_header(resp, "Set-Cookie", cookie);
}

/* ---- dashboard ------------------------------------------------------------------------------------- */

static void funnel_table(page *p, const long long counts[CAL_STATS_FUNNEL_STEPS])
{
	static const char *const labels[CAL_STATS_FUNNEL_STEPS] = {
		"First message", "Quiz started", "Quiz completed", "First food log", "Subscription link", "Paid"};

	cal_buf_printf(&p->b, "<h2>Funnel, last %d days</h2><div class=\"box\"><table>"
		       "<tr><th>Step</th><th>Users</th><th>Of first message</th></tr>", CHART_DAYS);
	for (int i = 0; i < CAL_STATS_FUNNEL_STEPS; i++)
		cal_buf_printf(&p->b, "<tr><td>%s</td><td class=\"n\" id=\"f-%s\">%lld</td><td class=\"n\">%s</td></tr>",
			       labels[i], cal_stats_funnel_names[i], counts[i],
			       counts[0] > 0 ? pct(p, (double)counts[i] / (double)counts[0]) : "–");
	cal_buf_puts(&p->b, "</table></div>\n");
}

cal_err cal_admin_page_dashboard(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	cal_stats_overview ov;
	cal_stats_series s;
	long long funnel[CAL_STATS_FUNNEL_STEPS];
	cal_err e;
	page p;

	if ((e = cal_stats_overview_get(ctx, req->arena, &ov)) != CAL_OK ||
	    (e = cal_stats_funnel(ctx, req->arena, CHART_DAYS, funnel)) != CAL_OK ||
	    (e = cal_stats_daily(ctx, req->arena, CHART_DAYS, &s)) != CAL_OK)
		return e;
	open_page(&p, ctx, req, "Caloria admin — dashboard");
	cal_buf_puts(&p.b, "<h1>Dashboard</h1><div class=\"cards\">");
	card_int(&p, "total_users", "users", ov.total_users);
	card_int(&p, "quiz_completed", "quiz completed", ov.quiz_completed);
	card(&p, "quiz_completion", "quiz completion", pct(&p, ov.quiz_completion));
	card_int(&p, "trial", "in trial now", ov.trial);
	card_int(&p, "trials_started", "trials started", ov.trials_started);
	card_int(&p, "paid", "paid users", ov.paid_users);
	card_int(&p, "active", "active subscriptions", ov.active);
	card(&p, "trial_to_paid", "trial → paid", pct(&p, ov.trial_to_paid));
	card(&p, "mrr", cal_arena_printf(p.a, "MRR (%s)", ov.currency), ov.mrr);
	card_int(&p, "signups_7d", "sign-ups, 7 days", ov.signups_7d);
	card_int(&p, "trials_7d", "trials, 7 days", ov.trials_7d);
	card_int(&p, "payments_7d", "payments, 7 days", ov.payments_7d);
	cal_buf_puts(&p.b, "</div><h2>Food logs by source</h2><div class=\"cards\">");
	card_int(&p, "logs_text", "text", ov.logs_text);
	card_int(&p, "logs_image", "photo", ov.logs_image);
	card_int(&p, "logs_audio", "voice", ov.logs_audio);
	cal_buf_puts(&p.b, "</div>\n");
	funnel_table(&p, funnel);
	const char *const one[] = {"sign-ups"}, *const srcs[] = {"text", "photo", "voice"}, *const pay[] = {"payments"};
	const double *const su[] = {s.signups}, *const lo[] = {s.logs_text, s.logs_image, s.logs_audio},
			    *const pa[] = {s.payments};
	cal_html_chart(&p.b, p.a, "Sign-ups per day (UTC)", s.ndays, s.dates, 1, su, one);
	cal_html_chart(&p.b, p.a, "Food logs per day, by source", s.ndays, s.dates, 3, lo, srcs);
	cal_html_chart(&p.b, p.a, "Approved payments per day (UTC)", s.ndays, s.dates, 1, pa, pay);
	return close_page(&p, resp, 200);
}

/* ---- users ----------------------------------------------------------------------------------------- */

static const char *name_of(page *p, const char *first, const char *last)
{
	if (first == NULL && last == NULL)
		return "";
	return cal_arena_printf(p->a, "%s%s%s", first ? first : "", first && last ? " " : "", last ? last : "");
}

static const char *when(page *p, const char *t)
{
	return t != NULL ? cal_stats_rfc3339(p->a, t) : "–";
}

cal_err cal_admin_page_users(cal_ctx *ctx, cal_request *req, cal_response *resp, const char *q, int page_no)
{
	cal_stats_user_page up;
	cal_err e;
	page p;

	if ((e = cal_stats_users(ctx, req->arena, q, page_no, USERS_PER_PAGE, &up)) != CAL_OK)
		return e;
	open_page(&p, ctx, req, "Caloria admin — users");
	cal_buf_printf(&p.b,
		       "<h1>Users</h1><form method=\"get\" action=\"/admin/users\" class=\"box\">"
		       "<label for=\"q\">Search by name or subscriber id</label>"
		       "<input type=\"search\" id=\"q\" name=\"q\" value=\"%s\"> "
		       "<button class=\"primary\" type=\"submit\">Search</button></form>"
		       "<p class=\"muted\" id=\"m-users_total\">%lld users</p><div class=\"box\"><table>"
		       "<tr><th>Id</th><th>Subscriber</th><th>Name</th><th>Plan</th><th>Quiz</th><th>Goal</th>"
		       "<th>Joined</th><th>Last seen</th></tr>",
		       E(&p, q), up.total);
	for (size_t i = 0; i < up.rows.nrows; i++) {
		const cal_dbrows *r = &up.rows;
		const char *id = cal_db_cell(r, i, 0);
		cal_buf_printf(&p.b,
			       "<tr><td><a href=\"/admin/users/%s\">%s</a></td><td>%s</td><td>%s</td><td>%s</td>"
			       "<td>%s</td><td class=\"n\">%s</td><td>%s</td><td>%s</td></tr>",
			       E(&p, id), E(&p, id),
			       E(&p, cal_stats_subscriber_shown(p.a, cal_db_cell(r, i, 1), p.who->role)),
			       E(&p, name_of(&p, cal_db_cell(r, i, 2), cal_db_cell(r, i, 3))), E(&p, cal_db_cell(r, i, 6)),
			       strcmp(cal_db_cell(r, i, 5), "1") == 0 ? "yes" : "no",
			       cal_db_cell(r, i, 7) ? E(&p, cal_db_cell(r, i, 7)) : "–", E(&p, when(&p, cal_db_cell(r, i, 8))),
			       E(&p, when(&p, cal_db_cell(r, i, 9))));
	}
	cal_buf_puts(&p.b, "</table><div class=\"pager\">");
	const char *qs = q != NULL && q[0] ? cal_arena_printf(p.a, "&amp;q=%s", cal_html_urlenc(p.a, q)) : "";
	if (page_no > 1)
		cal_buf_printf(&p.b, "<a href=\"/admin/users?page=%d%s\">← newer</a>", page_no - 1, qs);
	if ((long long)page_no * USERS_PER_PAGE < up.total)
		cal_buf_printf(&p.b, "<a href=\"/admin/users?page=%d%s\">older →</a>", page_no + 1, qs);
	cal_buf_puts(&p.b, "</div></div>\n");
	return close_page(&p, resp, 200);
}

/* ---- one user -------------------------------------------------------------------------------------- */

static void profile_list(page *p, const cal_dbrows *prof)
{
	static const char *const shown[] = {"subscriber_id", "first_name", "last_name", "language", "channel",
					    "utc_offset_min", "gender", "age", "weight_kg", "height_cm", "activity_level",
					    "goal", "target_weight_kg", "meals_per_day", "quiz_completed_at", "created_at",
					    "last_interaction", NULL};
	double bmi = cal_stats_bmi(prof);

	cal_buf_puts(&p->b, "<h2>Profile</h2><div class=\"box\"><dl>");
	for (int i = 0; shown[i] != NULL; i++) {
		const char *v = cal_stats_user_field(prof, shown[i]);
		if (strcmp(shown[i], "subscriber_id") == 0)
			v = cal_stats_subscriber_shown(p->a, v, p->who->role);
		else if (strstr(shown[i], "_at") != NULL || strcmp(shown[i], "last_interaction") == 0)
			v = v ? cal_stats_rfc3339(p->a, v) : NULL;
		cal_buf_printf(&p->b, "<dt>%s</dt><dd id=\"u-%s\">%s</dd>", shown[i], shown[i], v ? E(p, v) : "–");
	}
	cal_buf_printf(&p->b, "<dt>BMI</dt><dd id=\"u-bmi\">%s</dd></dl></div>",
		       bmi > 0 ? cal_arena_printf(p->a, "%.1f", bmi) : "–");
	cal_buf_puts(&p->b, "<h2>Targets</h2><div class=\"cards\">");
	static const char *const targets[][2] = {{"bmr", "BMR kcal"}, {"daily_calorie_goal", "daily goal kcal"},
						 {"protein_target_g", "protein g"}, {"carbs_target_g", "carbs g"},
						 {"fat_target_g", "fat g"}};
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const char *v = cal_stats_user_field(prof, targets[i][0]);
		card(p, targets[i][0], targets[i][1], v ? v : "–");
	}
	cal_buf_puts(&p->b, "</div>\n");
}

static void subscription_box(page *p, const cal_dbrows *prof, const cal_dbrows *subs, const cal_dbrows *pays)
{
	cal_buf_printf(&p->b,
		       "<h2>Subscription</h2><div class=\"box\"><dl><dt>status</dt><dd id=\"u-subscription_status\">%s</dd>"
		       "<dt>trial ends</dt><dd>%s</dd><dt>paid until</dt><dd>%s</dd></dl>",
		       E(p, cal_stats_user_field(prof, "subscription_status")),
		       E(p, when(p, cal_stats_user_field(prof, "trial_ends_at"))),
		       E(p, when(p, cal_stats_user_field(prof, "paid_until"))));
	if (subs->nrows > 0) {
		cal_buf_puts(&p->b, "<table><tr><th>Preapproval status</th><th>Amount</th><th>Created</th><th>Updated</th></tr>");
		for (size_t i = 0; i < subs->nrows; i++)
			cal_buf_printf(&p->b, "<tr><td>%s</td><td class=\"n\">%s %s</td><td>%s</td><td>%s</td></tr>",
				       E(p, cal_db_cell(subs, i, 0)), E(p, cal_db_cell(subs, i, 1)), E(p, cal_db_cell(subs, i, 2)),
				       E(p, when(p, cal_db_cell(subs, i, 4))), E(p, when(p, cal_db_cell(subs, i, 5))));
		cal_buf_puts(&p->b, "</table>");
	}
	cal_buf_printf(&p->b, "</div><h2>Payments</h2><div class=\"box\"><table id=\"payments\">"
			      "<tr><th>Payment</th><th>Kind</th><th>Status</th><th>Amount</th><th>Paid</th></tr>");
	for (size_t i = 0; i < pays->nrows; i++)
		cal_buf_printf(&p->b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"n\">%s %s</td><td>%s</td></tr>",
			       E(p, cal_db_cell(pays, i, 0)), E(p, cal_db_cell(pays, i, 1)), E(p, cal_db_cell(pays, i, 2)),
			       E(p, cal_db_cell(pays, i, 3)), E(p, cal_db_cell(pays, i, 4)),
			       E(p, when(p, cal_db_cell(pays, i, 5) ? cal_db_cell(pays, i, 5) : cal_db_cell(pays, i, 6))));
	if (pays->nrows == 0)
		cal_buf_puts(&p->b, "<tr><td colspan=\"5\" class=\"muted\">none</td></tr>");
	cal_buf_puts(&p->b, "</table></div>\n");
}

static void days_chart(page *p, const cal_stats_day *d, int n)
{
	const char **labels = cal_arena_alloc(p->a, sizeof(char *) * (size_t)n);
	double *kcal = cal_arena_alloc(p->a, sizeof(double) * (size_t)n);
	double *over = cal_arena_alloc(p->a, sizeof(double) * (size_t)n);

	/* Two stacked parts: up to the goal, and above it, so days over the goal stand out. */
	for (int i = 0; i < n; i++) {
		labels[i] = d[i].date;
		double goal = (double)d[i].goal_calories;
		kcal[i] = goal > 0 && d[i].total_calories > goal ? goal : d[i].total_calories;
		over[i] = goal > 0 && d[i].total_calories > goal ? d[i].total_calories - goal : 0;
	}
	const double *const series[] = {kcal, over};
	const char *const names[] = {"kcal up to the goal", "kcal over the goal"};
	cal_html_chart(&p->b, p->a, "Calories, last 30 days", n, labels, 2, series, names);
}

static void logs_table(page *p, const cal_dbrows *logs)
{
	cal_buf_printf(&p->b, "<h2>Last %d food logs</h2><div class=\"box\"><table id=\"logs\"><tr><th>When (UTC)</th>"
			      "<th>Source</th><th>What</th><th>kcal</th><th>P</th><th>C</th><th>F</th></tr>", USER_LOGS);
	for (size_t i = 0; i < logs->nrows; i++)
		cal_buf_printf(&p->b,
			       "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
			       "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>",
			       E(p, when(p, cal_db_cell(logs, i, 1))), E(p, cal_db_cell(logs, i, 3)),
			       E(p, cal_db_cell(logs, i, 4)), E(p, cal_db_cell(logs, i, 5)), E(p, cal_db_cell(logs, i, 6)),
			       E(p, cal_db_cell(logs, i, 7)), E(p, cal_db_cell(logs, i, 8)));
	if (logs->nrows == 0)
		cal_buf_puts(&p->b, "<tr><td colspan=\"7\" class=\"muted\">none</td></tr>");
	cal_buf_puts(&p->b, "</table></div>\n");
}

cal_err cal_admin_page_user(cal_ctx *ctx, cal_request *req, cal_response *resp, long long id)
{
	cal_dbrows prof, logs, pays, subs;
	cal_stats_day *days;
	cal_err e;
	page p;

	if ((e = cal_stats_user(ctx, req->arena, id, &prof)) != CAL_OK ||
	    (e = cal_stats_user_days(ctx, req->arena, &prof, CHART_DAYS, &days)) != CAL_OK ||
	    (e = cal_stats_user_logs(ctx, req->arena, id, USER_LOGS, &logs)) != CAL_OK ||
	    (e = cal_stats_user_payments(ctx, req->arena, id, &pays)) != CAL_OK ||
	    (e = cal_stats_user_subscriptions(ctx, req->arena, id, &subs)) != CAL_OK)
		return e;
	cal_admin_audit(ctx, req->who->admin_id, "admin_user_viewed", cal_arena_printf(req->arena, "user %lld", id));
	open_page(&p, ctx, req, "Caloria admin — user");
	const char *name = name_of(&p, cal_stats_user_field(&prof, "first_name"), cal_stats_user_field(&prof, "last_name"));
	cal_buf_printf(&p.b, "<h1>User %lld%s%s</h1>", id, name[0] ? " — " : "", E(&p, name));
	profile_list(&p, &prof);
	subscription_box(&p, &prof, &subs, &pays);
	days_chart(&p, days, CHART_DAYS);
	logs_table(&p, &logs);
	return close_page(&p, resp, 200);
}

/* ---- system status --------------------------------------------------------------------------------- */

/* A JSON value as nested definition lists; deep or array values as compact JSON text. */
static void json_html(page *p, struct json_object *v, int depth)
{
	if (v == NULL) {
		cal_buf_puts(&p->b, "null");
	} else if (json_object_is_type(v, json_type_object) && depth < 3) {
		cal_buf_puts(&p->b, "<dl>");
		json_object_object_foreach(v, k, val) {
			cal_buf_printf(&p->b, "<dt>%s</dt><dd>", E(p, k));
			json_html(p, val, depth + 1);
			cal_buf_puts(&p->b, "</dd>");
		}
		cal_buf_puts(&p->b, "</dl>");
	} else if (json_object_is_type(v, json_type_string)) {
		cal_buf_puts(&p->b, E(p, json_object_get_string(v)));
	} else {
		cal_buf_puts(&p->b, E(p, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)));
	}
}

/* Runs one of the health handlers and returns its JSON body (caller puts), NULL when it had none. */
static struct json_object *probe(cal_ctx *ctx, cal_request *req, cal_handler h)
{
	cal_response r;
	struct json_object *o = NULL;

	cal_resp_init(&r);
	if (h(ctx, req, &r) == CAL_OK && r.body.len > 0)
		o = json_tokener_parse(r.body.data);
	cal_resp_free(&r);
	return o;
}

static void section(page *p, const char *title, struct json_object *o)
{
	cal_buf_printf(&p->b, "<h2>%s</h2><div class=\"box\">", E(p, title));
	json_html(p, o, 0);
	cal_buf_puts(&p->b, "</div>\n");
	json_object_put(o);
}

/* Requests per route from the metrics JSON: one table row per route instead of every histogram bucket. */
static void requests_table(page *p, struct json_object *metrics)
{
	struct json_object *reqs, *total, *by, *lat, *avg, *c;

	if (metrics == NULL || !json_object_object_get_ex(metrics, "requests", &reqs))
		return;
	cal_buf_puts(&p->b, "<h2>Requests by route</h2><div class=\"box\"><table><tr><th>Route</th><th>Total</th>"
			    "<th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>avg ms</th></tr>");
	json_object_object_foreach(reqs, route, r) {
		cal_buf_printf(&p->b, "<tr><td>%s</td><td class=\"n\">%s</td>", E(p, route),
			       json_object_object_get_ex(r, "total", &total) ? E(p, json_object_get_string(total)) : "");
		static const char *const classes[] = {"2xx", "3xx", "4xx", "5xx"};
		for (int i = 0; i < 4; i++)
			cal_buf_printf(&p->b, "<td class=\"n\">%s</td>",
				       json_object_object_get_ex(r, "by_status", &by) &&
						       json_object_object_get_ex(by, classes[i], &c)
					       ? E(p, json_object_get_string(c)) : "");
		cal_buf_printf(&p->b, "<td class=\"n\">%s</td></tr>",
			       json_object_object_get_ex(r, "latency_ms", &lat) && json_object_object_get_ex(lat, "avg", &avg)
				       ? E(p, json_object_get_string(avg)) : "");
	}
	cal_buf_puts(&p->b, "</table></div>\n");
	json_object_object_del(metrics, "requests");
}

static void audit_table(page *p)
{
	static const char sql[] =
		"SELECT a.created_at, u.username, a.event, a.detail FROM activity_log a"
		" LEFT JOIN admin_users u ON u.id = a.admin_user_id WHERE a.event IN ('admin_login', 'admin_login_failed',"
		" 'admin_logout', 'admin_created', 'admin_password_changed', 'admin_token_created', 'admin_user_viewed',"
		" 'admin_user_exported', 'admin_user_deleted', 'user_deleted') ORDER BY a.created_at DESC, a.id DESC LIMIT 20";
	cal_dbrows r;

	if (cal_db_query(p->ctx->db, p->a, sql, NULL, 0, &r) != CAL_OK)
		return;
	cal_buf_puts(&p->b, "<h2>Audit log (latest 20)</h2><div class=\"box\"><table><tr><th>When (UTC)</th><th>Who</th>"
			    "<th>Event</th><th>Detail</th></tr>");
	for (size_t i = 0; i < r.nrows; i++)
		cal_buf_printf(&p->b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			       E(p, when(p, cal_db_cell(&r, i, 0))),
			       cal_db_cell(&r, i, 1) ? E(p, cal_db_cell(&r, i, 1)) : "command line", E(p, cal_db_cell(&r, i, 2)),
			       E(p, cal_db_cell(&r, i, 3)));
	cal_buf_puts(&p->b, "</table></div>\n");
}

cal_err cal_admin_page_status(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	page p;

	if (req->who == NULL || req->who->role != CAL_ROLE_ADMIN)
		return CAL_ERR_FORBIDDEN;
	open_page(&p, ctx, req, "Caloria admin — system status");
	cal_buf_puts(&p.b, "<h1>System status</h1>");
	section(&p, "Health", probe(ctx, req, cal_h_health));
	section(&p, "Database", probe(ctx, req, cal_h_health_database));
	section(&p, "Cache", probe(ctx, req, cal_h_health_cache));
	struct json_object *metrics = probe(ctx, req, cal_h_health_metrics);
	requests_table(&p, metrics);
	section(&p, "Metrics", metrics);
	section(&p, "Versions", probe(ctx, req, cal_h_health_version));
	audit_table(&p);
	return close_page(&p, resp, 200);
}

/* ---- errors ---------------------------------------------------------------------------------------- */

void cal_admin_page_error(cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e, const char *message)
{
	cal_request *r = (cal_request *)req; /* the arena and who are the request's own */
	page p;

	resp->err = e;
	if (e == CAL_ERR_UNAUTHORIZED && req->method != CAL_POST) {
		/* A page asked for without a session: the login form is where the browser should go. */
		cal_resp_html(resp, 303, "", 0);
		cal_resp_header(resp, "Location", "/admin");
		return;
	}
	open_page(&p, ctx, r, "Caloria admin");
	cal_buf_printf(&p.b, "<h1>%d</h1><p class=\"msg\">%s</p><p><a href=\"/admin\">Back to the panel</a></p>",
		       cal_err_status(e), E(&p, message != NULL ? message : cal_err_message(e, CAL_LANG_EN)));
	close_page(&p, resp, cal_err_status(e));
}
