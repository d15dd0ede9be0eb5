/*
 * ManyChat Dynamic Block v2 replies (reply.h, SPEC §5.4). The builder owns the limits so no caller can
 * exceed them: ManyChat rejects a whole block for one over-long text or a fourth button, and a rejected
 * block means the user sees nothing at all. Over-limit additions are refused (and logged once by the
 * caller if it cares), never silently half-applied.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "caloria/foodlog.h"
#include "caloria/i18n.h"
#include "caloria/reply.h"

/* The day line's states (cal_reply_day_line); SPEC §8 calls within 200 kcal of the goal "close". */
#define DAY_CLOSE_KCAL 200

struct cal_reply {
	cal_arena *arena;
	const char *channel;
	bool field_actions;
	struct json_object *messages; /* array of {"type":"text","text",["buttons"]} */
	struct json_object *actions;  /* array of set_field_value */
	struct json_object *caloria;  /* {"status", "user", …} */
	struct json_object *error;    /* NULL or the envelope's error object */
	struct json_object *quick;    /* quick replies (instagram, facebook) */
	const char *callback_url, *subscriber_id;
	int nmessages;
	int nactions;
};

static const char ellipsis[] = "\xE2\x80\xA6"; /* "…" */

char *cal_reply_cut(cal_arena *a, const char *s, size_t max)
{
	size_t len = s != NULL ? strlen(s) : 0;
	size_t keep;
	char *out;

	if (len <= max)
		return cal_arena_strdup(a, s != NULL ? s : "");
	if (max < sizeof ellipsis - 1)
		return cal_arena_strdup(a, "");
	keep = max - (sizeof ellipsis - 1);
	/* Back up over continuation bytes (10xxxxxx) so the cut lands before a character's first byte. */
	while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
		keep--;
	out = cal_arena_alloc(a, keep + sizeof ellipsis);
	memcpy(out, s, keep);
	memcpy(out + keep, ellipsis, sizeof ellipsis);
	return out;
}

cal_reply *cal_reply_new(cal_arena *a, const char *channel, bool field_actions)
{
	cal_reply *r = cal_arena_alloc(a, sizeof *r);

	r->arena = a;
	r->channel = channel != NULL && channel[0] != '\0' ? channel : "telegram";
	r->field_actions = field_actions;
	r->messages = json_object_new_array();
	r->actions = json_object_new_array();
	r->caloria = json_object_new_object();
	r->quick = json_object_new_array();
	r->callback_url = r->subscriber_id = NULL;
	json_object_object_add(r->caloria, "status", json_object_new_string("help"));
	return r;
}

void cal_reply_free(cal_reply *r)
{
	if (r == NULL)
		return;
	json_object_put(r->messages);
	json_object_put(r->actions);
	json_object_put(r->caloria);
	json_object_put(r->error);
	json_object_put(r->quick);
	r->messages = r->actions = r->caloria = r->error = r->quick = NULL;
}

int cal_reply_text(cal_reply *r, const char *text)
{
	struct json_object *m;

	if (r->nmessages >= CAL_REPLY_MAX_MESSAGES)
		return -1;
	m = json_object_new_object();
	json_object_object_add(m, "type", json_object_new_string("text"));
	json_object_object_add(m, "text", json_object_new_string(cal_reply_cut(r->arena, text, CAL_REPLY_TEXT_MAX)));
	json_object_array_add(r->messages, m);
	r->nmessages++;
	return 0;
}

/* A new button on the last message, or NULL when there is no message or it has 3 already. */
static struct json_object *new_button(cal_reply *r, const char *type, const char *caption)
{
	struct json_object *m, *buttons, *b;

	if (r->nmessages == 0)
		return NULL;
	m = json_object_array_get_idx(r->messages, (size_t)r->nmessages - 1);
	if (!json_object_object_get_ex(m, "buttons", &buttons)) {
		buttons = json_object_new_array();
		json_object_object_add(m, "buttons", buttons);
	}
	if (json_object_array_length(buttons) >= CAL_REPLY_MAX_BUTTONS)
		return NULL;
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string(type));
	/* ManyChat caps captions at 20 characters; 60 bytes keeps any 20-character caption whole. */
	json_object_object_add(b, "caption", json_object_new_string(cal_reply_cut(r->arena, caption, 60)));
	json_object_array_add(buttons, b);
	return b;
}

int cal_reply_button_url(cal_reply *r, const char *caption, const char *url)
{
	struct json_object *b = new_button(r, "url", caption);

	if (b == NULL)
		return -1;
	json_object_object_add(b, "url", json_object_new_string(url != NULL ? url : ""));
	return 0;
}

int cal_reply_button_callback(cal_reply *r, const char *caption, const char *url, const char *payload)
{
	struct json_object *b = new_button(r, "dynamic_block_callback", caption), *body;

	if (b == NULL)
		return -1;
	json_object_object_add(b, "url", json_object_new_string(url != NULL ? url : ""));
	json_object_object_add(b, "method", json_object_new_string("post"));
	body = json_object_new_object();
	json_object_object_add(body, "payload", json_object_new_string(payload != NULL ? payload : ""));
	json_object_object_add(b, "payload", body);
	return 0;
}

static int add_action(cal_reply *r, const char *field, struct json_object *value)
{
	struct json_object *a;

	if (!r->field_actions) {
		json_object_put(value);
		return 1;
	}
	if (r->nactions >= CAL_REPLY_MAX_ACTIONS) {
		json_object_put(value);
		return -1;
	}
	a = json_object_new_object();
	json_object_object_add(a, "action", json_object_new_string("set_field_value"));
	json_object_object_add(a, "field_name", json_object_new_string(field));
	json_object_object_add(a, "value", value);
	json_object_array_add(r->actions, a);
	r->nactions++;
	return 0;
}

int cal_reply_field_num(cal_reply *r, const char *field, double value)
{
	char s[64];

	/* Whole numbers print without a fraction so ManyChat's number fields take them as they are. */
	if (value == (double)(long long)value)
		return add_action(r, field, json_object_new_int64((long long)value));
	snprintf(s, sizeof s, "%.1f", value);
	return add_action(r, field, json_object_new_double_s(value, s));
}

int cal_reply_field_bool(cal_reply *r, const char *field, bool value)
{
	return add_action(r, field, json_object_new_boolean(value));
}

int cal_reply_field_text(cal_reply *r, const char *field, const char *value)
{
	return add_action(r, field, json_object_new_string(value != NULL ? value : ""));
}

void cal_reply_status(cal_reply *r, const char *status)
{
	json_object_object_add(r->caloria, "status", json_object_new_string(status));
}

void cal_reply_put(cal_reply *r, const char *key, struct json_object *obj)
{
	if (obj == NULL)
		json_object_object_del(r->caloria, key);
	else
		json_object_object_add(r->caloria, key, obj);
}

void cal_reply_error(cal_reply *r, struct json_object *error)
{
	json_object_put(r->error);
	r->error = error;
}

int cal_reply_count(const cal_reply *r)
{
	return r->nmessages;
}

/* "message": every text joined by a blank line, for flows that only map one text field. */
static struct json_object *joined_text(const cal_reply *r)
{
	cal_buf b;
	struct json_object *out;

	cal_buf_init(&b);
	for (int i = 0; i < r->nmessages; i++) {
		struct json_object *m = json_object_array_get_idx(r->messages, (size_t)i), *t;
		if (i > 0)
			cal_buf_puts(&b, "\n\n");
		if (json_object_object_get_ex(m, "text", &t))
			cal_buf_puts(&b, json_object_get_string(t));
	}
	out = json_object_new_string_len(b.data != NULL ? b.data : "", (int)b.len);
	cal_buf_free(&b);
	return out;
}

struct json_object *cal_reply_render_content(const cal_reply *r)
{
	struct json_object *doc = cal_reply_render(r), *content = NULL;

	if (json_object_object_get_ex(doc, "content", &content))
		json_object_get(content);
	json_object_put(doc);
	return content;
}

struct json_object *cal_reply_render(const cal_reply *r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *content = json_object_new_object();
	struct json_object *copy = NULL;

	json_object_object_add(root, "version", json_object_new_string("v2"));
	if (strcmp(r->channel, "facebook") != 0)
		json_object_object_add(content, "type", json_object_new_string(r->channel));
	json_object_object_add(content, "messages", json_object_get(r->messages));
	if (r->field_actions)
		json_object_object_add(content, "actions", json_object_get(r->actions));
	if (cal_reply_has_quick_replies(r))
		json_object_object_add(content, "quick_replies", json_object_get(r->quick));
	json_object_object_add(root, "content", content);
	json_object_object_add(root, "message", joined_text(r));
	if (json_object_deep_copy(r->caloria, &copy, NULL) != 0)
		copy = json_object_get(r->caloria);
	json_object_object_add(root, "caloria", copy);
	if (r->error != NULL)
		json_object_object_add(root, "error", json_object_get(r->error));
	return root;
}

/* ---- quick replies ------------------------------------------------------------------------------- */

bool cal_reply_has_quick_replies(const cal_reply *r)
{
	return strcmp(r->channel, "instagram") == 0 || strcmp(r->channel, "facebook") == 0;
}

void cal_reply_set_callback(cal_reply *r, const char *callback_url, const char *subscriber_id)
{
	r->callback_url = callback_url != NULL ? cal_arena_strdup(r->arena, callback_url) : NULL;
	r->subscriber_id = subscriber_id != NULL ? cal_arena_strdup(r->arena, subscriber_id) : NULL;
}

/* One dynamic_block_callback quick reply whose request body is {"id": subscriber, key: value}. */
static int quick(cal_reply *r, const char *caption, const char *key, const char *value)
{
	struct json_object *q, *body;

	if (!cal_reply_has_quick_replies(r))
		return 1;
	if (json_object_array_length(r->quick) >= CAL_REPLY_MAX_QUICK_REPLIES)
		return -1;
	body = json_object_new_object();
	if (r->subscriber_id != NULL)
		json_object_object_add(body, "id", json_object_new_string(r->subscriber_id));
	json_object_object_add(body, key, json_object_new_string(value != NULL ? value : ""));
	q = json_object_new_object();
	json_object_object_add(q, "type", json_object_new_string("dynamic_block_callback"));
	json_object_object_add(q, "caption", json_object_new_string(cal_reply_cut(r->arena, caption, 60)));
	json_object_object_add(q, "url", json_object_new_string(r->callback_url != NULL ? r->callback_url : ""));
	json_object_object_add(q, "method", json_object_new_string("post"));
	json_object_object_add(q, "payload", body);
	json_object_array_add(r->quick, q);
	return 0;
}

int cal_reply_quick_reply(cal_reply *r, const char *caption, const char *payload)
{
	return quick(r, caption, "payload", payload);
}

int cal_reply_quick_text(cal_reply *r, const char *caption, const char *text)
{
	return quick(r, caption, "text", text);
}

/* ---- texts built from data ------------------------------------------------------------------------ */

static double num_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool matched(struct json_object *item)
{
	struct json_object *v;

	return json_object_object_get_ex(item, "matched", &v) && json_object_get_boolean(v);
}

const char *cal_reply_item_words(cal_arena *a, cal_lang lang, struct json_object *it, bool with_amount)
{
	return cal_i18n_item(a, lang, str_of(it, "name"), num_of(it, "quantity"), str_of(it, "unit"),
			     num_of(it, "grams"), num_of(it, "ml"), with_amount);
}

const char *cal_reply_day_line(cal_arena *a, cal_lang lang, const cal_day *day)
{
	int consumed = (int)lround(day->kcal), goal = day->goal_kcal, diff = consumed - goal;
	cal_msg m;

	if (goal <= 0)
		return NULL;
	if (diff > DAY_CLOSE_KCAL)
		m = CAL_MSG_DAY_OVER;
	else if (diff > 0)
		m = CAL_MSG_DAY_JUST_OVER;
	else if (diff >= -DAY_CLOSE_KCAL)
		m = CAL_MSG_DAY_CLOSE;
	else
		m = CAL_MSG_DAY_PROGRESS;
	return cal_i18n_printf(a, m, lang, consumed, goal, diff > 0 ? diff : -diff);
}

const char *cal_reply_items_text(cal_arena *a, cal_lang lang, struct json_object *items)
{
	cal_buf b;
	const char *out;

	cal_buf_init(&b);
	for (size_t i = 0; json_object_is_type(items, json_type_array) && i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		if (!matched(it))
			continue;
		cal_buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", cal_reply_item_words(a, lang, it, false));
	}
	out = cal_arena_strdup(a, b.data != NULL ? b.data : "");
	cal_buf_free(&b);
	return out;
}

const char *cal_reply_tip(cal_arena *a, cal_lang lang, const cal_day *day, int protein_target_g)
{
	const char *recs[4];
	cal_day nutrients = *day;

	if (day->meals < 2)
		return NULL;
	nutrients.goal_kcal = 0; /* the day line already set the day against its goal */
	return cal_foodlog_recommendations(&nutrients, protein_target_g, lang, a, recs, 4) > 0 ? recs[0] : NULL;
}

/* A voice note's analysis starts its message with what was heard. */
static void heard(cal_reply *r, cal_lang lang, struct json_object *analysis, cal_buf *b)
{
	if (str_of(analysis, "transcript") != NULL)
		cal_buf_printf(b, "%s\n", cal_i18n_printf(r->arena, CAL_MSG_TRANSCRIPT, lang, str_of(analysis, "transcript")));
}

int cal_reply_food_confirm(cal_reply *r, cal_lang lang, struct json_object *analysis, double kcal,
			   const char *webhook_url, long long analysis_id)
{
	struct json_object *items = NULL;
	cal_buf b;
	int before = r->nmessages;

	json_object_object_get_ex(analysis, "items", &items);
	cal_buf_init(&b);
	heard(r, lang, analysis, &b);
	cal_buf_puts(&b, cal_reply_items_text(r->arena, lang, items));
	for (size_t i = 0; json_object_is_type(items, json_type_array) && i < json_object_array_length(items); i++) {
		const char *assumed = str_of(json_object_array_get_idx(items, i), "assumed");
		if (assumed != NULL)
			cal_buf_printf(&b, " (%s)", assumed);
	}
	cal_buf_printf(&b, "\n%s", cal_i18n_printf(r->arena, CAL_MSG_FOOD_CONFIRM, lang, kcal));
	cal_reply_text(r, b.data);
	cal_buf_free(&b);
	cal_reply_button_callback(r, cal_i18n(CAL_MSG_BTN_CONFIRM, lang), webhook_url,
				  cal_arena_printf(r->arena, "confirm:%lld", analysis_id));
	cal_reply_button_callback(r, cal_i18n(CAL_MSG_BTN_CANCEL, lang), webhook_url,
				  cal_arena_printf(r->arena, "cancel:%lld", analysis_id));
	return r->nmessages - before;
}

int cal_reply_food_log(cal_reply *r, cal_lang lang, struct json_object *analysis, const cal_day *day,
		       int protein_target_g)
{
	struct json_object *items = NULL, *total = NULL;
	const char *line, *tip;
	cal_buf b;
	int before = r->nmessages;

	json_object_object_get_ex(analysis, "items", &items);
	json_object_object_get_ex(analysis, "total", &total);
	cal_buf_init(&b);
	heard(r, lang, analysis, &b);
	cal_buf_puts(&b, cal_i18n(CAL_MSG_FOOD_LOGGED, lang));
	for (size_t i = 0; json_object_is_type(items, json_type_array) && i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		cal_buf_printf(&b, "\n%s",
			       matched(it) ? cal_i18n_printf(r->arena, CAL_MSG_FOOD_ITEM, lang,
							     cal_reply_item_words(r->arena, lang, it, true),
							     (int)lround(num_of(it, "kcal")))
					   : cal_i18n_printf(r->arena, CAL_MSG_FOOD_ITEM_UNMATCHED, lang,
							     str_of(it, "name") != NULL ? str_of(it, "name") : "?"));
	}
	cal_buf_printf(&b, "\n%s",
		       cal_i18n_printf(r->arena, CAL_MSG_FOOD_TOTAL, lang, (int)lround(num_of(total, "kcal")),
				       (int)lround(num_of(total, "protein_g")), (int)lround(num_of(total, "carbs_g")),
				       (int)lround(num_of(total, "fat_g"))));
	if (day != NULL && (line = cal_reply_day_line(r->arena, lang, day)) != NULL)
		cal_buf_printf(&b, "\n%s", line);
	cal_reply_text(r, b.data);
	cal_buf_free(&b);
	if (day != NULL && (tip = cal_reply_tip(r->arena, lang, day, protein_target_g)) != NULL)
		cal_reply_text(r, tip);
	return r->nmessages - before;
}
