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

#define CAL_REPLY_MAX_MESSAGES 10
#define CAL_REPLY_MAX_BUTTONS 3
#define CAL_REPLY_MAX_ACTIONS 5
#define CAL_REPLY_TEXT_MAX 2000 /* bytes: stricter than ManyChat's characters */

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

/* Cuts s to at most max bytes at a UTF-8 character boundary, ending in "…" when cut (into the arena). */
char *cal_reply_cut(cal_arena *a, const char *s, size_t max);

#endif
