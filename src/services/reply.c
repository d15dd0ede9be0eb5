/*
 * ManyChat Dynamic Block v2 replies (reply.h, SPEC §5.4). The builder owns the limits so no caller can
 * exceed them: ManyChat rejects a whole block for one over-long text or a fourth button, and a rejected
 * block means the user sees nothing at all. Over-limit additions are refused (and logged once by the
 * caller if it cares), never silently half-applied.
 */
#include "config.h"

#include <string.h>

#include "caloria/reply.h"

struct cal_reply {
	cal_arena *arena;
	const char *channel;
	bool field_actions;
	struct json_object *messages; /* array of {"type":"text","text",["buttons"]} */
	struct json_object *actions;  /* array of set_field_value */
	struct json_object *caloria;  /* {"status", "user", …} */
	struct json_object *error;    /* NULL or the envelope's error object */
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
	r->messages = r->actions = r->caloria = r->error = NULL;
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
	if (strcmp(r->channel, "instagram") == 0 || strcmp(r->channel, "facebook") == 0)
		json_object_object_add(content, "quick_replies", json_object_new_array());
	json_object_object_add(root, "content", content);
	json_object_object_add(root, "message", joined_text(r));
	if (json_object_deep_copy(r->caloria, &copy, NULL) != 0)
		copy = json_object_get(r->caloria);
	json_object_object_add(root, "caloria", copy);
	if (r->error != NULL)
		json_object_object_add(root, "error", json_object_get(r->error));
	return root;
}
