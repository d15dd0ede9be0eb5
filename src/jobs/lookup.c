/*
 * The lookup kind (SPEC §7.2): a text meal was logged with what the tables matched, and its unmatched items
 * are asked of the providers (Gemini for either language, Spoonacular parseIngredients) in the background.
 * The answers go through the tables like any provider item; the items found replace the unmatched ones in
 * the same food log, and the log's and the day's totals grow by them in one transaction; then the user gets
 * the completed meal. Payload: {"food_log_id", "names": [...], "channel"}.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "caloria/db.h"
#include "caloria/foodlog.h"
#include "caloria/i18n.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/media.h"
#include "caloria/reply.h"

#include "jobs_internal.h"

#define MAX_NAMES 20

typedef struct lstate {
	cal_api_provider prov[2];
	int nprov, at;
	bool transient;
	const char *result; /* cal_jobs_meal_doc() of the answer, as JSON text */
} lstate;

static lstate *state_of(cal_ctx *ctx, cal_job *job)
{
	lstate *st = job->state;

	if (st != NULL)
		return st;
	st = cal_arena_alloc(job->arena, sizeof *st);
	if (cal_api_configured(ctx->api, CAL_API_GEMINI))
		st->prov[st->nprov++] = CAL_API_GEMINI;
	if (cal_api_configured(ctx->api, CAL_API_SPOONACULAR))
		st->prov[st->nprov++] = CAL_API_SPOONACULAR;
	job->state = st;
	return st;
}

static struct json_object *names_of(cal_job *job)
{
	struct json_object *names;

	if (!json_object_object_get_ex(job->payload, "names", &names) || !json_object_is_type(names, json_type_array))
		return NULL;
	return names;
}

static void gemini_request(cal_ctx *ctx, cal_job *job, struct json_object *names, cal_api_req *req)
{
	struct json_object *body = json_object_new_object(), *contents = json_object_new_array(),
			   *content = json_object_new_object(), *parts = json_object_new_array(),
			   *text = json_object_new_object(), *gen = json_object_new_object();
	const char *list = json_object_to_json_string_ext(names, JSON_C_TO_STRING_PLAIN);

	json_object_object_add(text, "text", json_object_new_string(cal_arena_printf(job->arena,
		"You are a nutrition assistant. For each of these foods, written by a user in Spanish or English, give "
		"one typical portion in grams and its nutrition. Answer only with JSON, no prose, keeping the order and "
		"the names exactly as given: {\"items\": [{\"name\": string, \"grams\": number, \"kcal\": number, "
		"\"protein_g\": number, \"carbs_g\": number, \"fat_g\": number}], \"confidence\": number from 0 to 1}. "
		"Use kcal 0 for anything that is not a food. Foods: %s", list)));
	json_object_array_add(parts, text);
	json_object_object_add(content, "role", json_object_new_string("user"));
	json_object_object_add(content, "parts", parts);
	json_object_array_add(contents, content);
	json_object_object_add(body, "contents", contents);
	json_object_object_add(gen, "temperature", json_object_new_double(0.2));
	json_object_object_add(gen, "maxOutputTokens", json_object_new_int(2048));
	json_object_object_add(gen, "responseMimeType", json_object_new_string("application/json"));
	json_object_object_add(body, "generationConfig", gen);
	req->provider = CAL_API_GEMINI;
	req->method = "POST";
	req->path = cal_arena_printf(job->arena, "/v1beta/models/%s:generateContent", ctx->conf.gemini_model);
	req->idempotent = true;
	req->cache_ttl_s = CAL_API_CACHE_TTL_S;
	cal_jobs_json_body(job, req, body);
}

/* application/x-www-form-urlencoded value. */
static void form_escape(cal_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_')
			cal_buf_append(b, p, 1);
		else if (*p == ' ')
			cal_buf_puts(b, "+");
		else
			cal_buf_printf(b, "%%%02X", *p);
	}
}

static void spoonacular_request(cal_job *job, struct json_object *names, cal_api_req *req)
{
	cal_buf b;

	cal_buf_init(&b);
	cal_buf_puts(&b, "ingredientList=");
	for (size_t i = 0; i < json_object_array_length(names) && i < MAX_NAMES; i++) {
		if (i > 0)
			cal_buf_puts(&b, "%0A");
		form_escape(&b, json_object_get_string(json_object_array_get_idx(names, i)));
	}
	cal_buf_puts(&b, "&servings=1&includeNutrition=true");
	req->provider = CAL_API_SPOONACULAR;
	req->method = "POST";
	req->path = "/recipes/parseIngredients";
	req->idempotent = true;
	req->cache_ttl_s = CAL_API_CACHE_TTL_S;
	req->body_len = b.len;
	req->body = cal_arena_strndup(job->arena, b.data, b.len);
	req->body_type = "application/x-www-form-urlencoded";
	cal_buf_free(&b);
}

cal_job_step cal_job_lookup_next(cal_ctx *ctx, cal_job *job, cal_api_req *req)
{
	lstate *st = state_of(ctx, job);
	struct json_object *names = names_of(job);

	if (names == NULL || json_object_array_length(names) == 0) {
		job->error = "malformed lookup payload";
		return CAL_JOB_FAIL;
	}
	if (st->result != NULL)
		return CAL_JOB_DONE;
	if (st->at >= st->nprov) {
		job->error = st->transient ? "providers unavailable" : "no provider knew these foods";
		return st->transient ? CAL_JOB_RETRY : CAL_JOB_FAIL;
	}
	if (st->prov[st->at] == CAL_API_GEMINI)
		gemini_request(ctx, job, names, req);
	else
		spoonacular_request(job, names, req);
	return CAL_JOB_CALL;
}

/* Spoonacular's parsed ingredients as provider items. */
static struct json_object *spoonacular_items(struct json_object *arr)
{
	struct json_object *items = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *in = json_object_array_get_idx(arr, i), *nut, *list, *w, *v, *it;
		if (!json_object_is_type(in, json_type_object) || !json_object_object_get_ex(in, "name", &v))
			continue;
		it = json_object_new_object();
		json_object_object_add(it, "name", json_object_new_string(json_object_get_string(v)));
		if (json_object_object_get_ex(in, "nutrition", &nut)) {
			if (json_object_object_get_ex(nut, "weightPerServing", &w) && json_object_object_get_ex(w, "amount", &v))
				json_object_object_add(it, "grams", json_object_new_double(json_object_get_double(v)));
			if (json_object_object_get_ex(nut, "nutrients", &list) && json_object_is_type(list, json_type_array))
				for (size_t k = 0; k < json_object_array_length(list); k++) {
					struct json_object *n = json_object_array_get_idx(list, k), *nm, *am;
					static const char *const map[][2] = {{"Calories", "kcal"}, {"Protein", "protein_g"},
									     {"Carbohydrates", "carbs_g"}, {"Fat", "fat_g"}};
					if (!json_object_object_get_ex(n, "name", &nm) || !json_object_object_get_ex(n, "amount", &am))
						continue;
					for (size_t m = 0; m < 4; m++)
						if (strcmp(json_object_get_string(nm), map[m][0]) == 0)
							json_object_object_add(it, map[m][1],
									       json_object_new_double(json_object_get_double(am)));
				}
		}
		json_object_array_add(items, it);
	}
	return items;
}

cal_job_step cal_job_lookup_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp)
{
	lstate *st = state_of(ctx, job);
	cal_api_provider p = st->prov[st->at];
	struct json_object *items = NULL, *doc = NULL, *meal;

	st->at++;
	if (e != CAL_OK) {
		if (e == CAL_ERR_UNAVAILABLE || resp->status == 0 || resp->status >= 500 || resp->status == 429)
			st->transient = true;
		return CAL_JOB_CALL;
	}
	if (p == CAL_API_GEMINI && resp->json != NULL) {
		struct json_object *c, *content, *parts;
		if (json_object_object_get_ex(resp->json, "candidates", &c) && json_object_is_type(c, json_type_array) &&
		    json_object_array_length(c) > 0 &&
		    json_object_object_get_ex(json_object_array_get_idx(c, 0), "content", &content) &&
		    json_object_object_get_ex(content, "parts", &parts) && json_object_is_type(parts, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(parts) && doc == NULL; i++) {
				struct json_object *part = json_object_array_get_idx(parts, i), *t, *th;
				if ((json_object_object_get_ex(part, "thought", &th) && json_object_get_boolean(th)) ||
				    !json_object_object_get_ex(part, "text", &t))
					continue;
				doc = cal_media_json_from_text(json_object_get_string(t), (size_t)json_object_get_string_len(t));
			}
		}
		if (doc != NULL && json_object_object_get_ex(doc, "items", &items) && json_object_is_type(items, json_type_array))
			items = json_object_get(items);
		else
			items = NULL;
	} else if (p == CAL_API_SPOONACULAR && resp->json != NULL && json_object_is_type(resp->json, json_type_array)) {
		items = spoonacular_items(resp->json);
	}
	if (items == NULL || json_object_array_length(items) == 0) {
		json_object_put(items);
		json_object_put(doc);
		return CAL_JOB_CALL;
	}
	meal = cal_jobs_meal_doc(ctx, job->arena, items, "text", cal_api_provider_name(p), 0.8);
	json_object_put(items);
	json_object_put(doc);
	if (json_object_get_int(json_object_object_get(meal, "matched")) < 1) {
		json_object_put(meal); /* it knew none of them either: the next provider may */
		return CAL_JOB_CALL;
	}
	st->result = cal_arena_strdup(job->arena, json_object_to_json_string_ext(meal, JSON_C_TO_STRING_PLAIN));
	json_object_put(meal);
	return CAL_JOB_DONE;
}

/* ---- commit ---- */

static double num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static bool matched(struct json_object *it)
{
	struct json_object *v;

	return json_object_object_get_ex(it, "matched", &v) && json_object_get_boolean(v);
}

static struct json_object *num1(double v)
{
	char t[32];

	snprintf(t, sizeof t, "%.1f", round(v * 10) / 10);
	return json_object_new_double_s(round(v * 10) / 10, t);
}

/* The found item for an unmatched one: by name, else the k-th answer for the k-th unmatched item. */
static struct json_object *found_for(struct json_object *found, struct json_object *it, size_t k)
{
	struct json_object *n;
	const char *name = json_object_object_get_ex(it, "name", &n) ? json_object_get_string(n) : "";

	for (size_t i = 0; i < json_object_array_length(found); i++) {
		struct json_object *f = json_object_array_get_idx(found, i);
		if (json_object_object_get_ex(f, "name", &n) && strcasecmp(json_object_get_string(n), name) == 0)
			return f;
	}
	return k < json_object_array_length(found) ? json_object_array_get_idx(found, k) : NULL;
}

cal_err cal_job_lookup_commit(cal_ctx *ctx, cal_job *job)
{
	static const char read_sql[] =
		"SELECT items, DATE_FORMAT(local_date, '%Y-%m-%d'), kcal, protein_g, carbs_g, fat_g, fiber_g FROM food_logs"
		" WHERE id = ? AND user_id = ? FOR UPDATE";
	static const char log_sql[] =
		"UPDATE food_logs SET items = ?, kcal = kcal + ?, protein_g = protein_g + ?, carbs_g = carbs_g + ?,"
		" fat_g = fat_g + ?, fiber_g = fiber_g + ?, sodium_mg = sodium_mg + ? WHERE id = ?";
	static const char day_sql[] =
		"UPDATE daily_stats SET total_calories = total_calories + ?, total_protein = total_protein + ?,"
		" total_carbs = total_carbs + ?, total_fat = total_fat + ?, total_fiber = total_fiber + ?,"
		" total_sodium = total_sodium + ?, updated_at = UTC_TIMESTAMP() WHERE user_id = ? AND local_date = ?";
	lstate *st = job->state;
	cal_arena *a = job->arena;
	struct json_object *doc = NULL, *found, *items = NULL, *analysis = NULL, *total;
	double d[6] = {0};
	long long log_id = json_object_get_int64(json_object_object_get(job->payload, "food_log_id"));
	cal_dbrows rows = {0};
	cal_job_user u;
	cal_reply *r = NULL;
	cal_day day;
	const char *date, *channel;
	size_t k = 0;
	cal_err err;

	if (st == NULL || st->result == NULL || (doc = json_tokener_parse(st->result)) == NULL)
		return CAL_ERR_INTERNAL;
	err = cal_jobs_lock_user(ctx, a, job->user_id);
	if (err == CAL_OK)
		err = cal_jobs_user(ctx, a, job->user_id, &u);
	if (err == CAL_OK) {
		cal_dbv p[] = {CAL_DB_INT(log_id), CAL_DB_INT(job->user_id)};
		err = cal_db_query(ctx->db, a, read_sql, p, 2, &rows);
	}
	if (err == CAL_ERR_NOT_FOUND || (err == CAL_OK && rows.nrows != 1)) {
		err = CAL_OK; /* the user or the log is gone (undo): nothing to complete */
		goto out;
	}
	if (err != CAL_OK || (items = json_tokener_parse(cal_db_cell(&rows, 0, 0))) == NULL ||
	    !json_object_is_type(items, json_type_array)) {
		err = err != CAL_OK ? err : CAL_ERR_INTERNAL;
		goto out;
	}
	date = cal_db_cell(&rows, 0, 1);
	json_object_object_get_ex(doc, "items", &found);
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i), *f;
		if (matched(it) || (f = found_for(found, it, k++)) == NULL || !matched(f))
			continue;
		d[0] += num(f, "kcal");
		d[1] += num(f, "protein_g");
		d[2] += num(f, "carbs_g");
		d[3] += num(f, "fat_g");
		d[4] += num(f, "fiber_g");
		d[5] += num(f, "sodium_mg");
		json_object_object_del(f, "sodium_mg");
		json_object_object_add(f, "provider", json_object_new_string(json_object_get_string(json_object_object_get(doc, "provider"))));
		json_object_array_put_idx(items, i, json_object_get(f));
	}
	const char *items_text = cal_arena_strdup(a, json_object_to_json_string_ext(items, JSON_C_TO_STRING_PLAIN));
	cal_dbv lp[] = {CAL_DB_STR(items_text), CAL_DB_DBL(d[0]), CAL_DB_DBL(d[1]), CAL_DB_DBL(d[2]),
			CAL_DB_DBL(d[3]), CAL_DB_DBL(d[4]), CAL_DB_DBL(d[5]), CAL_DB_INT(log_id)};
	cal_dbv dp[] = {CAL_DB_DBL(d[0]), CAL_DB_DBL(d[1]), CAL_DB_DBL(d[2]), CAL_DB_DBL(d[3]), CAL_DB_DBL(d[4]),
			CAL_DB_DBL(d[5]), CAL_DB_INT(job->user_id), CAL_DB_STR(date)};
	err = cal_db_exec(ctx->db, log_sql, lp, 8, NULL);
	if (err == CAL_OK)
		err = cal_db_exec(ctx->db, day_sql, dp, 8, NULL);
	if (err == CAL_OK)
		err = cal_foodlog_day(ctx->db, a, u.id, date, u.daily_goal, &day);
	if (err != CAL_OK)
		goto out;
	/* The completed meal, as the chat shows a logged one. */
	analysis = json_object_new_object();
	json_object_object_add(analysis, "source", json_object_new_string("text"));
	json_object_object_add(analysis, "provider", json_object_new_string(json_object_get_string(json_object_object_get(doc, "provider"))));
	json_object_object_add(analysis, "items", json_object_get(items));
	total = json_object_new_object();
	json_object_object_add(total, "kcal", num1(cal_db_cell_double(&rows, 0, 2, 0) + d[0]));
	json_object_object_add(total, "protein_g", num1(cal_db_cell_double(&rows, 0, 3, 0) + d[1]));
	json_object_object_add(total, "carbs_g", num1(cal_db_cell_double(&rows, 0, 4, 0) + d[2]));
	json_object_object_add(total, "fat_g", num1(cal_db_cell_double(&rows, 0, 5, 0) + d[3]));
	json_object_object_add(total, "fiber_g", num1(cal_db_cell_double(&rows, 0, 6, 0) + d[4]));
	json_object_object_add(analysis, "total", total);
	json_object_object_add(analysis, "food_log_id", json_object_new_int64(log_id));
	channel = json_object_get_string(json_object_object_get(job->payload, "channel"));
	r = cal_reply_new(a, channel != NULL ? channel : u.channel, false);
	cal_jobs_meal_render(r, a, (cal_lang)u.lang, analysis, &day, u.protein_target_g);
	cal_reply_status(r, "food_logged");
	err = cal_jobs_push_reply(ctx, &u, r);
out:
	cal_reply_free(r);
	json_object_put(analysis);
	json_object_put(items);
	json_object_put(doc);
	return err;
}

/* The meal stays logged without the unknown items; the user hears which ones were left out. */
cal_err cal_job_lookup_failed(cal_ctx *ctx, cal_job *job)
{
	struct json_object *names = names_of(job);
	const char *channel = json_object_get_string(json_object_object_get(job->payload, "channel"));
	cal_job_user u;
	cal_reply *r;
	cal_buf list;
	cal_err err = cal_jobs_user(ctx, job->arena, job->user_id, &u);

	if (err == CAL_ERR_NOT_FOUND || names == NULL)
		return CAL_OK;
	if (err != CAL_OK)
		return err;
	cal_buf_init(&list);
	for (size_t i = 0; i < json_object_array_length(names) && i < MAX_NAMES; i++)
		cal_buf_printf(&list, "%s%s", i > 0 ? ", " : "", json_object_get_string(json_object_array_get_idx(names, i)));
	r = cal_reply_new(job->arena, channel != NULL ? channel : u.channel, false);
	cal_reply_text(r, cal_i18n_printf(job->arena, CAL_MSG_LOOKUP_FAILED, (cal_lang)u.lang, list.data ? list.data : ""));
	err = cal_jobs_push_reply(ctx, &u, r);
	cal_reply_free(r);
	cal_buf_free(&list);
	return err;
}
