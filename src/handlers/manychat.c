/*
 * POST /webhook/manychat (SPEC §5): the chatbot conversation. Reads and validates the whole request first
 * (§5.2: aliases, ids as strings or 64-bit integers, limits) so invalid input changes nothing, then runs
 * the request in one database transaction: the user's upsert (which takes the user's row lock and so
 * serialises one subscriber's messages), the first-match dispatch of §5.3, and the writes of that branch —
 * a food log costs one commit. The reply is always a ManyChat Dynamic Block v2 (reply.h), errors included.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caloria/billing_link.h"
#include "caloria/billing_state.h"
#include "caloria/command.h"
#include "caloria/db.h"
#include "caloria/dbcache.h"
#include "caloria/foodlog.h"
#include "caloria/foodparse.h"
#include "caloria/foodtext.h"
#include "caloria/handlers.h"
#include "caloria/i18n.h"
#include "caloria/log.h"
#include "caloria/media.h"
#include "caloria/metrics.h"
#include "caloria/privacy.h"
#include "caloria/quiz.h"
#include "caloria/reply.h"
#include "caloria/users.h"

#define CONFIRM_BELOW 0.5 /* SPEC §7.1: below this confidence the reply asks instead of logging */

#define TEXT_MAX_CHARS 1000
#define NAME_MAX_CHARS 100
#define URL_MAX_BYTES 2000
#define SHORT_MAX_CHARS 64      /* locale, timezone, channel, message_type */
#define PAYLOAD_MAX_CHARS 200
#define QUIZ_TEXT_MAX_BYTES 8000 /* message_text of a quiz_response carries a JSON document */

/* The request, validated (§5.2). Strings point into the parsed JSON, which lives as long as the request. */
typedef struct mc_input {
	const char *subscriber_id;
	const char *first_name, *last_name;
	const char *text;        /* the message text, NULL when none (or when it is a quiz_response) */
	const char *payload;
	const char *media_url;   /* a photo/voice/file URL, or a text that is exactly one URL */
	cal_media_hint media_hint; /* from the field it came in: photo, voice, or decided by its Content-Type */
	struct json_object *quiz_form; /* §6.2 form, borrowed from the body (or from quiz_doc) */
	struct json_object *quiz_doc;  /* owned: the parsed message_text of a quiz_response */
	const char *locale, *timezone, *channel;
} mc_input;

/* One conversation turn. */
typedef struct mc {
	cal_ctx *ctx;
	cal_request *req;
	cal_arena *a;
	cal_db *db;
	mc_input in;
	cal_user user;
	cal_reply *reply;
	/* Effects that only count once the transaction commits. */
	const char *counters[4]; /* business metrics to add 1 to */
	int ncounters;
	bool days_changed;       /* food logs changed: cached day/week reads of this user are stale */
	bool trial_ended;        /* this turn ended the user's trial: tell them, once (§9.1) */
	bool erased;             /* the user asked for and confirmed the erasure of their data */
	/* The text's analysis as a meal, made before the database is touched (food_candidate()). */
	struct json_object *food_doc; /* owned: {"analysis": {…}, "matched", "sodium_mg"} (foodtext.h) */
	cal_meal meal;
	cal_plausibility plausibility; /* of meal; not CAL_PLAUSIBLE = ask, do not log */
	const char *heavy_item;        /* the item beyond the weight bound, with its grams */
	double heavy_grams;
} mc;

/* ---- input ------------------------------------------------------------------------------------------ */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * A string field: absent or null → *out NULL and 0; a string within max_chars (and without NUL bytes) →
 * 0; anything else → -1.
 */
static int str_field(struct json_object *body, const char *key, size_t max_chars, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v) || utf8_chars(s) > max_chars)
		return -1;
	*out = s;
	return 0;
}

static bool is_http_url(const char *s)
{
	size_t n = strlen(s);

	if (n > URL_MAX_BYTES)
		return false;
	if (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0)
		return false;
	if (n <= (strncasecmp(s, "https://", 8) == 0 ? 8u : 7u))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7F)
			return false;
	return true;
}

/* id or subscriber_id: a string, or a JSON integer read as 64 bits (never through double). */
static int read_id(cal_arena *a, struct json_object *body, const char **out)
{
	static const char *const keys[] = {"id", "subscriber_id"};
	struct json_object *v = NULL;

	*out = NULL;
	for (size_t i = 0; i < 2 && v == NULL; i++)
		if (!json_object_object_get_ex(body, keys[i], &v))
			v = NULL;
	if (v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);
		/* json-c keeps integers above INT64_MAX as unsigned; print those as they came. */
		if (n == INT64_MAX)
			*out = cal_arena_printf(a, "%" PRIu64, json_object_get_uint64(v));
		else
			*out = cal_arena_printf(a, "%" PRId64, n);
	} else if (json_object_is_type(v, json_type_string)) {
		*out = json_object_get_string(v);
	} else {
		return -1; /* doubles, booleans, objects, arrays */
	}
	return cal_users_valid_subscriber(*out) ? 0 : -1;
}

/* quick_reply or payload: a string or {"payload": string}. */
static int read_payload(struct json_object *body, const char **out)
{
	static const char *const keys[] = {"quick_reply", "payload"};
	struct json_object *v;

	*out = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (!json_object_object_get_ex(body, keys[i], &v) || v == NULL)
			continue;
		if (json_object_is_type(v, json_type_object))
			return str_field(v, "payload", PAYLOAD_MAX_CHARS, out);
		return str_field(body, keys[i], PAYLOAD_MAX_CHARS, out);
	}
	return 0;
}

/* The first non-empty of text, message_text, last_input_text. */
static int read_text(struct json_object *body, bool quiz_response, const char **out)
{
	static const char *const keys[] = {"text", "message_text", "last_input_text"};

	*out = NULL;
	for (size_t i = 0; i < 3; i++) {
		const char *s;
		if (quiz_response && strcmp(keys[i], "message_text") == 0)
			continue; /* holds the form, read by read_quiz */
		if (str_field(body, keys[i], TEXT_MAX_CHARS, &s) != 0)
			return -1;
		if (s != NULL && *out == NULL && s[strspn(s, " \t\r\n")] != '\0')
			*out = s;
	}
	return 0;
}

static int read_media(struct json_object *body, const char **bad, const char **out, cal_media_hint *hint)
{
	static const char *const keys[] = {"image_url", "url", "attachment_url", "audio_url", "media_url", "file_url"};
	static const cal_media_hint hints[] = {CAL_MEDIA_PHOTO, CAL_MEDIA_PHOTO, CAL_MEDIA_VOICE, CAL_MEDIA_VOICE,
					       CAL_MEDIA_AUTO, CAL_MEDIA_AUTO};

	*out = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct json_object *v;
		if (!json_object_object_get_ex(body, keys[i], &v) || v == NULL)
			continue;
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		if (s == NULL || strlen(s) != (size_t)json_object_get_string_len(v) ||
		    (s[0] != '\0' && !is_http_url(s))) {
			*bad = keys[i];
			return -1;
		}
		if (s[0] != '\0' && *out == NULL) {
			*out = s;
			*hint = hints[i];
		}
	}
	return 0;
}

/* The §6.2 form: a `quiz` object, or message_type quiz_response with message_text {"quiz_data": {...}}. */
static int read_quiz(struct json_object *body, bool quiz_response, mc_input *in, const char **bad)
{
	struct json_object *v, *data;
	const char *s;

	if (json_object_object_get_ex(body, "quiz", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			*bad = "quiz";
			return -1;
		}
		in->quiz_form = v;
		return 0;
	}
	if (!quiz_response)
		return 0;
	*bad = "message_text";
	if (str_field(body, "message_text", QUIZ_TEXT_MAX_BYTES, &s) != 0 || s == NULL)
		return -1;
	in->quiz_doc = json_tokener_parse(s);
	if (in->quiz_doc == NULL || !json_object_is_type(in->quiz_doc, json_type_object) ||
	    !json_object_object_get_ex(in->quiz_doc, "quiz_data", &data) ||
	    !json_object_is_type(data, json_type_object))
		return -1;
	in->quiz_form = data;
	return 0;
}

static const char *known_channel(const char *c)
{
	static const char *const channels[] = {"telegram", "instagram", "whatsapp", "facebook"};

	for (size_t i = 0; c != NULL && i < 4; i++)
		if (strcasecmp(c, channels[i]) == 0)
			return channels[i];
	return NULL;
}

/* Validates the whole body into in. CAL_OK, or CAL_ERR_VALIDATION with the offending field in *bad. */
static cal_err read_input(cal_arena *a, struct json_object *body, mc_input *in, const char **bad)
{
	const char *message_type = NULL;
	bool quiz_response;

	memset(in, 0, sizeof *in);
	*bad = "id";
	if (read_id(a, body, &in->subscriber_id) != 0)
		return CAL_ERR_VALIDATION;
	*bad = "message_type";
	if (str_field(body, "message_type", SHORT_MAX_CHARS, &message_type) != 0)
		return CAL_ERR_VALIDATION;
	quiz_response = message_type != NULL && strcmp(message_type, "quiz_response") == 0;
	if ((*bad = "first_name", str_field(body, "first_name", NAME_MAX_CHARS, &in->first_name)) != 0 ||
	    (*bad = "last_name", str_field(body, "last_name", NAME_MAX_CHARS, &in->last_name)) != 0 ||
	    (*bad = "text", read_text(body, quiz_response, &in->text)) != 0 ||
	    (*bad = "payload", read_payload(body, &in->payload)) != 0 ||
	    (*bad = "locale", str_field(body, "locale", SHORT_MAX_CHARS, &in->locale)) != 0 ||
	    (*bad = "timezone", str_field(body, "timezone", SHORT_MAX_CHARS, &in->timezone)) != 0 ||
	    (*bad = "channel", str_field(body, "channel", SHORT_MAX_CHARS, &in->channel)) != 0)
		return CAL_ERR_VALIDATION;
	if (in->locale == NULL && str_field(body, "language", SHORT_MAX_CHARS, &in->locale) != 0) {
		*bad = "language";
		return CAL_ERR_VALIDATION;
	}
	if (read_media(body, bad, &in->media_url, &in->media_hint) != 0 || read_quiz(body, quiz_response, in, bad) != 0)
		return CAL_ERR_VALIDATION;
	/* ManyChat stores attachments as a message whose whole text is the file's URL. */
	if (in->media_url == NULL && in->text != NULL && is_http_url(in->text)) {
		in->media_url = in->text;
		in->media_hint = CAL_MEDIA_AUTO;
	}
	in->channel = known_channel(in->channel);
	if (in->first_name != NULL && in->first_name[0] == '\0')
		in->first_name = NULL;
	if (in->last_name != NULL && in->last_name[0] == '\0')
		in->last_name = NULL;
	*bad = NULL;
	return CAL_OK;
}

/* ---- replies ---------------------------------------------------------------------------------------- */

static const char *channel_of(const cal_ctx *ctx, const char *requested)
{
	const char *c = known_channel(requested);

	return c != NULL ? c : (known_channel(ctx->conf.manychat_channel) ? known_channel(ctx->conf.manychat_channel)
									   : "telegram");
}

static void say(mc *m, cal_msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	cal_reply_text(m->reply, cal_i18n_vprintf(m->a, msg, m->user.lang, ap));
	va_end(ap);
}

static struct json_object *quiz_json(mc *m, int step)
{
	struct json_object *q = json_object_new_object();

	json_object_object_add(q, "step", json_object_new_int(step));
	json_object_object_add(q, "total", json_object_new_int(step > CAL_QUIZ_STEPS ? CAL_QUIZ_LAST_STEP : CAL_QUIZ_STEPS));
	json_object_object_add(q, "field", json_object_new_string(cal_quiz_field_name((cal_quiz_field)step)));
	json_object_object_add(q, "question",
			       json_object_new_string(cal_i18n(cal_i18n_quiz_question(step), m->user.lang)));
	return q;
}

/* The options of a numbered question as quick replies (instagram, facebook); each sends its label. */
static void quiz_options(mc *m, int step)
{
	cal_lang l = m->user.lang;

	if (!cal_reply_has_quick_replies(m->reply))
		return;
	switch (step) {
	case CAL_QUIZ_GENDER:
		for (int g = CAL_GENDER_NONE + 1; g < CAL_GENDER__MAX; g++)
			cal_reply_quick_text(m->reply, cal_i18n_gender_label((cal_gender)g, l),
					     cal_i18n_gender_label((cal_gender)g, l));
		break;
	case CAL_QUIZ_ACTIVITY:
		for (int a = CAL_ACTIVITY_NONE + 1; a < CAL_ACTIVITY__MAX; a++)
			cal_reply_quick_text(m->reply, cal_i18n_activity_label((cal_activity)a, l),
					     cal_i18n_activity_label((cal_activity)a, l));
		break;
	case CAL_QUIZ_GOAL:
		for (int g = CAL_GOAL_NONE + 1; g < CAL_GOAL__MAX; g++)
			cal_reply_quick_text(m->reply, cal_i18n_goal_label((cal_goal)g, l),
					     cal_i18n_goal_label((cal_goal)g, l));
		break;
	default:
		break;
	}
}

static void ask(mc *m, int step)
{
	say(m, cal_i18n_quiz_question(step));
	quiz_options(m, step);
	cal_reply_status(m->reply, "quiz_question");
	cal_reply_put(m->reply, "quiz", quiz_json(m, step));
}

/* Queues a business counter; converse() adds it after the commit, so a rolled-back turn counts nothing. */
static void metric(mc *m, const char *counter)
{
	if (m->ncounters < (int)(sizeof m->counters / sizeof m->counters[0]))
		m->counters[m->ncounters++] = counter;
}

static void after_commit(mc *m)
{
	for (int i = 0; i < m->ncounters && m->ctx->shm != NULL; i++)
		cal_metrics_business(m->ctx->shm, m->counters[i], 1);
	if (m->days_changed)
		cal_dbcache_invalidate(m->ctx, "user_days", m->user.id);
}

/* One bubble: the text, then the day's line when the day has a goal. */
static void say_with_day(mc *m, const char *text)
{
	const char *line = cal_reply_day_line(m->a, m->user.lang, &m->user.today);

	cal_reply_text(m->reply, line != NULL ? cal_arena_printf(m->a, "%s\n%s", text, line) : text);
}

/* ---- quiz ------------------------------------------------------------------------------------------- */

static cal_err start_quiz(mc *m, bool welcome)
{
	cal_err err = cal_users_quiz_start(m->db, &m->user);

	if (err != CAL_OK)
		return err;
	if (welcome)
		say(m, CAL_MSG_WELCOME);
	ask(m, 1);
	return CAL_OK;
}

static cal_err complete_profile(mc *m, const char *first_name, bool was_completed)
{
	bool trial = false;
	cal_err err = cal_users_complete(m->db, &m->ctx->conf, &m->user, first_name, &trial);
	const cal_targets *t = &m->user.targets;

	if (err != CAL_OK)
		return err;
	metric(m, "quizzes_completed");
	if (trial)
		metric(m, "trials_started");
	const char *plan = cal_i18n_printf(m->a, CAL_MSG_QUIZ_DONE, m->user.lang, (int)lround(t->bmr), t->daily_goal,
					   t->protein_g, t->carbs_g, t->fat_g);
	/* a retaken quiz keeps the plan the user had: only a first completion starts the trial */
	if (trial)
		plan = cal_arena_printf(m->a, "%s\n%s", plan,
					cal_i18n_printf(m->a, CAL_MSG_TRIAL_STARTED, m->user.lang,
							cal_i18n_count(m->a, m->user.lang,
								       (int)m->ctx->conf.subscription_trial_days,
								       CAL_NOUN_DAY)));
	/* "updated" heads the plan's own bubble: a reply is never more than two */
	cal_reply_text(m->reply, was_completed ? cal_arena_printf(m->a, "%s\n%s",
								 cal_i18n(CAL_MSG_PROFILE_UPDATED, m->user.lang), plan)
					       : plan);
	say(m, CAL_MSG_HOW_TO_LOG);
	cal_reply_status(m->reply, was_completed ? "profile_updated" : "quiz_completed");
	return CAL_OK;
}

/* §6.1: the 7th question is asked only when neither this request nor an earlier answer gave a timezone. */
static cal_err needs_timezone(mc *m, bool *ask_it)
{
	int offset;
	bool known = false;
	cal_err err;

	*ask_it = false;
	if (m->in.timezone != NULL && cal_conf_parse_utc_offset(m->in.timezone, &offset) == 0)
		return CAL_OK;
	err = cal_users_timezone_known(m->db, m->a, &m->user, &known);
	*ask_it = err == CAL_OK && !known;
	return err;
}

static cal_err quiz_invalid(mc *m, int step)
{
	say(m, CAL_MSG_QUIZ_INVALID, cal_i18n(cal_i18n_quiz_accept(step), m->user.lang));
	say(m, cal_i18n_quiz_question(step));
	quiz_options(m, step);
	cal_reply_status(m->reply, "quiz_invalid_answer");
	cal_reply_put(m->reply, "quiz", quiz_json(m, step));
	return CAL_OK;
}

static cal_err finish_quiz(mc *m)
{
	cal_err err = complete_profile(m, NULL, m->user.quiz_completed);

	/* A profile missing an earlier answer (edited by hand, say) cannot complete: ask from the start. */
	return err == CAL_ERR_VALIDATION ? start_quiz(m, false) : err;
}

/* §6.1: the text answers the current question. */
static cal_err quiz_answer(mc *m)
{
	int step = m->user.quiz_step, offset = 0;
	cal_profile p = m->user.profile;
	bool tz = false;
	cal_err err;

	if (step == CAL_QUIZ_TIMEZONE) {
		if (m->in.text == NULL || cal_quiz_parse_timezone(m->in.text, &offset) != 0)
			return quiz_invalid(m, step);
		err = cal_users_set_timezone(m->db, &m->user, offset, step);
		return err == CAL_OK ? finish_quiz(m) : err;
	}
	if (m->in.text == NULL || cal_quiz_apply_answer(&p, (cal_quiz_field)step, m->in.text) != 0)
		return quiz_invalid(m, step);
	m->user.profile = p;
	if (step == CAL_QUIZ_STEPS && (err = needs_timezone(m, &tz)) != CAL_OK)
		return err;
	if (step < CAL_QUIZ_STEPS || tz) {
		err = cal_users_quiz_answer(m->db, &m->user, step, step + 1);
		if (err == CAL_OK)
			ask(m, step + 1);
		return err;
	}
	return finish_quiz(m);
}

/* §6.2: the whole profile at once; nothing is stored unless every field is valid. */
static cal_err quiz_form(mc *m)
{
	cal_quiz_form f;
	struct json_object *bad = NULL;
	bool was_completed = m->user.quiz_completed;

	memset(&f, 0, sizeof f);
	if (cal_quiz_parse_form(m->in.quiz_form, &f, &bad) != 0) {
		cal_buf names;
		cal_buf_init(&names);
		for (size_t i = 0; bad != NULL && i < json_object_array_length(bad); i++) {
			struct json_object *field;
			if (!json_object_object_get_ex(json_object_array_get_idx(bad, i), "field", &field))
				continue;
			if (names.len > 0)
				cal_buf_puts(&names, ", ");
			cal_buf_puts(&names, json_object_get_string(field));
		}
		say(m, CAL_MSG_FORM_INVALID, names.data != NULL ? names.data : "");
		cal_buf_free(&names);
		struct json_object *q = json_object_new_object();
		json_object_object_add(q, "errors", bad != NULL ? bad : json_object_new_array());
		cal_reply_put(m->reply, "quiz", q);
		cal_reply_status(m->reply, "quiz_invalid_answer");
		return CAL_OK;
	}
	m->user.profile = f.profile;
	m->user.target_weight_kg = f.target_weight_kg;
	m->user.meals_per_day = f.meals_per_day;
	return complete_profile(m, f.first_name[0] != '\0' ? f.first_name : NULL, was_completed);
}

/* ---- days ------------------------------------------------------------------------------------------- */

#define TODAY_MAX_ENTRIES 30

/* The matched items of a stored log in words ("2 huevos revueltos, 1 tostada"). */
static const char *entry_items(mc *m, const char *items_json)
{
	struct json_object *items = items_json != NULL ? json_tokener_parse(items_json) : NULL;
	const char *text = cal_reply_items_text(m->a, m->user.lang, items);

	json_object_put(items);
	return text;
}

static void say_tip(mc *m, const cal_day *d)
{
	const char *tip = cal_reply_tip(m->a, m->user.lang, d, m->user.targets.protein_g);

	if (tip != NULL)
		cal_reply_text(m->reply, tip);
}

/* `hoy`: the day's meals, numbered, with their time, items and kcal, then the totals against the targets. */
static cal_err show_today(mc *m)
{
	const cal_day *d = &m->user.today;
	const cal_targets *t = &m->user.targets;
	cal_lang l = m->user.lang;
	cal_entry entries[TODAY_MAX_ENTRIES];
	struct json_object *list = json_object_new_array(), *day = cal_foodlog_day_json(d);
	const char *line;
	size_t n = 0;
	cal_buf b;
	cal_err err;

	cal_reply_status(m->reply, "day_summary");
	json_object_object_add(day, "entries", list);
	cal_reply_put(m->reply, "day", day);
	if (d->meals == 0) {
		say(m, CAL_MSG_DAY_EMPTY);
		return CAL_OK;
	}
	err = cal_foodlog_entries(m->db, m->a, m->user.id, d->date, m->user.utc_offset_min, entries,
				  TODAY_MAX_ENTRIES, &n);
	if (err != CAL_OK)
		return err;
	cal_buf_init(&b);
	cal_buf_puts(&b, cal_i18n_printf(m->a, CAL_MSG_TODAY_HEAD, l, cal_i18n_date(m->a, l, d->date, CAL_DATE_FULL)));
	for (size_t i = 0; i < n; i++) {
		const char *items = entry_items(m, entries[i].items_json);
		struct json_object *e = json_object_new_object();
		cal_buf_printf(&b, "\n%s", cal_i18n_printf(m->a, CAL_MSG_TODAY_ENTRY, l, (int)i + 1, entries[i].time,
							   items, (int)lround(entries[i].kcal)));
		json_object_object_add(e, "number", json_object_new_int((int)i + 1));
		json_object_object_add(e, "food_log_id", json_object_new_int64(entries[i].id));
		json_object_object_add(e, "time", json_object_new_string(entries[i].time));
		json_object_object_add(e, "items", json_object_new_string(items));
		json_object_object_add(e, "kcal", json_object_new_int((int)lround(entries[i].kcal)));
		json_object_array_add(list, e);
	}
	if ((line = cal_reply_day_line(m->a, l, d)) != NULL)
		cal_buf_printf(&b, "\n%s", line);
	if (t->daily_goal > 0)
		cal_buf_printf(&b, "\n%s", cal_i18n_printf(m->a, CAL_MSG_DAY_MACROS, l, (int)lround(d->protein_g),
							   t->protein_g, (int)lround(d->carbs_g), t->carbs_g,
							   (int)lround(d->fat_g), t->fat_g));
	cal_buf_printf(&b, "\n%s", cal_i18n(CAL_MSG_TODAY_HINT, l));
	cal_reply_text(m->reply, b.data);
	cal_buf_free(&b);
	say_tip(m, d);
	return CAL_OK;
}

static struct json_object *week_to_json(const cal_day *days, int n, int average, int logged)
{
	struct json_object *week = json_object_new_object(), *list = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(list, cal_foodlog_day_json(&days[i]));
	json_object_object_add(week, "days", list);
	json_object_object_add(week, "average_kcal", json_object_new_int(average));
	json_object_object_add(week, "logged_days", json_object_new_int(logged));
	return week;
}

/* The inverse of week_to_json for what the week reply shows; -1 when the document is not a week. */
static int week_from_json(struct json_object *week, cal_day days[7], int *average, int *logged)
{
	struct json_object *list, *d, *v;

	if (!json_object_object_get_ex(week, "days", &list) || !json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) != 7)
		return -1;
	memset(days, 0, 7 * sizeof days[0]);
	for (int i = 0; i < 7; i++) {
		d = json_object_array_get_idx(list, (size_t)i);
		if (!json_object_object_get_ex(d, "date", &v) || json_object_get_string_len(v) != 10)
			return -1;
		memcpy(days[i].date, json_object_get_string(v), 11);
		days[i].kcal = json_object_object_get_ex(d, "consumed_kcal", &v) ? json_object_get_int(v) : 0;
		days[i].goal_kcal = json_object_object_get_ex(d, "goal_kcal", &v) ? json_object_get_int(v) : 0;
		days[i].meals = json_object_object_get_ex(d, "meals", &v) ? json_object_get_int(v) : 0;
	}
	*average = json_object_object_get_ex(week, "average_kcal", &v) ? json_object_get_int(v) : 0;
	*logged = json_object_object_get_ex(week, "logged_days", &v) ? json_object_get_int(v) : 0;
	return 0;
}

/* The 7-day view through the read cache (dbcache.h): food writes of this user invalidate it. */
static cal_err load_week(mc *m, cal_day days[7], int *average, int *logged)
{
	const char *what = cal_arena_printf(m->a, "week:%s:%d", m->user.today.date, m->user.targets.daily_goal);
	const char *key = cal_dbcache_key(m->ctx, m->a, "user_days", m->user.id, what);
	struct json_object *doc = cal_dbcache_get(m->ctx, m->a, key);
	cal_err err;

	if (doc != NULL && week_from_json(doc, days, average, logged) == 0) {
		json_object_put(doc);
		return CAL_OK;
	}
	json_object_put(doc);
	err = cal_foodlog_week(m->db, m->a, m->user.id, m->user.today.date, m->user.targets.daily_goal, days,
			       average, logged);
	if (err == CAL_OK) {
		doc = week_to_json(days, 7, *average, *logged);
		cal_dbcache_put(m->ctx, key, doc);
		json_object_put(doc);
	}
	return err;
}

/* `semana`: the days since sign-up, at most the last 7, each with its weekday; never days before sign-up. */
static cal_err show_week(mc *m)
{
	cal_day days[7];
	int average = 0, logged = 0, first = 0;
	char since[11];
	cal_lang l = m->user.lang;
	struct json_object *week;
	cal_err err = load_week(m, days, &average, &logged);
	cal_buf b;

	if (err == CAL_OK)
		err = cal_users_signup_date(m->db, m->a, &m->user, since);
	if (err != CAL_OK)
		return err;
	while (first < 6 && since[0] != '\0' && strcmp(days[first].date, since) < 0)
		first++;
	cal_buf_init(&b);
	if (first == 0)
		cal_buf_puts(&b, cal_i18n(CAL_MSG_WEEK_HEAD, l));
	else
		cal_buf_puts(&b, cal_i18n_printf(m->a, CAL_MSG_WEEK_SINCE, l,
						 cal_i18n_date(m->a, l, days[first].date, CAL_DATE_FULL)));
	for (int i = first; i < 7; i++) {
		const char *name = cal_i18n_date(m->a, l, days[i].date, CAL_DATE_WEEKDAY_DAY);
		cal_buf_printf(&b, "\n%s",
			       days[i].meals > 0 ? cal_i18n_printf(m->a, CAL_MSG_WEEK_LINE, l, name,
								   (int)lround(days[i].kcal), days[i].goal_kcal)
						 : cal_i18n_printf(m->a, CAL_MSG_WEEK_LINE_EMPTY, l, name));
	}
	if (logged > 0)
		cal_buf_printf(&b, "\n%s", cal_i18n_printf(m->a, CAL_MSG_WEEK_AVERAGE, l, average,
							   cal_i18n_count(m->a, l, logged, CAL_NOUN_DAY)));
	else
		cal_buf_printf(&b, "\n%s", cal_i18n(CAL_MSG_WEEK_EMPTY, l));
	cal_reply_text(m->reply, b.data);
	cal_buf_free(&b);
	week = week_to_json(days + first, 7 - first, average, logged);
	cal_reply_put(m->reply, "week", week);
	cal_reply_put(m->reply, "day", cal_foodlog_day_json(&m->user.today));
	cal_reply_status(m->reply, "week_summary");
	return CAL_OK;
}

/* Undo, delete or edit found no entry: entry `number` does not exist (0 = there was nothing to undo). */
static cal_err nothing_to_change(mc *m, int number)
{
	if (number > 0)
		say(m, CAL_MSG_NO_SUCH_ENTRY, number);
	else
		say(m, CAL_MSG_NOTHING_TO_UNDO);
	cal_reply_status(m->reply, "nothing_to_undo");
	cal_reply_put(m->reply, "day", cal_foodlog_day_json(&m->user.today));
	return CAL_OK;
}

/* `deshacer` (number 0: the last log) and `borrar N` (the N-th of `hoy`): says what went, and the day after. */
static cal_err delete_entry(mc *m, int number)
{
	cal_meal removed;
	const char *what;
	cal_err err = cal_foodlog_delete(m->db, m->a, m->user.id, m->user.today.date, number, &removed,
					 &m->user.today);

	if (err == CAL_ERR_NOT_FOUND)
		return nothing_to_change(m, number);
	if (err != CAL_OK)
		return err;
	m->days_changed = true;
	what = entry_items(m, removed.items_json);
	if (number > 0)
		say_with_day(m, cal_i18n_printf(m->a, CAL_MSG_DELETED, m->user.lang, number, what,
						(int)lround(removed.kcal)));
	else
		say_with_day(m, cal_i18n_printf(m->a, CAL_MSG_UNDONE, m->user.lang, what, (int)lround(removed.kcal)));
	cal_reply_status(m->reply, "undone");
	cal_reply_put(m->reply, "day", cal_foodlog_day_json(&m->user.today));
	return CAL_OK;
}

/* ---- food text (§7.2) ------------------------------------------------------------------------------- */

static double num_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static const char *str_of(struct json_object *o, const char *key, const char *def)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : def;
}

/* The analysis of the text as a meal into m->food_doc and m->meal; how many items matched (0 on failure). */
static int analyse_text(mc *m)
{
	cal_fooddb *fdb = cal_ctx_food(m->ctx);
	struct json_object *analysis, *items, *total;

	if (m->food_doc == NULL && fdb != NULL)
		m->food_doc = cal_foodtext_analyze(m->ctx, m->a, fdb, m->in.text);
	if (m->food_doc == NULL || !json_object_object_get_ex(m->food_doc, "analysis", &analysis) ||
	    !json_object_object_get_ex(analysis, "items", &items) ||
	    !json_object_object_get_ex(analysis, "total", &total))
		return 0;
	memset(&m->meal, 0, sizeof m->meal);
	m->meal.source = "text";
	m->meal.raw_input = m->in.text;
	m->meal.items_json = cal_arena_strdup(m->a, json_object_to_json_string_ext(items, JSON_C_TO_STRING_PLAIN));
	m->meal.provider = str_of(analysis, "provider", "table");
	m->meal.confidence = num_of(analysis, "confidence");
	m->meal.kcal = num_of(total, "kcal");
	m->meal.protein_g = num_of(total, "protein_g");
	m->meal.carbs_g = num_of(total, "carbs_g");
	m->meal.fat_g = num_of(total, "fat_g");
	m->meal.fiber_g = num_of(total, "fiber_g");
	m->meal.sodium_mg = num_of(m->food_doc, "sodium_mg");
	m->meal.count_analysis = true;
	m->plausibility = cal_foodlog_plausible(&m->meal, items, &m->heavy_item, &m->heavy_grams);
	return (int)num_of(m->food_doc, "matched");
}

/* A meal beyond the plausible bounds is not logged: the user is asked to check the amounts. */
static cal_err ask_implausible(mc *m, struct json_object *analysis)
{
	if (m->plausibility == CAL_IMPLAUSIBLE_ITEM)
		cal_reply_text(m->reply, cal_i18n_printf(m->a, CAL_MSG_FOOD_TOO_HEAVY, m->user.lang,
							 m->heavy_item != NULL ? m->heavy_item : "?", m->heavy_grams));
	else
		cal_reply_text(m->reply, cal_i18n_printf(m->a, CAL_MSG_FOOD_TOO_MUCH, m->user.lang, m->meal.kcal));
	cal_reply_status(m->reply, "food_unclear");
	cal_reply_put(m->reply, "analysis", json_object_get(analysis));
	return CAL_OK;
}

/* The reply to a logged text meal; m->user.today already holds the day after it. */
static void reply_logged(mc *m, const cal_logged *logged)
{
	struct json_object *analysis = NULL;

	json_object_object_get_ex(m->food_doc, "analysis", &analysis);
	m->days_changed = true;
	metric(m, "food_logs_text");
	cal_reply_food_log(m->reply, m->user.lang, analysis, &m->user.today, m->user.targets.protein_g);
	/* A text's analysis is stored as its food log: there is no separate analyses row to name. */
	json_object_object_add(analysis, "id", NULL);
	json_object_object_add(analysis, "food_log_id", json_object_new_int64(logged->food_log_id));
	cal_reply_put(m->reply, "analysis", json_object_get(analysis));
	cal_reply_put(m->reply, "day", cal_foodlog_day_json(&m->user.today));
	cal_reply_status(m->reply, "food_logged");
}

/* The names of the items the tables did not match (a new array), or NULL when every item matched. */
static struct json_object *unmatched_names(mc *m)
{
	struct json_object *analysis, *items, *names = NULL, *v;

	if (m->food_doc == NULL || !json_object_object_get_ex(m->food_doc, "analysis", &analysis) ||
	    !json_object_object_get_ex(analysis, "items", &items))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		if (json_object_object_get_ex(it, "matched", &v) && json_object_get_boolean(v))
			continue;
		if (names == NULL)
			names = json_object_new_array();
		json_object_array_add(names, json_object_new_string(str_of(it, "name", "?")));
	}
	return names;
}

/* §7.2: foods the tables lack are looked up by a job, which completes this log and tells the user. */
static cal_err look_up_rest(mc *m, long long food_log_id)
{
	struct json_object *names;
	cal_buf list;
	cal_err err;

	if (!cal_media_lookup_available(m->ctx) || (names = unmatched_names(m)) == NULL)
		return CAL_OK;
	err = cal_media_lookup_enqueue(m->ctx, m->user.id, food_log_id, names, m->in.channel);
	if (err == CAL_OK) {
		cal_buf_init(&list);
		for (size_t i = 0; i < json_object_array_length(names); i++)
			cal_buf_printf(&list, "%s%s", i > 0 ? ", " : "",
				       json_object_get_string(json_object_array_get_idx(names, i)));
		say(m, CAL_MSG_LOOKING_UP, list.data);
		cal_buf_free(&list);
	}
	json_object_put(names);
	return err;
}

/*
 * A text the reader only guessed (confidence < 0.5, SPEC §7.1): nothing is logged. The analysis waits as
 * 'pending' and the reply shows what was understood and asks: confirm:<id> logs it, cancel:<id> drops it,
 * or the user describes the meal again in words.
 */
static cal_err ask_to_confirm(mc *m)
{
	struct json_object *analysis;
	const char *hook = cal_arena_printf(m->a, "%s/webhook/manychat", m->ctx->conf.server_public_url);
	long long id = 0;
	cal_err err = cal_foodlog_analysis_add(m->db, m->user.id, &m->meal, NULL, &id);

	if (err == CAL_OK)
		err = cal_foodlog_count_analysis(m->db, m->user.id, m->user.today.date);
	if (err != CAL_OK)
		return err;
	json_object_object_get_ex(m->food_doc, "analysis", &analysis);
	cal_reply_food_confirm(m->reply, m->user.lang, analysis, m->meal.kcal, hook, id);
	json_object_object_add(analysis, "id", json_object_new_int64(id));
	cal_reply_put(m->reply, "analysis", json_object_get(analysis));
	cal_reply_status(m->reply, "food_pending_confirmation");
	return CAL_OK;
}

/* True when the text's unknown foods go to the providers (the reply then says they are being looked up). */
static bool will_look_up(mc *m)
{
	struct json_object *names;

	if (!cal_media_lookup_available(m->ctx) || (names = unmatched_names(m)) == NULL)
		return false;
	json_object_put(names);
	return true;
}

static cal_err log_food_text(mc *m)
{
	struct json_object *analysis;
	cal_logged logged;
	cal_err err;

	if (analyse_text(m) < 1) {
		if (m->food_doc == NULL || !json_object_object_get_ex(m->food_doc, "analysis", &analysis))
			return CAL_ERR_INTERNAL;
		say(m, CAL_MSG_FOOD_UNCLEAR);
		cal_reply_status(m->reply, "food_unclear");
		cal_reply_put(m->reply, "analysis", json_object_get(analysis));
		return CAL_OK;
	}
	/* Implausible amounts first: a guess of 5 kg of butter is a typo to fix, not a meal to confirm. */
	if (m->plausibility != CAL_PLAUSIBLE && json_object_object_get_ex(m->food_doc, "analysis", &analysis))
		return ask_implausible(m, analysis);
	if (m->meal.confidence < CONFIRM_BELOW && !will_look_up(m))
		return ask_to_confirm(m);
	err = cal_foodlog_record(m->db, m->user.id, m->user.today.date, m->user.targets.daily_goal, &m->meal,
				 &m->user.today, &logged);
	if (err == CAL_OK)
		reply_logged(m, &logged);
	if (err == CAL_OK)
		err = look_up_rest(m, logged.food_log_id);
	return err;
}

/* A number with one decimal in the JSON text (1530.4, not 1530.4000000000001). */
static struct json_object *num1(double v)
{
	char t[32];

	snprintf(t, sizeof t, "%.1f", v);
	return json_object_new_double_s(v, t);
}

/* confirm:<id> / cancel:<id> of a low-confidence analysis (§7.3). */
static cal_err resolve_pending(mc *m, long long analysis_id, bool confirm)
{
	cal_meal meal;
	cal_logged logged;
	struct json_object *items, *total, *analysis;
	cal_err err = cal_foodlog_resolve(m->db, m->a, m->user.id, analysis_id, confirm, m->user.today.date,
					  m->user.targets.daily_goal, &m->user.today, &meal, &logged);

	if (err == CAL_ERR_NOT_FOUND) {
		say(m, CAL_MSG_ANALYSIS_GONE);
		cal_reply_status(m->reply, "error");
		return CAL_OK;
	}
	if (err != CAL_OK)
		return err;
	if (!confirm) {
		say(m, CAL_MSG_FOOD_CANCELLED);
		cal_reply_status(m->reply, "help");
		return CAL_OK;
	}
	m->days_changed = true;
	metric(m, cal_arena_printf(m->a, "food_logs_%s", meal.source != NULL ? meal.source : "text"));
	items = json_tokener_parse(meal.items_json);
	if (items == NULL || !json_object_is_type(items, json_type_array)) {
		json_object_put(items);
		items = json_object_new_array();
	}
	total = json_object_new_object();
	json_object_object_add(total, "kcal", num1(meal.kcal));
	json_object_object_add(total, "protein_g", num1(meal.protein_g));
	json_object_object_add(total, "carbs_g", num1(meal.carbs_g));
	json_object_object_add(total, "fat_g", num1(meal.fat_g));
	json_object_object_add(total, "fiber_g", num1(meal.fiber_g));
	analysis = json_object_new_object();
	json_object_object_add(analysis, "id", json_object_new_int64(logged.analysis_id));
	json_object_object_add(analysis, "source", json_object_new_string(meal.source != NULL ? meal.source : "text"));
	json_object_object_add(analysis, "provider",
			       json_object_new_string(meal.provider != NULL ? meal.provider : "table"));
	json_object_object_add(analysis, "confidence",
			       json_object_new_double_s(meal.confidence, cal_arena_printf(m->a, "%.2f", meal.confidence)));
	if (meal.transcript != NULL)
		json_object_object_add(analysis, "transcript", json_object_new_string(meal.transcript));
	json_object_object_add(analysis, "items", items);
	json_object_object_add(analysis, "total", total);
	json_object_object_add(analysis, "food_log_id", json_object_new_int64(logged.food_log_id));
	cal_reply_food_log(m->reply, m->user.lang, analysis, &m->user.today, m->user.targets.protein_g);
	cal_reply_put(m->reply, "analysis", analysis);
	cal_reply_put(m->reply, "day", cal_foodlog_day_json(&m->user.today));
	cal_reply_status(m->reply, "food_logged");
	return CAL_OK;
}

/* ---- subscription (§9) ------------------------------------------------------------------------------ */

/* The signed /subscribe link as a url button on the last message; never a preapproval from here (§7.5). */
static void subscribe_button(mc *m)
{
	const char *url = cal_billing_link_url(m->a, &m->ctx->conf, m->user.subscriber_id, time(NULL));

	if (url != NULL)
		cal_reply_button_url(m->reply, cal_i18n(CAL_MSG_BTN_SUBSCRIBE, m->user.lang), url);
}

static bool gate_allows(const mc *m)
{
	const cal_user *u = &m->user;

	return cal_billing_gate_allows(u->subscription, cal_billing_parse_time(u->trial_ends_at),
				       cal_billing_parse_time(u->paid_until), u->today.analyses,
				       m->ctx->conf.subscription_free_daily_analyses, time(NULL));
}

static cal_err limit_reached(mc *m)
{
	say(m, CAL_MSG_LIMIT_REACHED, (int)m->ctx->conf.subscription_free_daily_analyses);
	subscribe_button(m);
	cal_reply_status(m->reply, "limit_reached");
	return CAL_OK;
}

static cal_err subscribe(mc *m)
{
	const cal_user *u = &m->user;
	const cal_conf *conf = &m->ctx->conf;
	struct json_object *sub;

	if (strcmp(u->subscription, "active") == 0 && cal_billing_parse_time(u->paid_until) > time(NULL)) {
		say(m, CAL_MSG_ALREADY_SUBSCRIBED);
		cal_reply_status(m->reply, "profile");
		return CAL_OK;
	}
	say(m, CAL_MSG_SUBSCRIBE_LINK, conf->subscription_price, conf->subscription_currency);
	subscribe_button(m);
	sub = json_object_new_object();
	json_object_object_add(sub, "payment_link", json_object_new_string(
		cal_billing_link_url(m->a, conf, u->subscriber_id, time(NULL)) ?: ""));
	json_object_object_add(sub, "price", json_object_new_string(conf->subscription_price));
	json_object_object_add(sub, "currency", json_object_new_string(conf->subscription_currency));
	cal_reply_put(m->reply, "subscription", sub);
	cal_reply_status(m->reply, "subscription_link");
	return cal_users_event(m->db, u->id, "subscription_link", "chat");
}

/* §9.1: a trial past its end becomes trial_expired on the user's first request after it (or earlier, by
 * `caloria expire-trials`); whichever makes the change tells the user. */
static cal_err expire_if_due(mc *m)
{
	cal_user *u = &m->user;
	bool expired = false;
	cal_err err;

	if (strcmp(u->subscription, "trial") != 0 || cal_billing_parse_time(u->trial_ends_at) > time(NULL))
		return CAL_OK;
	err = cal_billing_expire_trial(m->db, u->id, &expired);
	if (err == CAL_OK && expired) {
		u->subscription = "trial_expired";
		m->trial_ended = true;
	}
	return err;
}

static void tell_trial_ended(mc *m)
{
	if (!m->trial_ended)
		return;
	say(m, CAL_MSG_TRIAL_ENDED, (int)m->ctx->conf.subscription_free_daily_analyses);
	subscribe_button(m);
}

/* "prueba gratis hasta el 5 de diciembre", the user's local date in words, or the bare label when the plan
 * has no end. */
static const char *plan_label(mc *m)
{
	const cal_user *u = &m->user;
	const char *label = cal_i18n_subscription_label(u->subscription, u->lang);
	const char *end = strcmp(u->subscription, "trial") == 0 ? u->trial_ends_at
			  : strcmp(u->subscription, "active") == 0 || strcmp(u->subscription, "cancelled") == 0
				  ? u->paid_until
				  : NULL;
	time_t t = cal_billing_parse_time(end);
	struct tm tm;
	char date[11];

	if (t == 0)
		return label;
	t += (time_t)u->utc_offset_min * 60;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	return cal_i18n_printf(m->a, CAL_MSG_PLAN_UNTIL, u->lang, label,
			       cal_i18n_date(m->a, u->lang, date, CAL_DATE_DAY_MONTH));
}

/* ---- photos and voice notes (§7.3, §7.4, §7.5) ----------------------------------------------------- */

/* The media becomes a job in this turn's transaction; the reply only says it is being analysed. */
static cal_err media(mc *m)
{
	const char *caption = m->in.text != NULL && m->in.text != m->in.media_url ? m->in.text : NULL;
	cal_err err;

	/* A photo or voice note is an analysis like a text (§9.4); the job counts it when it is made. */
	if (m->user.quiz_completed && !gate_allows(m))
		return limit_reached(m);
	err = cal_media_enqueue(m->ctx, m->a, m->user.id, m->in.media_url, m->in.media_hint, caption, m->in.channel,
				NULL);
	if (err != CAL_OK)
		return err;
	say(m, m->in.media_hint == CAL_MEDIA_VOICE ? CAL_MSG_PROCESSING_AUDIO : CAL_MSG_PROCESSING_PHOTO);
	cal_reply_status(m->reply, "processing");
	return CAL_OK;
}

/* ---- commands --------------------------------------------------------------------------------------- */

static cal_err show_status(mc *m)
{
	const cal_user *u = &m->user;
	const cal_targets *t = &u->targets;

	cal_reply_status(m->reply, "profile");
	if (!u->quiz_completed) {
		say(m, CAL_MSG_STATUS_NO_PROFILE);
		return CAL_OK;
	}
	say(m, CAL_MSG_STATUS, cal_i18n_gender_label(u->profile.gender, u->lang), u->profile.age,
	    cal_i18n_decimal(m->a, u->lang, u->profile.weight_kg), cal_i18n_decimal(m->a, u->lang, u->profile.height_cm),
	    cal_i18n_activity_label(u->profile.activity, u->lang), cal_i18n_goal_label(u->profile.goal, u->lang),
	    (int)lround(t->bmr), t->daily_goal, t->protein_g, t->carbs_g, t->fat_g, plan_label(m));
	return CAL_OK;
}

/* In the middle of the quiz, the pending question comes again in the new language. */
static cal_err set_language(mc *m, cal_lang lang)
{
	cal_err err = cal_users_set_language(m->db, &m->user, lang);

	if (err != CAL_OK)
		return err;
	say(m, CAL_MSG_LANGUAGE_SET);
	cal_reply_status(m->reply, "language_set");
	if (m->user.quiz_step >= 1 && m->user.quiz_step <= CAL_QUIZ_LAST_STEP) {
		say(m, cal_i18n_quiz_question(m->user.quiz_step));
		quiz_options(m, m->user.quiz_step);
		cal_reply_put(m->reply, "quiz", quiz_json(m, m->user.quiz_step));
	}
	return CAL_OK;
}

/* "borrar mis datos" asks; "confirmar borrado" within CAL_PRIVACY_CONFIRM_S erases (privacy.h). */
static cal_err delete_data(mc *m, bool confirm)
{
	bool asked = false;
	cal_err err = confirm ? cal_privacy_requested(m->ctx, m->a, m->user.id, &asked)
			      : cal_privacy_request(m->ctx, m->user.id);

	if (err != CAL_OK)
		return err;
	if (!confirm || !asked) {
		say(m, confirm ? CAL_MSG_DELETE_NOT_ASKED : CAL_MSG_DELETE_ASK);
		cal_reply_status(m->reply, "data_deletion_confirm");
		return CAL_OK;
	}
	if ((err = cal_privacy_erase_in_tx(m->ctx, m->a, m->user.id, "chat")) != CAL_OK)
		return err;
	m->erased = true;
	m->days_changed = true;
	say(m, CAL_MSG_DELETE_DONE);
	cal_reply_status(m->reply, "data_deleted");
	return CAL_OK;
}

static cal_err help(mc *m, cal_msg msg)
{
	say(m, msg);
	cal_reply_status(m->reply, "help");
	return CAL_OK;
}

/* `reiniciar` erases a profile only once confirmed: "sí, reiniciar", or the reset_confirm quick reply. */
static cal_err ask_reset(mc *m)
{
	struct json_object *confirm;

	if (!m->user.quiz_completed && m->user.quiz_step == 0)
		return start_quiz(m, true); /* nothing to erase */
	say(m, CAL_MSG_RESET_CONFIRM);
	cal_reply_quick_reply(m->reply, cal_i18n(CAL_MSG_BTN_RESET_YES, m->user.lang), "reset_confirm");
	cal_reply_quick_reply(m->reply, cal_i18n(CAL_MSG_BTN_RESET_NO, m->user.lang), "reset_cancel");
	confirm = json_object_new_object();
	json_object_object_add(confirm, "action", json_object_new_string("reset"));
	json_object_object_add(confirm, "confirm_payload", json_object_new_string("reset_confirm"));
	json_object_object_add(confirm, "cancel_payload", json_object_new_string("reset_cancel"));
	cal_reply_put(m->reply, "confirm", confirm);
	cal_reply_status(m->reply, "help");
	return CAL_OK;
}

static cal_err reset(mc *m)
{
	cal_err err = cal_users_reset(m->db, &m->user);

	if (err == CAL_OK) {
		say(m, CAL_MSG_RESET_DONE);
		ask(m, 1);
	}
	return err;
}

/* "gracias", "ok", "hola", "chau": a short answer; in the quiz, the pending question again; a user without a
 * profile gets the quiz. */
static cal_err small_talk(mc *m, cal_small_talk kind)
{
	static const cal_msg text[] = {
		[CAL_SMALL_THANKS] = CAL_MSG_SMALL_THANKS, [CAL_SMALL_OK] = CAL_MSG_SMALL_OK,
		[CAL_SMALL_HELLO] = CAL_MSG_SMALL_HELLO, [CAL_SMALL_BYE] = CAL_MSG_SMALL_BYE,
	};

	if (m->user.quiz_step >= 1 && m->user.quiz_step <= CAL_QUIZ_LAST_STEP) {
		ask(m, m->user.quiz_step);
		return CAL_OK;
	}
	if (!m->user.quiz_completed)
		return start_quiz(m, true);
	if (kind == CAL_SMALL_HELLO)
		say(m, CAL_MSG_SMALL_HELLO,
		    m->user.first_name != NULL ? cal_arena_printf(m->a, ", %s", m->user.first_name) : "");
	else
		say(m, text[kind <= CAL_SMALL_BYE ? kind : CAL_SMALL_OK]);
	cal_reply_status(m->reply, "help");
	return CAL_OK;
}

/* "cambiar 2 por 3 huevos": entry 2 of today becomes the new description, in its place in the list. */
static cal_err edit_entry(mc *m, const cal_command_arg *arg)
{
	struct json_object *analysis = NULL;
	cal_meal old;
	const char *now;
	cal_err err;

	m->in.text = arg->text; /* the meal to analyse and store is the new description */
	if (analyse_text(m) < 1) {
		say(m, CAL_MSG_FOOD_UNCLEAR);
		cal_reply_status(m->reply, "food_unclear");
		return CAL_OK;
	}
	m->meal.count_analysis = false;
	err = cal_foodlog_replace(m->db, m->a, m->user.id, m->user.today.date, arg->number, &m->meal, &old,
				  &m->user.today);
	if (err == CAL_ERR_NOT_FOUND)
		return nothing_to_change(m, arg->number);
	if (err != CAL_OK)
		return err;
	m->days_changed = true;
	json_object_object_get_ex(m->food_doc, "analysis", &analysis);
	now = entry_items(m, m->meal.items_json);
	say_with_day(m, cal_i18n_printf(m->a, CAL_MSG_EDITED, m->user.lang, arg->number, now,
					(int)lround(m->meal.kcal), entry_items(m, old.items_json), (int)lround(old.kcal)));
	json_object_object_add(analysis, "id", NULL);
	cal_reply_put(m->reply, "analysis", json_object_get(analysis));
	cal_reply_put(m->reply, "day", cal_foodlog_day_json(&m->user.today));
	cal_reply_status(m->reply, "food_logged");
	return CAL_OK;
}

static cal_err run_command(mc *m, cal_command cmd, const cal_command_arg *arg)
{
	switch (cmd) {
	case CAL_CMD_QUIZ_START:
		return start_quiz(m, !m->user.quiz_completed);
	case CAL_CMD_RESET:
		return ask_reset(m);
	case CAL_CMD_RESET_CONFIRM:
		return reset(m);
	case CAL_CMD_RESET_CANCEL:
		return help(m, CAL_MSG_RESET_KEPT);
	case CAL_CMD_TODAY:
		return show_today(m);
	case CAL_CMD_WEEK:
		return show_week(m);
	case CAL_CMD_UNDO:
		return delete_entry(m, 0);
	case CAL_CMD_DELETE:
		return delete_entry(m, arg->number);
	case CAL_CMD_LANGUAGE:
		return set_language(m, arg->lang);
	case CAL_CMD_STATUS:
		return show_status(m);
	case CAL_CMD_NEW_FOOD_LOG:
		return help(m, CAL_MSG_HOW_TO_LOG);
	case CAL_CMD_CONFIRM:
	case CAL_CMD_CANCEL:
		return resolve_pending(m, arg->analysis_id, cmd == CAL_CMD_CONFIRM);
	case CAL_CMD_SMALL_TALK:
		return small_talk(m, arg->small);
	case CAL_CMD_EDIT:
		return m->user.quiz_completed ? edit_entry(m, arg) : start_quiz(m, true);
	case CAL_CMD_DELETE_DATA:
	case CAL_CMD_DELETE_CONFIRM:
		return delete_data(m, cmd == CAL_CMD_DELETE_CONFIRM);
	case CAL_CMD_SUBSCRIBE:
		return subscribe(m);
	case CAL_CMD_HELP:
	default:
		return help(m, CAL_MSG_HELP);
	}
}

/* ---- the turn --------------------------------------------------------------------------------------- */

/* SPEC §5.3, first match wins. */
static cal_err dispatch(mc *m)
{
	cal_command_arg arg;
	cal_command cmd;
	cal_lang lang;
	cal_err err;

	memset(&arg, 0, sizeof arg);
	/* A new user whose request names no locale speaks the language of their first message ("hi", "I had…"). */
	if (m->user.created && m->in.locale == NULL && m->in.text != NULL && cal_i18n_guess_lang(m->in.text, &lang) == 0 &&
	    lang != m->user.lang && (err = cal_users_set_language(m->db, &m->user, lang)) != CAL_OK)
		return err;
	if (m->in.payload != NULL && (cmd = cal_command_match_arg(NULL, m->in.payload, &arg)) != CAL_CMD_NONE)
		return run_command(m, cmd, &arg);
	if (m->in.quiz_form != NULL)
		return quiz_form(m);
	if (m->in.media_url != NULL)
		return media(m);
	if (m->in.text != NULL && (cmd = cal_command_match_arg(m->in.text, NULL, &arg)) != CAL_CMD_NONE)
		return run_command(m, cmd, &arg);
	if (m->user.quiz_step >= 1 && m->user.quiz_step <= CAL_QUIZ_LAST_STEP)
		return quiz_answer(m);
	if (!m->user.quiz_completed)
		return start_quiz(m, true);
	if (m->in.text == NULL)
		return help(m, CAL_MSG_HELP);
	if (!gate_allows(m))
		return limit_reached(m);
	return log_food_text(m);
}

static void finish_reply(mc *m)
{
	const cal_user *u = &m->user;

	if (m->erased)
		return; /* nothing of the user is left to describe */
	cal_reply_field_bool(m->reply, "caloria_quiz_completed", u->quiz_completed);
	if (u->targets.daily_goal > 0)
		cal_reply_field_num(m->reply, "caloria_daily_goal", u->targets.daily_goal);
	cal_reply_field_num(m->reply, "caloria_kcal_today", round(u->today.kcal));
	cal_reply_field_text(m->reply, "caloria_subscription", u->subscription);
	cal_reply_put(m->reply, "user", cal_users_to_json(u));
}

/*
 * True when §5.3 can only end in the food text analysis for this message whatever the user's state, apart
 * from the quiz rules that cal_food_turn checks itself: no payload command, form, media or text command,
 * and a text with at least one known food (analysed here, before the database is touched).
 */
static bool food_candidate(mc *m)
{
	cal_command_arg arg;

	memset(&arg, 0, sizeof arg);
	if (m->in.text == NULL || m->in.quiz_form != NULL || m->in.media_url != NULL)
		return false;
	if (m->in.payload != NULL && cal_command_match_arg(NULL, m->in.payload, &arg) != CAL_CMD_NONE)
		return false;
	if (cal_command_match_arg(m->in.text, NULL, &arg) != CAL_CMD_NONE)
		return false;
	/* "Chile", "Turkey": the answer to the timezone question wins over the food of the same name. */
	int offset;
	if (cal_quiz_parse_timezone(m->in.text, &offset) == 0)
		return false;
	if (analyse_text(m) < 1 || m->plausibility != CAL_PLAUSIBLE)
		return false;
	/* A meal with foods to look up takes the ordinary path: its job joins the turn's transaction; so does a
	 * guess, which is not logged but asked about. */
	return !will_look_up(m) && m->meal.confidence >= CONFIRM_BELOW;
}

static cal_err converse(mc *m)
{
	cal_user_input ui = {
		.subscriber_id = m->in.subscriber_id,
		.first_name = m->in.first_name,
		.last_name = m->in.last_name,
		.locale = m->in.locale,
		.timezone = m->in.timezone,
		.channel = m->in.channel,
	};
	cal_logged logged = {0};
	cal_err err;

	/* A meal from a user with a profile is the whole turn in one round trip, commit included; otherwise
	 * BEGIN and the user's upsert and read still travel together, and the turn goes on from there. */
	if (food_candidate(m))
		err = cal_foodlog_turn(m->db, m->a, &m->ctx->conf, &ui, &m->meal, &m->user, &logged);
	else
		err = cal_users_begin_touch(m->db, m->a, &m->ctx->conf, &ui, &m->user);
	if (err == CAL_OK)
		m->req->lang = m->user.lang;
	if (err == CAL_OK && logged.food_log_id > 0) {
		reply_logged(m, &logged);
		/* Outside the committed turn: a failure here only moves the notice to the next message. */
		(void)expire_if_due(m);
		tell_trial_ended(m);
		after_commit(m);
		return CAL_OK;
	}
	if (err == CAL_OK)
		err = expire_if_due(m);
	if (err == CAL_OK)
		err = dispatch(m);
	if (err == CAL_OK)
		tell_trial_ended(m);
	if (err == CAL_OK && m->user.created)
		metric(m, "users_created");
	if (err == CAL_OK)
		err = cal_db_commit(m->db);
	else
		cal_db_rollback(m->db);
	if (err == CAL_OK)
		after_commit(m);
	return err;
}

static void send_reply(cal_response *resp, int status, cal_reply *r)
{
	struct json_object *doc = cal_reply_render(r);

	cal_resp_json(resp, status, doc);
	json_object_put(doc);
}

/* The error member of the §4.1 envelope. */
static struct json_object *error_member(const cal_request *req, cal_err e, const char *message,
					struct json_object *details)
{
	struct json_object *env = cal_http_error_object(req, e, message, details), *err = NULL;

	if (env != NULL && json_object_object_get_ex(env, "error", &err))
		json_object_get(err);
	json_object_put(env);
	return err;
}

static cal_lang lang_of_body(const cal_ctx *ctx, const cal_request *req)
{
	cal_lang lang = ctx->conf.app_default_language != NULL && strcmp(ctx->conf.app_default_language, "en") == 0
				? CAL_LANG_EN
				: req->lang;
	struct json_object *v;

	if (req->json != NULL && json_object_is_type(req->json, json_type_object) &&
	    ((json_object_object_get_ex(req->json, "locale", &v) && json_object_is_type(v, json_type_string)) ||
	     (json_object_object_get_ex(req->json, "language", &v) && json_object_is_type(v, json_type_string))))
		(void)cal_i18n_lang_from_locale(json_object_get_string(v), &lang);
	return lang;
}

static const char *requested_channel(const cal_request *req)
{
	struct json_object *v;

	if (req->json != NULL && json_object_is_type(req->json, json_type_object) &&
	    json_object_object_get_ex(req->json, "channel", &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static void reject(cal_ctx *ctx, cal_request *req, cal_response *resp, cal_err e, const char *field)
{
	cal_lang lang = lang_of_body(ctx, req);
	cal_reply *r = cal_reply_new(req->arena, channel_of(ctx, requested_channel(req)), false);
	struct json_object *details = NULL;

	req->lang = lang;
	cal_reply_text(r, cal_i18n(CAL_MSG_BAD_REQUEST, lang));
	cal_reply_status(r, "error");
	if (field != NULL) {
		details = json_object_new_object();
		json_object_object_add(details, "field", json_object_new_string(field));
	}
	cal_reply_error(r, error_member(req, e, cal_err_message(e, lang), details));
	send_reply(resp, cal_err_status(e), r);
	cal_reply_free(r);
	resp->err = e;
}

/* The turn's reply; its quick replies call this webhook back for the sender. */
static cal_reply *new_reply(mc *m)
{
	cal_reply *r = cal_reply_new(m->a, channel_of(m->ctx, m->in.channel), m->ctx->conf.manychat_field_actions);
	const char *base = m->ctx->conf.server_public_url != NULL ? m->ctx->conf.server_public_url : "";
	size_t n = strlen(base);

	cal_reply_set_callback(r, cal_arena_printf(m->a, "%.*s/webhook/manychat", (int)(n > 0 && base[n - 1] == '/' ? n - 1 : n), base),
			       m->in.subscriber_id);
	return r;
}

cal_err cal_h_manychat(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	const char *why = NULL, *bad = NULL;
	mc m;
	cal_err err;

	memset(&m, 0, sizeof m);
	if (cal_http_json(req, true, &why) != CAL_OK) {
		reject(ctx, req, resp, CAL_ERR_INVALID_JSON, NULL);
		return CAL_OK;
	}
	err = read_input(req->arena, req->json, &m.in, &bad);
	if (err != CAL_OK) {
		json_object_put(m.in.quiz_doc);
		reject(ctx, req, resp, CAL_ERR_VALIDATION, bad);
		return CAL_OK;
	}
	m.ctx = ctx;
	m.req = req;
	m.a = req->arena;
	m.db = ctx->db;
	m.reply = new_reply(&m);
	err = converse(&m);
	if (err != CAL_OK && cal_db_last_was_deadlock(ctx->db)) {
		/* InnoDB rolled the whole turn back (first logs of a day from many users at once can cross locks
		 * in the shared tables); nothing of it is left, so the turn runs once more from a clean state. */
		cal_info("database", "deadlock victim; running the turn again");
		cal_reply_free(m.reply);
		memset(&m.user, 0, sizeof m.user);
		m.ncounters = 0;
		m.days_changed = false;
		m.trial_ended = false;
		m.erased = false;
		json_object_put(m.food_doc); /* a retry analyses again: reply_logged() added ids to the old one */
		m.food_doc = NULL;
		m.reply = new_reply(&m);
		err = converse(&m);
	}
	if (err == CAL_OK) {
		finish_reply(&m);
		send_reply(resp, 200, m.reply);
	}
	cal_reply_free(m.reply);
	json_object_put(m.food_doc);
	json_object_put(m.in.quiz_doc);
	return err;
}

void cal_manychat_render_error(cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e,
			       const char *message)
{
	cal_lang lang = lang_of_body(ctx, req);
	cal_reply *r = cal_reply_new(req->arena, channel_of(ctx, requested_channel(req)), false);
	cal_msg text;

	switch (e) {
	case CAL_ERR_RATE_LIMITED:
		text = CAL_MSG_RATE_LIMITED;
		break;
	case CAL_ERR_UNAVAILABLE:
		text = CAL_MSG_UNAVAILABLE;
		break;
	case CAL_ERR_UNAUTHORIZED:
		text = CAL_MSG_UNAUTHORIZED;
		break;
	case CAL_ERR_INVALID_JSON:
	case CAL_ERR_VALIDATION:
	case CAL_ERR_TOO_LARGE:
	case CAL_ERR_MEDIA_TYPE:
		text = CAL_MSG_BAD_REQUEST;
		break;
	default:
		text = CAL_MSG_INTERNAL;
		break;
	}
	cal_reply_text(r, cal_i18n(text, lang));
	cal_reply_status(r, e == CAL_ERR_RATE_LIMITED ? "rate_limited" : "error");
	cal_reply_error(r, error_member(req, e, message != NULL ? message : cal_err_message(e, lang), NULL));
	send_reply(resp, cal_err_status(e), r);
	cal_reply_free(r);
	resp->err = e;
}

const char *cal_manychat_rate_key(cal_request *req)
{
	const char *why = NULL, *id = NULL;

	/* Unparsable bodies fall back to the client address; the handler rejects them afterwards. */
	if (cal_http_json(req, true, &why) != CAL_OK || read_id(req->arena, req->json, &id) != 0)
		return NULL;
	return cal_arena_printf(req->arena, "mc:%s", id);
}
