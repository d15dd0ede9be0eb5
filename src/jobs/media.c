/*
 * The webhook's side of photos, voice notes and look-ups (media.h): enqueueing their jobs, the sealed media
 * URL, the media type checks, and reading JSON out of a model's free-form answer.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "caloria/apiclient.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/media.h"

#define SEAL_IV 12
#define SEAL_TAG 16
#define REF_MAX 200

static const char *const hint_names[] = {"auto", "photo", "voice"};

cal_err cal_media_enqueue(cal_ctx *ctx, cal_arena *a, long long user_id, const char *url, cal_media_hint hint,
			  const char *caption, const char *channel, long long *job_id)
{
	struct json_object *p = json_object_new_object();
	char *sealed = cal_media_seal(&ctx->conf, a, url);
	cal_job_new j = {.kind = "media", .user_id = user_id, .payload = p};
	cal_err err = CAL_ERR_INTERNAL;

	if (sealed == NULL)
		goto out;
	json_object_object_add(p, "hint", json_object_new_string(hint_names[hint]));
	json_object_object_add(p, "sealed", json_object_new_string(sealed));
	json_object_object_add(p, "ref", json_object_new_string(cal_media_ref(a, url)));
	if (caption != NULL)
		json_object_object_add(p, "caption", json_object_new_string(caption));
	if (channel != NULL)
		json_object_object_add(p, "channel", json_object_new_string(channel));
	err = cal_jobs_enqueue(ctx, &j, job_id);
out:
	json_object_put(p);
	return err;
}

bool cal_media_lookup_available(const cal_ctx *ctx)
{
	return cal_api_configured(ctx->api, CAL_API_GEMINI) || cal_api_configured(ctx->api, CAL_API_SPOONACULAR);
}

cal_err cal_media_lookup_enqueue(cal_ctx *ctx, long long user_id, long long food_log_id,
				 struct json_object *names, const char *channel)
{
	struct json_object *p = json_object_new_object();
	cal_job_new j = {.kind = "lookup", .user_id = user_id, .payload = p};
	cal_err err;

	json_object_object_add(p, "food_log_id", json_object_new_int64(food_log_id));
	json_object_object_add(p, "names", json_object_get(names));
	if (channel != NULL)
		json_object_object_add(p, "channel", json_object_new_string(channel));
	err = cal_jobs_enqueue(ctx, &j, NULL);
	json_object_put(p);
	return err;
}

/* ---- types ---- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The media type of the first bytes, for servers (Telegram among them) that say octet-stream. */
static cal_media_type sniff(const unsigned char *b, size_t n, const char **mime)
{
	if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return *mime = "image/jpeg", CAL_MEDIA_TYPE_IMAGE;
	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return *mime = "image/png", CAL_MEDIA_TYPE_IMAGE;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return *mime = "image/webp", CAL_MEDIA_TYPE_IMAGE;
	if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0 && (memcmp(b + 8, "heic", 4) == 0 || memcmp(b + 8, "heix", 4) == 0 ||
							 memcmp(b + 8, "mif1", 4) == 0))
		return *mime = "image/heic", CAL_MEDIA_TYPE_IMAGE;
	if (n >= 4 && memcmp(b, "OggS", 4) == 0)
		return *mime = "audio/ogg", CAL_MEDIA_TYPE_AUDIO;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0)
		return *mime = "audio/wav", CAL_MEDIA_TYPE_AUDIO;
	if ((n >= 3 && memcmp(b, "ID3", 3) == 0) || (n >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0))
		return *mime = "audio/mpeg", CAL_MEDIA_TYPE_AUDIO;
	if (n >= 8 && memcmp(b + 4, "ftyp", 4) == 0)
		return *mime = "audio/mp4", CAL_MEDIA_TYPE_AUDIO;
	return CAL_MEDIA_TYPE_NONE;
}

cal_media_type cal_media_classify(const char *ct, const void *bytes, size_t len, const char **mime)
{
	static const char *const images[] = {"image/jpeg", "image/jpg", "image/png", "image/webp", "image/heic",
					     "image/heif"};
	static const char *const audio[] = {"audio/ogg", "audio/opus", "audio/mpeg", "audio/mp3", "audio/mp4",
					    "audio/m4a", "audio/x-m4a", "audio/aac", "audio/wav", "audio/x-wav",
					    "audio/wave", "audio/webm", "audio/flac", "audio/amr", "video/ogg"};

	*mime = NULL;
	if (ct == NULL || ct[0] == '\0' || has_prefix(ct, "application/octet-stream") ||
	    has_prefix(ct, "binary/octet-stream"))
		return sniff(bytes, len, mime);
	for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
		if (has_prefix(ct, images[i]))
			return *mime = strcmp(images[i], "image/jpg") == 0 ? "image/jpeg" : images[i],
			       CAL_MEDIA_TYPE_IMAGE;
	for (size_t i = 0; i < sizeof audio / sizeof audio[0]; i++)
		if (has_prefix(ct, audio[i]))
			return *mime = strcmp(audio[i], "video/ogg") == 0 ? "audio/ogg" : audio[i], CAL_MEDIA_TYPE_AUDIO;
	return CAL_MEDIA_TYPE_NONE;
}

/* ---- the sealed URL ---- */

static bool seal_key(const cal_conf *conf, unsigned char key[32])
{
	static const char label[] = "caloria media url v1";
	const char *secret = conf->manychat_webhook_token;
	unsigned len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(c, label, sizeof label) == 1 &&
		  EVP_DigestUpdate(c, secret != NULL ? secret : "", secret != NULL ? strlen(secret) : 0) == 1 &&
		  EVP_DigestFinal_ex(c, key, &len) == 1 && len == 32;

	EVP_MD_CTX_free(c);
	return ok;
}

char *cal_media_seal(const cal_conf *conf, cal_arena *a, const char *url)
{
	unsigned char key[32], *buf = NULL;
	size_t n = strlen(url);
	int len = 0, fin = 0;
	char *out = NULL;
	EVP_CIPHER_CTX *c = NULL;

	if (n > 8192 || !seal_key(conf, key))
		goto done;
	buf = cal_arena_alloc(a, SEAL_IV + SEAL_TAG + n + 16);
	if (RAND_bytes(buf, SEAL_IV) != 1 || (c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) != 1 ||
	    EVP_EncryptUpdate(c, buf + SEAL_IV + SEAL_TAG, &len, (const unsigned char *)url, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, buf + SEAL_IV + SEAL_TAG + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, buf + SEAL_IV) != 1)
		goto done;
	out = cal_arena_alloc(a, 4 * ((SEAL_IV + SEAL_TAG + (size_t)len + fin + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, buf, SEAL_IV + SEAL_TAG + len + fin);
done:
	EVP_CIPHER_CTX_free(c);
	explicit_bzero(key, sizeof key);
	return out;
}

char *cal_media_unseal(const cal_conf *conf, cal_arena *a, const char *sealed)
{
	unsigned char key[32], *raw;
	size_t n = sealed != NULL ? strlen(sealed) : 0;
	int rawlen, len = 0, fin = 0, pad = 0;
	char *out = NULL;
	EVP_CIPHER_CTX *c = NULL;

	if (n < 8 || n % 4 != 0 || n > 16384 || !seal_key(conf, key))
		return NULL;
	raw = cal_arena_alloc(a, n);
	rawlen = EVP_DecodeBlock(raw, (const unsigned char *)sealed, (int)n);
	for (size_t i = n; i > 0 && sealed[i - 1] == '='; i--)
		pad++;
	rawlen -= pad;
	if (rawlen <= SEAL_IV + SEAL_TAG)
		goto done;
	out = cal_arena_alloc(a, (size_t)rawlen);
	if ((c = EVP_CIPHER_CTX_new()) == NULL || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
	    EVP_DecryptUpdate(c, (unsigned char *)out, &len, raw + SEAL_IV + SEAL_TAG, rawlen - SEAL_IV - SEAL_TAG) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, raw + SEAL_IV) != 1 ||
	    EVP_DecryptFinal_ex(c, (unsigned char *)out + len, &fin) != 1) {
		out = NULL;
		goto done;
	}
	out[len + fin] = '\0';
done:
	EVP_CIPHER_CTX_free(c);
	explicit_bzero(key, sizeof key);
	return out;
}

char *cal_media_ref(cal_arena *a, const char *url)
{
	char masked[REF_MAX + 1];

	cal_log_mask(url, masked, sizeof masked);
	return cal_arena_strdup(a, masked);
}

/* ---- JSON in a model's answer ---- */

static struct json_object *parse_exact(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o;

	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

struct json_object *cal_media_json_from_text(const char *text, size_t len)
{
	const char *start = memchr(text, '{', len), *end;
	struct json_object *o;
	cal_buf b;

	if (start == NULL || len > (1u << 20))
		return NULL;
	len -= (size_t)(start - text);
	/* The widest {...}: fences and prose around it fall away. */
	for (end = start + len; end > start && end[-1] != '}'; end--)
		;
	if (end > start && (o = parse_exact(start, (size_t)(end - start))) != NULL)
		return o;
	/* Cut short (MAX_TOKENS): close the items array after the last complete item. Only the last few
	 * closing braces are tried, so a huge answer full of them costs little. */
	cal_buf_init(&b);
	o = NULL;
	int tries = 0;
	for (const char *p = start + len; p > start && o == NULL && tries < 16; p--) {
		if (p[-1] != '}')
			continue;
		tries++;
		cal_buf_reset(&b);
		cal_buf_append(&b, start, (size_t)(p - start));
		cal_buf_puts(&b, "]}");
		o = parse_exact(b.data, b.len);
	}
	cal_buf_free(&b);
	return o;
}
