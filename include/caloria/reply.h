/*
 * The ManyChat Dynamic Block v2 reply (SPEC §5.4): messages with optional buttons, the optional
 * set_field_value actions, quick replies for the channels that have them, the flat "message" text and the
 * "caloria" object that flows map fields from. The builder enforces ManyChat's limits itself (10 messages,
 * 3 buttons per message, 5 actions, 2000-byte texts cut at a UTF-8 boundary), so a caller can never produce
 * a block ManyChat would reject. Everything lives in the request's arena except the json-c objects, which
 * the builder owns until cal_reply_free().
 */
#ifndef CALORIA_REPLY_H
#define CALORIA_REPLY_H

#include <stdbool.h>

#include <json-c/json.h>

#include "caloria/conf.h"
#include "caloria/mem.h"
#include "caloria/users.h"

#define CAL_REPLY_MAX_MESSAGES 10
#define CAL_REPLY_MAX_BUTTONS 3
#define CAL_REPLY_MAX_ACTIONS 5
#define CAL_REPLY_TEXT_MAX 2000 /* bytes: stricter than ManyChat's characters */
#define CAL_REPLY_MAX_QUICK_REPLIES 11

typedef struct cal_reply cal_reply;

/*
 * A new reply for channel (the request's `channel`, else manychat.channel; NULL = "telegram"): "facebook"
 * omits content.type, "instagram" and "facebook" get quick_replies. field_actions: manychat.field_actions.
 */
cal_reply *cal_reply_new(cal_arena *a, const char *channel, bool field_actions);
/* Releases the json-c objects the reply holds (safe on NULL). */
void cal_reply_free(cal_reply *r);

/* Appends a text message (cut to CAL_REPLY_TEXT_MAX bytes). 0, or -1 when the reply already has 10. */
int cal_reply_text(cal_reply *r, const char *text);
/* Adds a URL button to the last message. 0, or -1 when there is no message or it already has 3. */
int cal_reply_button_url(cal_reply *r, const char *caption, const char *url);
/*
 * A dynamic_block_callback button on the last message: when tapped, ManyChat POSTs {"payload": payload} with
 * the subscriber's data to url (our webhook, so payload is e.g. "confirm:<id>", SPEC §5.3). 0, or -1 as above.
 */
int cal_reply_button_callback(cal_reply *r, const char *caption, const char *url, const char *payload);
/* Field actions (only kept when field actions are enabled). 0 kept, 1 ignored (disabled), -1 over 5. */
int cal_reply_field_num(cal_reply *r, const char *field, double value);
int cal_reply_field_bool(cal_reply *r, const char *field, bool value);
int cal_reply_field_text(cal_reply *r, const char *field, const char *value);

/* caloria.status (one of SPEC §5.4's values). */
void cal_reply_status(cal_reply *r, const char *status);
/* caloria.<key> = obj ("user", "quiz", "analysis", "day"); takes ownership of obj (NULL removes the key). */
void cal_reply_put(cal_reply *r, const char *key, struct json_object *obj);
/* A top-level "error" object (SPEC §4.1 envelope member); takes ownership. */
void cal_reply_error(cal_reply *r, struct json_object *error);

/* Number of messages so far. */
int cal_reply_count(const cal_reply *r);
/* The whole block as a new JSON object (caller puts it). The reply stays usable. */
struct json_object *cal_reply_render(const cal_reply *r);
/* Only the block's "content" object (what a ManyChat sendContent push carries), new (caller puts); NULL when
 * rendering failed. */
struct json_object *cal_reply_render_content(const cal_reply *r);

/*
 * Quick replies (SPEC §5.4: only instagram and facebook have them). Each is a ManyChat
 * dynamic_block_callback to callback_url (server.public_url + "/webhook/manychat") whose body carries the
 * subscriber id and the payload, so tapping it is the same as sending the payload. On other channels the
 * call does nothing and returns 1: the text must say what to type instead. 0 added, -1 over the limit.
 */
int cal_reply_quick_reply(cal_reply *r, const char *caption, const char *payload);
/* Same, but the tap sends `text` as if typed (quiz options: "Mujer", "moderado"). */
int cal_reply_quick_text(cal_reply *r, const char *caption, const char *text);
/* Where quick replies call back, and who they speak for (set once per reply; both strings are copied). */
void cal_reply_set_callback(cal_reply *r, const char *callback_url, const char *subscriber_id);
/* True when the reply's channel shows quick replies. */
bool cal_reply_has_quick_replies(const cal_reply *r);

/* ---- conversation texts built from data, shared by the chat and the pushed results ---------------- */

/*
 * The day against its goal in one line, in exactly one of four states so no reply can contradict itself:
 * more than 200 kcal left, 0–200 left ("muy cerca"), 1–200 over ("casi justo"), more than 200 over. NULL
 * when the day has no goal.
 */
const char *cal_reply_day_line(cal_arena *a, cal_lang lang, const cal_day *day);
/*
 * The one tip a day may carry: none before the day's second meal (a breakfast cannot reach a day's protein
 * or fiber), else the first nutrient advice of cal_foodlog_recommendations (never a kcal verdict: the day
 * line is that). NULL when there is none.
 */
const char *cal_reply_tip(cal_arena *a, cal_lang lang, const cal_day *day, int protein_target_g);
/* One item of an analysis (SPEC §5.4) in words (cal_i18n_item): with_amount adds its grams, or its ml. */
const char *cal_reply_item_words(cal_arena *a, cal_lang lang, struct json_object *item, bool with_amount);
/* The matched items of a log in words, comma-separated: "2 huevos revueltos, 1 tostada" (no grams). */
const char *cal_reply_items_text(cal_arena *a, cal_lang lang, struct json_object *items);
/*
 * The message after a meal is logged (SPEC §8), from an analysis (caloria.analysis: items and total) and
 * the day after the meal: one bubble (headed by the transcript when the analysis has one) with a line per item ("• 2 huevos revueltos (122 g): 182 kcal"), the
 * meal's kcal and macros and the day line, then at most one tip (from the day's second meal on, the first
 * nutrient advice of cal_foodlog_recommendations). Returns the number of messages added.
 */
int cal_reply_food_log(cal_reply *r, cal_lang lang, struct json_object *analysis, const cal_day *day,
		       int protein_target_g);

/*
 * The message when an analysis is only a guess (confidence < 0.5, SPEC §7.1), for text, photos and voice
 * alike: one bubble (what was heard, for a voice note; the items understood and what was assumed; the
 * estimate and the question) with confirm:<id> and cancel:<id> buttons calling webhook_url back. Returns
 * the number of messages added (1).
 */
int cal_reply_food_confirm(cal_reply *r, cal_lang lang, struct json_object *analysis, double kcal,
			   const char *webhook_url, long long analysis_id);

/* Cuts s to at most max bytes at a UTF-8 character boundary, ending in "…" when cut (into the arena). */
char *cal_reply_cut(cal_arena *a, const char *s, size_t max);

#endif
