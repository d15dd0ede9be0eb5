/*
 * What the analysis kinds share once a provider has answered: provider items turned into SPEC §5.4 items
 * through our food tables (SR24 supplies the numbers for every food it knows; the provider's numbers are
 * used only for foods the tables lack), the analysis and food log written in the job's commit transaction,
 * and the pushed message that tells the user. The pushed food-log text is rendered in one place,
 * cal_jobs_meal_render(), so the chat's own renderer can take its place in one edit.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "caloria/db.h"
#include "caloria/fooddb.h"
#include "caloria/foodlog.h"
#include "caloria/foodparse.h"
#include "caloria/i18n.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/reply.h"

#include "jobs_internal.h"

#define ITEM_NAME_MAX 100
#define ITEM_GRAMS_MAX 5000.0

static double r1(double v)
{
	return round(v * 10.0) / 10.0;
}

static struct json_object *num1(double v)
{
	char t[32];

	snprintf(t, sizeof t, "%.1f", r1(v));
	return json_object_new_double_s(r1(v), t);
}

static double num_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
		return json_object_get_double(v);
	if (json_object_is_type(v, json_type_string))
		return atof(json_object_get_string(v));
	return 0;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* One provider item as a §5.4 item; *counted says whether it has numbers. */
static struct json_object *item_json(const cal_fooddb *fdb, cal_arena *a, struct json_object *in, bool *counted)
{
	const char *name = str_of(in, "name");
	double grams = num_of(in, "grams");
	struct json_object *o = json_object_new_object();
	cal_food_analysis an;
	const char *text;

	*counted = false;
	if (name == NULL || name[0] == '\0' || strlen(name) > ITEM_NAME_MAX)
		name = "?";
	if (!(grams > 0) || grams > ITEM_GRAMS_MAX)
		grams = 0;
	/* The table first: "<grams> g <name>" reads as that weight of the food it knows by that name. */
	text = grams > 0 ? cal_arena_printf(a, "%.0f g %s", grams, name) : name;
	memset(&an, 0, sizeof an);
	if (fdb != NULL && cal_foodparse_analyze(fdb, text, a, &an) == CAL_OK && an.nitems == 1 && an.nmatched == 1) {
		const cal_food_item *it = &an.items[0];
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "quantity", num1(grams > 0 ? grams : it->quantity));
		json_object_object_add(o, "unit", json_object_new_string(grams > 0 ? "g" : (it->unit ? it->unit : "serving")));
		json_object_object_add(o, "grams", num1(it->grams));
		json_object_object_add(o, "kcal", num1(it->n.kcal));
		json_object_object_add(o, "protein_g", num1(it->n.protein_g));
		json_object_object_add(o, "carbs_g", num1(it->n.carbs_g));
		json_object_object_add(o, "fat_g", num1(it->n.fat_g));
		json_object_object_add(o, "fiber_g", num1(it->n.fiber_g));
		json_object_object_add(o, "sodium_mg", num1(it->n.sodium_mg));
		json_object_object_add(o, "matched", json_object_new_boolean(true));
		json_object_object_add(o, "table", json_object_new_string(it->ref != NULL ? it->ref : "table"));
		*counted = true;
		return o;
	}
	/* A food the tables lack: the provider's own estimate, when it gave one. */
	double kcal = num_of(in, "kcal");
	bool has = kcal > 0 && kcal < 10000;
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "quantity", num1(grams > 0 ? grams : 1));
	json_object_object_add(o, "unit", json_object_new_string(grams > 0 ? "g" : "serving"));
	json_object_object_add(o, "grams", num1(grams));
	json_object_object_add(o, "kcal", num1(has ? kcal : 0));
	json_object_object_add(o, "protein_g", num1(has ? num_of(in, "protein_g") : 0));
	json_object_object_add(o, "carbs_g", num1(has ? num_of(in, "carbs_g") : 0));
	json_object_object_add(o, "fat_g", num1(has ? num_of(in, "fat_g") : 0));
	json_object_object_add(o, "fiber_g", num1(has ? num_of(in, "fiber_g") : 0));
	json_object_object_add(o, "sodium_mg", num1(0));
	json_object_object_add(o, "matched", json_object_new_boolean(has));
	*counted = has;
	return o;
}

struct json_object *cal_jobs_meal_doc(cal_ctx *ctx, cal_arena *a, struct json_object *items, const char *source,
				      const char *provider, double confidence)
{
	const cal_fooddb *fdb = cal_ctx_food(ctx);
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array(), *total;
	double t[6] = {0};
	size_t n = items != NULL && json_object_is_type(items, json_type_array) ? json_object_array_length(items) : 0;
	int counted = 0;
	char c[16];

	for (size_t i = 0; i < n && i < 20; i++) {
		bool ok = false;
		struct json_object *it = item_json(fdb, a, json_object_array_get_idx(items, i), &ok);
		if (ok) {
			counted++;
			t[0] += num_of(it, "kcal");
			t[1] += num_of(it, "protein_g");
			t[2] += num_of(it, "carbs_g");
			t[3] += num_of(it, "fat_g");
			t[4] += num_of(it, "fiber_g");
			t[5] += num_of(it, "sodium_mg");
		}
		json_object_array_add(list, it);
	}
	if (!(confidence >= 0 && confidence <= 1))
		confidence = 0.5;
	/* Items without numbers lower the confidence in proportion. */
	if (n > 0)
		confidence *= (double)counted / (double)(n < 20 ? n : 20);
	snprintf(c, sizeof c, "%.2f", round(confidence * 100) / 100);
	json_object_object_add(doc, "source", json_object_new_string(source));
	json_object_object_add(doc, "provider", json_object_new_string(provider));
	json_object_object_add(doc, "confidence", json_object_new_double_s(round(confidence * 100) / 100, c));
	json_object_object_add(doc, "items", list);
	total = json_object_new_object();
	json_object_object_add(total, "kcal", num1(t[0]));
	json_object_object_add(total, "protein_g", num1(t[1]));
	json_object_object_add(total, "carbs_g", num1(t[2]));
	json_object_object_add(total, "fat_g", num1(t[3]));
	json_object_object_add(total, "fiber_g", num1(t[4]));
	json_object_object_add(doc, "total", total);
	json_object_object_add(doc, "sodium_mg", num1(t[5]));
	json_object_object_add(doc, "matched", json_object_new_int(counted));
	return doc;
}

/* The user's local date now. */
static void local_date(int offset_min, char out[11])
{
	time_t t = time(NULL) + (time_t)offset_min * 60;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Takes the user's row lock first, in the order the webhook takes it, so a job never deadlocks a chat turn. */
cal_err cal_jobs_lock_user(cal_ctx *ctx, cal_arena *a, long long user_id)
{
	static const char sql[] = "SELECT id FROM users WHERE id = ? FOR UPDATE";
	cal_dbv p[] = {CAL_DB_INT(user_id)};
	cal_dbrows rows = {0};
	cal_err err = cal_db_query(ctx->db, a, sql, p, 1, &rows);

	return err == CAL_OK && rows.nrows != 1 ? CAL_ERR_NOT_FOUND : err;
}

/* ---- rendering ---- */

static void text(cal_reply *r, cal_arena *a, cal_lang lang, cal_msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	cal_reply_text(r, cal_i18n_vprintf(a, msg, lang, ap));
	va_end(ap);
}

/* The same message as the chat's after a text meal (reply.h), so a pushed result reads like a chat reply. */
void cal_jobs_meal_render(cal_reply *r, cal_arena *a, cal_lang lang, struct json_object *analysis,
			  const cal_day *day, int protein_target_g)
{
	(void)a; /* the reply's own arena holds the texts */
	cal_reply_food_log(r, lang, analysis, day, protein_target_g);
}

/* Renders r and enqueues it as a push to u (in the open transaction). */
cal_err cal_jobs_push_reply(cal_ctx *ctx, const cal_job_user *u, cal_reply *r)
{
	struct json_object *content = cal_reply_render_content(r);
	cal_err err;

	err = content != NULL ? cal_jobs_push(ctx, u->id, u->subscriber_id, content) : CAL_ERR_INTERNAL;
	json_object_put(content);
	return err;
}

/* ---- commit ---- */

static void fill_meal(struct json_object *doc, const cal_jobs_meal_in *in, cal_arena *a, cal_meal *m)
{
	struct json_object *items = NULL, *total = NULL;

	json_object_object_get_ex(doc, "items", &items);
	json_object_object_get_ex(doc, "total", &total);
	memset(m, 0, sizeof *m);
	m->source = in->source;
	m->raw_input = in->raw_input;
	m->caption = in->caption;
	m->transcript = in->transcript;
	m->items_json = cal_arena_strdup(a, items != NULL ? json_object_to_json_string_ext(items, JSON_C_TO_STRING_PLAIN)
							 : "[]");
	m->provider = str_of(doc, "provider");
	m->confidence = num_of(doc, "confidence");
	m->kcal = num_of(total, "kcal");
	m->protein_g = num_of(total, "protein_g");
	m->carbs_g = num_of(total, "carbs_g");
	m->fat_g = num_of(total, "fat_g");
	m->fiber_g = num_of(total, "fiber_g");
	m->sodium_mg = num_of(doc, "sodium_mg");
	m->count_analysis = false;
}

cal_err cal_jobs_meal_commit(cal_ctx *ctx, cal_job *job, const cal_jobs_meal_in *in)
{
	cal_arena *a = job->arena;
	struct json_object *doc = in->doc, *analysis = NULL;
	cal_job_user u;
	cal_meal meal;
	cal_logged logged;
	cal_day day;
	cal_reply *r = NULL;
	char date[11];
	long long analysis_id = 0;
	bool logged_now;
	cal_err err;

	err = cal_jobs_lock_user(ctx, a, job->user_id);
	if (err == CAL_OK)
		err = cal_jobs_user(ctx, a, job->user_id, &u);
	if (err == CAL_ERR_NOT_FOUND)
		return CAL_OK; /* the user was deleted meanwhile: nothing to log, nobody to tell */
	if (err != CAL_OK)
		return err;
	if (in->channel != NULL)
		u.channel = in->channel;
	local_date(u.utc_offset_min, date);
	r = cal_reply_new(a, u.channel, false);
	/* The transcript heads the push's one message: the food-log message when the meal is logged (plus at
	 * most one tip), the question when it is a guess, the "no food" answer when nothing was recognised. */
	if (in->transcript != NULL)
		json_object_object_add(doc, "transcript", json_object_new_string(in->transcript));
	err = cal_foodlog_count_analysis(ctx->db, u.id, date);
	if (err != CAL_OK || num_of(doc, "matched") < 1) {
		if (err == CAL_OK) {
			if (in->transcript != NULL)
				text(r, a, (cal_lang)u.lang, CAL_MSG_TRANSCRIPT_UNCLEAR, in->transcript);
			else
				text(r, a, (cal_lang)u.lang, CAL_MSG_FOOD_UNCLEAR);
			err = cal_jobs_push_reply(ctx, &u, r);
		}
		goto out;
	}
	fill_meal(doc, in, a, &meal);
	err = cal_foodlog_analysis_add(ctx->db, u.id, &meal, in->media_sha256, &analysis_id);
	if (err != CAL_OK)
		goto out;
	logged_now = meal.confidence >= 0.5;
	if (logged_now) {
		err = cal_foodlog_day(ctx->db, a, u.id, date, u.daily_goal, &day);
		if (err == CAL_OK)
			err = cal_foodlog_resolve(ctx->db, a, u.id, analysis_id, true, date, u.daily_goal, &day, NULL,
						  &logged);
		if (err != CAL_OK)
			goto out;
		job->metric = strcmp(in->source, "audio") == 0 ? "food_logs_audio" : "food_logs_image";
		cal_jobs_meal_render(r, a, (cal_lang)u.lang, doc, &day, u.protein_target_g);
	} else {
		cal_reply_food_confirm(r, (cal_lang)u.lang, doc, meal.kcal,
				       cal_arena_printf(a, "%s/webhook/manychat", ctx->conf.server_public_url), analysis_id);
	}
	analysis = json_object_get(doc);
	json_object_object_add(analysis, "id", json_object_new_int64(analysis_id));
	if (logged_now)
		json_object_object_add(analysis, "food_log_id", json_object_new_int64(logged.food_log_id));
	cal_reply_status(r, logged_now ? "food_logged" : "food_pending_confirmation");
	err = cal_jobs_push_reply(ctx, &u, r);
	json_object_put(analysis);
out:
	cal_reply_free(r);
	return err;
}
