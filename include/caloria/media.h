/*
 * Photos, voice notes and provider look-ups of text as background jobs (SPEC §7.2, §7.3, §7.4, §7.5): what
 * the webhook calls to hand a message to the job runner, and the helpers the job kinds share (media checks,
 * the sealed media URL, provider items matched against the food tables, the pushed result).
 *
 * A media URL may be a Telegram file URL, which holds the bot token: it is never logged unmasked and never
 * stored in clear. The job payload carries it sealed (AES-256-GCM under a key derived from
 * manychat.webhook_token) and the sealed copy is removed when the job ends; food logs and analyses keep only
 * a masked reference. The downloaded bytes live in memory for the job's attempt and are never stored; image
 * analyses are cached by the SHA-256 of the bytes.
 */
#ifndef CALORIA_MEDIA_H
#define CALORIA_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/mem.h"

typedef enum cal_media_hint {
	CAL_MEDIA_AUTO = 0, /* media_url, file_url, a text that is a URL: the downloaded Content-Type decides */
	CAL_MEDIA_PHOTO,    /* image_url, url */
	CAL_MEDIA_VOICE     /* attachment_url, audio_url */
} cal_media_hint;

/*
 * Enqueues the analysis of the media at url for user_id (in ctx->db's open transaction): kind "media",
 * caption (may be NULL) stored with the result, channel the reply channel of the message. *job_id may be NULL.
 */
cal_err cal_media_enqueue(cal_ctx *ctx, cal_arena *a, long long user_id, const char *url, cal_media_hint hint,
			  const char *caption, const char *channel, long long *job_id);

/*
 * Enqueues the provider look-up of the unmatched items (a JSON array of their names, not consumed) of the
 * text meal logged as food_log_id, in ctx->db's open transaction. True when a provider that can look food
 * up is configured at all (Gemini or Spoonacular).
 */
bool cal_media_lookup_available(const cal_ctx *ctx);
cal_err cal_media_lookup_enqueue(cal_ctx *ctx, long long user_id, long long food_log_id,
				 struct json_object *names, const char *channel);

/* What a downloaded body is, from its Content-Type or, for application/octet-stream, its first bytes. */
typedef enum cal_media_type { CAL_MEDIA_TYPE_NONE = 0, CAL_MEDIA_TYPE_IMAGE, CAL_MEDIA_TYPE_AUDIO } cal_media_type;
cal_media_type cal_media_classify(const char *content_type, const void *bytes, size_t len, const char **mime);

/* The URL sealed for the job payload / opened again (NULL when the seal does not open). In a. */
char *cal_media_seal(const cal_conf *conf, cal_arena *a, const char *url);
char *cal_media_unseal(const cal_conf *conf, cal_arena *a, const char *sealed);

/* A reference to the media without secrets for logs and rows: the masked URL, at most 200 bytes. */
char *cal_media_ref(cal_arena *a, const char *url);

/*
 * A model's answer as JSON: tolerates code fences, text around the object, and an answer cut short by the
 * token limit (the items that are complete are kept). NULL when nothing usable is in it.
 */
struct json_object *cal_media_json_from_text(const char *text, size_t len);

#endif
