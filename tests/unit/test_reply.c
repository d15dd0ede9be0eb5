/*
 * The ManyChat v2 builder (reply.c): every limit of SPEC §5.4 is enforced by the builder, the channel
 * decides content.type and quick_replies, actions appear only when enabled, and "message" joins the texts.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "caloria/http.h"
#include "caloria/reply.h"

static cal_arena arena;

static void setup(void)
{
	cal_arena_init(&arena, 4096);
}

static void teardown(void)
{
	cal_arena_free(&arena);
}

TestSuite(reply, .init = setup, .fini = teardown);

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[128];
	char *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL && o != NULL; k = strtok_r(NULL, ".", &save)) {
		struct json_object *next = NULL;
		if (!json_object_object_get_ex(o, k, &next))
			return NULL;
		o = next;
	}
	return o;
}

static size_t messages(struct json_object *doc)
{
	return json_object_array_length(get(doc, "content.messages"));
}

Test(reply, basic_shape_telegram)
{
	cal_reply *r = cal_reply_new(&arena, "telegram", false);
	cal_reply_text(r, "hola");
	cal_reply_text(r, "chau");
	cal_reply_status(r, "help");
	struct json_object *doc = cal_reply_render(r);

	cr_assert_str_eq(json_object_get_string(get(doc, "version")), "v2");
	cr_assert_str_eq(json_object_get_string(get(doc, "content.type")), "telegram");
	cr_assert_eq(messages(doc), 2);
	cr_assert_str_eq(json_object_get_string(get(doc, "message")), "hola\n\nchau");
	cr_assert_str_eq(json_object_get_string(get(doc, "caloria.status")), "help");
	cr_assert_null(get(doc, "content.quick_replies"), "telegram has no quick replies");
	cr_assert_null(get(doc, "content.actions"), "actions only when enabled");
	cr_assert_null(get(doc, "error"));
	json_object_put(doc);
	cal_reply_free(r);
}

Test(reply, eleven_messages_become_ten)
{
	cal_reply *r = cal_reply_new(&arena, "telegram", false);
	int refused = 0;

	for (int i = 0; i < 11; i++)
		if (cal_reply_text(r, cal_arena_printf(&arena, "m%d", i)) != 0)
			refused++;
	cr_assert_eq(refused, 1);
	cr_assert_eq(cal_reply_count(r), 10);
	struct json_object *doc = cal_reply_render(r);
	cr_assert_eq(messages(doc), 10);
	cr_assert_null(strstr(json_object_get_string(get(doc, "message")), "m10"), "the 11th text is not sent");
	json_object_put(doc);
	cal_reply_free(r);
}

Test(reply, four_buttons_become_three)
{
	cal_reply *r = cal_reply_new(&arena, "telegram", false);

	cr_assert_eq(cal_reply_button_url(r, "x", "https://e.x"), -1, "no message to attach to");
	cal_reply_text(r, "pick");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(cal_reply_button_url(r, "b", "https://example.com/"), 0);
	cr_assert_eq(cal_reply_button_url(r, "b4", "https://example.com/4"), -1);
	struct json_object *doc = cal_reply_render(r);
	struct json_object *m0 = json_object_array_get_idx(get(doc, "content.messages"), 0);
	struct json_object *buttons = get(m0, "buttons");
	cr_assert_eq(json_object_array_length(buttons), 3);
	struct json_object *b0 = json_object_array_get_idx(buttons, 0);
	cr_assert_str_eq(json_object_get_string(get(b0, "type")), "url");
	cr_assert_str_eq(json_object_get_string(get(b0, "url")), "https://example.com/");
	json_object_put(doc);
	cal_reply_free(r);
}

Test(reply, long_text_cut_at_utf8_boundary)
{
	/* 2500 characters of 2-byte "é" after one ASCII byte: every even offset is mid-character. */
	size_t n = 1 + 2500 * 2;
	char *s = cal_arena_alloc(&arena, n + 1);
	s[0] = 'a';
	for (size_t i = 1; i < n; i += 2) {
		s[i] = (char)0xC3;
		s[i + 1] = (char)0xA9;
	}
	cal_reply *r = cal_reply_new(&arena, "telegram", false);
	cal_reply_text(r, s);
	struct json_object *doc = cal_reply_render(r);
	struct json_object *m0 = json_object_array_get_idx(get(doc, "content.messages"), 0);
	const char *t = json_object_get_string(get(m0, "text"));
	size_t len = strlen(t);

	cr_assert_leq(len, CAL_REPLY_TEXT_MAX);
	cr_assert_gt(len, CAL_REPLY_TEXT_MAX - 8, "cut close to the limit, got %zu", len);
	cr_assert(cal_http_utf8_valid(t, len), "the cut text is valid UTF-8");
	cr_assert_eq(memcmp(t + len - 3, "\xE2\x80\xA6", 3), 0, "ends with an ellipsis");
	json_object_put(doc);
	cal_reply_free(r);
}

Test(reply, short_text_untouched_and_cut_helper)
{
	cr_assert_str_eq(cal_reply_cut(&arena, "hola", 10), "hola");
	cr_assert_str_eq(cal_reply_cut(&arena, "hola", 4), "hola");
	/* "ñaañ" is 6 bytes; max 5 leaves 2 bytes before the ellipsis: "ñ" exactly. */
	cr_assert_str_eq(cal_reply_cut(&arena, "\xC3\xB1" "aa" "\xC3\xB1", 5), "\xC3\xB1\xE2\x80\xA6");
	/* max 4 leaves 1 byte, the middle of "ñ": backing off leaves nothing but the ellipsis. */
	cr_assert_str_eq(cal_reply_cut(&arena, "\xC3\xB1" "aa" "\xC3\xB1", 4), "\xE2\x80\xA6");
	cr_assert_str_eq(cal_reply_cut(&arena, "abcdef", 2), "");
}

Test(reply, facebook_omits_type_and_has_quick_replies)
{
	cal_reply *r = cal_reply_new(&arena, "facebook", false);
	cal_reply_text(r, "hi");
	struct json_object *doc = cal_reply_render(r);

	cr_assert_null(get(doc, "content.type"));
	cr_assert(json_object_is_type(get(doc, "content.quick_replies"), json_type_array));
	json_object_put(doc);
	cal_reply_free(r);
}

Test(reply, instagram_and_whatsapp)
{
	cal_reply *r = cal_reply_new(&arena, "instagram", false);
	cal_reply_text(r, "hi");
	struct json_object *doc = cal_reply_render(r);
	cr_assert_str_eq(json_object_get_string(get(doc, "content.type")), "instagram");
	cr_assert(json_object_is_type(get(doc, "content.quick_replies"), json_type_array));
	json_object_put(doc);
	cal_reply_free(r);

	r = cal_reply_new(&arena, "whatsapp", false);
	doc = cal_reply_render(r);
	cr_assert_str_eq(json_object_get_string(get(doc, "content.type")), "whatsapp");
	cr_assert_null(get(doc, "content.quick_replies"));
	cr_assert_eq(messages(doc), 0);
	cr_assert_str_eq(json_object_get_string(get(doc, "message")), "");
	json_object_put(doc);
	cal_reply_free(r);
}

Test(reply, actions_only_when_enabled_and_at_most_five)
{
	cal_reply *off = cal_reply_new(&arena, "telegram", false);
	cr_assert_eq(cal_reply_field_num(off, "caloria_kcal_today", 1530), 1, "ignored when disabled");
	struct json_object *doc = cal_reply_render(off);
	cr_assert_null(get(doc, "content.actions"));
	json_object_put(doc);
	cal_reply_free(off);

	cal_reply *on = cal_reply_new(&arena, "telegram", true);
	cr_assert_eq(cal_reply_field_num(on, "caloria_kcal_today", 1530), 0);
	cr_assert_eq(cal_reply_field_num(on, "caloria_daily_goal", 1850.5), 0);
	cr_assert_eq(cal_reply_field_bool(on, "caloria_quiz_completed", true), 0);
	cr_assert_eq(cal_reply_field_text(on, "caloria_subscription", "trial"), 0);
	cr_assert_eq(cal_reply_field_text(on, "caloria_subscription", "x"), 0);
	cr_assert_eq(cal_reply_field_text(on, "caloria_subscription", "y"), -1, "sixth action refused");
	doc = cal_reply_render(on);
	struct json_object *actions = get(doc, "content.actions");
	cr_assert_eq(json_object_array_length(actions), 5);
	struct json_object *a0 = json_object_array_get_idx(actions, 0);
	cr_assert_str_eq(json_object_get_string(get(a0, "action")), "set_field_value");
	cr_assert_str_eq(json_object_get_string(get(a0, "field_name")), "caloria_kcal_today");
	cr_assert(json_object_is_type(get(a0, "value"), json_type_int));
	cr_assert_eq(json_object_get_int(get(a0, "value")), 1530);
	struct json_object *a1 = json_object_array_get_idx(actions, 1);
	cr_assert_float_eq(json_object_get_double(get(a1, "value")), 1850.5, 1e-9);
	struct json_object *a2 = json_object_array_get_idx(actions, 2);
	cr_assert(json_object_get_boolean(get(a2, "value")));
	json_object_put(doc);
	cal_reply_free(on);
}

Test(reply, caloria_object_and_error)
{
	cal_reply *r = cal_reply_new(&arena, NULL, false);
	struct json_object *user = json_object_new_object();
	json_object_object_add(user, "id", json_object_new_int(7));
	cal_reply_put(r, "user", user);
	cal_reply_put(r, "day", json_object_new_object());
	cal_reply_put(r, "day", NULL);
	struct json_object *err = json_object_new_object();
	json_object_object_add(err, "code", json_object_new_string("validation_error"));
	cal_reply_error(r, err);
	cal_reply_status(r, "error");
	struct json_object *doc = cal_reply_render(r);

	cr_assert_str_eq(json_object_get_string(get(doc, "content.type")), "telegram", "NULL channel = telegram");
	cr_assert_eq(json_object_get_int(get(doc, "caloria.user.id")), 7);
	cr_assert_null(get(doc, "caloria.day"), "a key put as NULL is removed");
	cr_assert_str_eq(json_object_get_string(get(doc, "caloria.status")), "error");
	cr_assert_str_eq(json_object_get_string(get(doc, "error.code")), "validation_error");
	/* Rendering twice gives the same document (the reply stays usable). */
	struct json_object *again = cal_reply_render(r);
	cr_assert_str_eq(json_object_to_json_string(doc), json_object_to_json_string(again));
	json_object_put(doc);
	json_object_put(again);
	cal_reply_free(r);
}

/* The phrases that set a day against its goal, per language: under, close, just over, over. */
static const char *const verdicts[CAL_LANG__MAX][4] = {
	{"te quedan", "muy cerca", "casi justo", "Mañana es otro día"},
	{"left.", "right on track", "just about", "over. Tomorrow"},
};

static int verdicts_in(const char *text, cal_lang l, int *which)
{
	int n = 0;

	for (int k = 0; k < 4; k++)
		if (strstr(text, verdicts[l][k]) != NULL) {
			n++;
			*which = k;
		}
	return n;
}

/* Over, close and under are exclusive: every consumed value gets exactly one state, the right one. */
Test(reply, day_line_states_are_exclusive)
{
	for (int l = 0; l < CAL_LANG__MAX; l++) {
		for (int kcal = 0; kcal <= 4500; kcal += 7) {
			cal_day d = {.kcal = kcal, .goal_kcal = 2000, .meals = 1};
			const char *line = cal_reply_day_line(&arena, (cal_lang)l, &d);
			int which = -1, want = kcal - 2000 > 200 ? 3 : kcal > 2000 ? 2 : 2000 - kcal <= 200 ? 1 : 0;
			cr_assert_not_null(line);
			if (l == CAL_LANG_ES) /* "te quedan" is said in both the under and close states */
				cr_expect(strstr(line, "te pasaste") == NULL || strstr(line, "te quedan") == NULL, "%s", line);
			cr_expect(want == 1 && l == CAL_LANG_ES ? verdicts_in(line, (cal_lang)l, &which) == 2
								 : verdicts_in(line, (cal_lang)l, &which) == 1,
				  "%d kcal: %s", kcal, line);
			cr_expect_eq(which, want, "%d kcal (%s): state %d, want %d", kcal, line, which, want);
		}
	}
	cal_day none = {.kcal = 500, .goal_kcal = 0};
	cr_expect_null(cal_reply_day_line(&arena, CAL_LANG_ES, &none));
}

static struct json_object *analysis_of(const char *json)
{
	struct json_object *o = json_tokener_parse(json);

	cr_assert_not_null(o);
	return o;
}

/* A logged meal is one bubble (items, meal, day) plus at most one tip, which never restates the day. */
Test(reply, food_log_is_one_bubble_and_one_tip)
{
	struct json_object *an = analysis_of(
		"{\"items\":[{\"name\":\"huevo revuelto\",\"quantity\":2,\"unit\":\"unit\",\"grams\":122,\"kcal\":181.8,"
		"\"matched\":true},{\"name\":\"coca-cola\",\"quantity\":1,\"unit\":\"can\",\"grams\":368,\"ml\":354.9,"
		"\"kcal\":136.2,"
		"\"matched\":true},{\"name\":\"xyzzy\",\"quantity\":1,\"unit\":\"unit\",\"grams\":0,\"kcal\":0,"
		"\"matched\":false}],\"total\":{\"kcal\":318,\"protein_g\":12.4,\"carbs_g\":37.1,\"fat_g\":13.5}}");

	for (int meals = 1; meals <= 3; meals++) {
		for (int kcal = 300; kcal <= 3000; kcal += 150) {
			cal_reply *r = cal_reply_new(&arena, "telegram", false);
			cal_day d = {.kcal = kcal, .goal_kcal = 1800, .meals = meals, .protein_g = 10, .fiber_g = 2};
			int added = cal_reply_food_log(r, CAL_LANG_ES, an, &d, 120);
			struct json_object *doc = cal_reply_render(r);
			const char *text = json_object_get_string(get(doc, "message"));
			int which;

			cr_expect(added >= 1 && added <= 2, "%d bubbles", added);
			cr_expect_eq(added == 2, meals >= 2, "a tip only from the second meal (meals %d)", meals);
			cr_expect_not_null(strstr(text, "• 2 huevos revueltos (122 g): 182 kcal"), "%s", text);
			cr_expect_not_null(strstr(text, "• 1 lata de coca-cola (355 ml): 136 kcal"), "%s", text);
			cr_expect_not_null(strstr(text, "• xyzzy: no lo reconocí"), "%s", text);
			cr_expect_not_null(strstr(text, "Esta comida: 318 kcal · proteínas 12 g"), "%s", text);
			cr_expect_null(strstr(text, "(s)"));
			cr_expect_null(strstr(text, "Te faltan"), "no kcal verdict besides the day line: %s", text);
			cr_expect_leq(verdicts_in(text, CAL_LANG_ES, &which), 2, "%s", text);
			cr_expect(strstr(text, "te pasaste") == NULL ||
					  (strstr(text, "te quedan") == NULL && strstr(text, "muy cerca") == NULL),
				  "contradiction: %s", text);
			json_object_put(doc);
			cal_reply_free(r);
		}
	}
	json_object_put(an);
}

/* Quick replies exist only where the channel shows them, and call the webhook back for the sender. */
Test(reply, quick_replies_only_on_instagram_and_facebook)
{
	static const char *const channels[] = {"telegram", "whatsapp", "instagram", "facebook"};

	for (size_t i = 0; i < 4; i++) {
		cal_reply *r = cal_reply_new(&arena, channels[i], false);
		struct json_object *doc, *q;
		bool has = i >= 2;

		cal_reply_set_callback(r, "https://bot.example/webhook/manychat", "sub-1");
		cal_reply_text(r, "¿Seguro?");
		cr_expect_eq(cal_reply_quick_reply(r, "Sí, reiniciar", "reset_confirm"), has ? 0 : 1);
		cr_expect_eq(cal_reply_quick_text(r, "Mujer", "Mujer"), has ? 0 : 1);
		doc = cal_reply_render(r);
		q = get(doc, "content.quick_replies");
		if (!has) {
			cr_expect_null(q, "%s", channels[i]);
		} else {
			cr_assert_eq(json_object_array_length(q), 2);
			struct json_object *first = json_object_array_get_idx(q, 0), *second = json_object_array_get_idx(q, 1);
			cr_expect_str_eq(json_object_get_string(get(first, "type")), "dynamic_block_callback");
			cr_expect_str_eq(json_object_get_string(get(first, "caption")), "Sí, reiniciar");
			cr_expect_str_eq(json_object_get_string(get(first, "url")), "https://bot.example/webhook/manychat");
			cr_expect_str_eq(json_object_get_string(get(first, "payload.payload")), "reset_confirm");
			cr_expect_str_eq(json_object_get_string(get(first, "payload.id")), "sub-1");
			cr_expect_str_eq(json_object_get_string(get(second, "payload.text")), "Mujer");
		}
		json_object_put(doc);
		cal_reply_free(r);
	}
}

/* A voice note's result is still one bubble: the transcript heads the food-log message. */
Test(reply, voice_result_heads_the_bubble_with_its_transcript)
{
	struct json_object *an = analysis_of(
		"{\"transcript\":\"una manzana\",\"items\":[{\"name\":\"manzana\",\"quantity\":1,\"unit\":\"unit\","
		"\"grams\":182,\"kcal\":94.6,\"matched\":true}],\"total\":{\"kcal\":94.6,\"protein_g\":0.5,"
		"\"carbs_g\":25.1,\"fat_g\":0.3}}");
	cal_reply *r = cal_reply_new(&arena, "telegram", false);
	cal_day d = {.kcal = 94.6, .goal_kcal = 1800, .meals = 1};

	cr_assert_eq(cal_reply_food_log(r, CAL_LANG_ES, an, &d, 100), 1);
	struct json_object *doc = cal_reply_render(r);
	const char *text = json_object_get_string(get(doc, "message"));
	cr_expect_eq(strncmp(text, "🎤 Entendí: \"una manzana\"\nAnotado ✅\n• 1 manzana (182 g): 95 kcal", strlen("🎤 Entendí: \"una manzana\"\nAnotado ✅\n• 1 manzana (182 g): 95 kcal")), 0, "%s", text);
	json_object_put(doc);
	cal_reply_free(r);
	json_object_put(an);
}

/* A guess is asked in one bubble, for a voice note too: what was heard, what was understood (and assumed),
 * the question; the confirm and cancel buttons on that bubble. */
Test(reply, a_guess_is_one_bubble_with_its_buttons)
{
	struct json_object *an = analysis_of(
		"{\"transcript\":\"milaneza con pure\",\"items\":[{\"name\":\"milanesa\",\"quantity\":1,\"unit\":"
		"\"serving\",\"grams\":150,\"kcal\":400,\"matched\":true,\"assumed\":\"milaneza → milanesa\"},"
		"{\"name\":\"puré\",\"quantity\":1,\"unit\":\"serving\",\"grams\":210,\"kcal\":259,\"matched\":true}]}");
	cal_reply *r = cal_reply_new(&arena, "telegram", false);

	cr_assert_eq(cal_reply_food_confirm(r, CAL_LANG_ES, an, 659, "https://x.test/webhook/manychat", 42), 1);
	struct json_object *doc = cal_reply_render(r);
	cr_assert_eq(messages(doc), 1);
	cr_expect_str_eq(json_object_get_string(get(doc, "message")),
			 "🎤 Entendí: \"milaneza con pure\"\nmilanesa, puré (milaneza → milanesa)\nCalculo unas 659 kcal, "
			 "pero no estoy seguro. ¿Lo anoto? También podés describirlo con palabras.");
	struct json_object *buttons = json_object_object_get(
		json_object_array_get_idx(get(doc, "content.messages"), 0), "buttons");
	cr_assert_eq(json_object_array_length(buttons), 2);
	cr_expect_str_eq(json_object_get_string(get(json_object_array_get_idx(buttons, 0), "payload.payload")),
			 "confirm:42");
	cr_expect_str_eq(json_object_get_string(get(json_object_array_get_idx(buttons, 1), "payload.payload")),
			 "cancel:42");
	json_object_put(doc);
	cal_reply_free(r);
	json_object_put(an);
}
