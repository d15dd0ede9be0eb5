/*
 * The media kind (SPEC §7.3, §7.4): downloads the photo or voice note (http/https only, the SSRF rule,
 * bounded redirects each re-checked, media.max_*_bytes, allowed Content-Types), then asks the configured
 * providers in order until one answers usefully:
 *
 *   photo  food.image_providers: Gemini generateContent with the image inline and a prompt for strict JSON
 *          items with grams (the caption as context), Spoonacular food/images/analyze (multipart file);
 *          answers are cached by the SHA-256 of the bytes (and the caption);
 *   voice  food.audio_providers: Google Speech-to-Text v1 (OGG_OPUS 48 kHz for Telegram voice notes, es-AR or
 *          en-US by the user's language), or Gemini with the audio inline; the transcript goes through the
 *          text parser.
 *
 * A provider that answers nonsense (garbage, a safety block, no JSON) is skipped for the next one; when every
 * provider failed and one of them failed for a passing reason (timeouts, 5xx, 429, an open breaker) the whole
 * job is retried later, otherwise it fails and the user is told. The result is logged by meal.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "caloria/foodtext.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/media.h"

#include "jobs_internal.h"

#define MAX_PROVIDERS 4
#define GEMINI_MAX_TOKENS 2048

enum phase { PH_DOWNLOAD = 0, PH_PROVIDERS, PH_DONE };

typedef struct mstate {
	enum phase phase;
	cal_media_type type;
	const char *bytes;            /* the media, in the job arena only */
	size_t len;
	const char *mime;
	char sha[65];
	cal_api_provider prov[MAX_PROVIDERS];
	int nprov, at;                /* providers to try, the one being asked */
	bool transient;               /* a provider failed for a reason that may pass */
	int lang;
	const char *caption;
	const char *result;           /* the analysis document (JSON text) once a provider answered */
	const char *transcript;
	const char *provider;         /* who answered */
} mstate;

static const char *pstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static char *b64(cal_arena *a, const void *p, size_t n)
{
	char *out = cal_arena_alloc(a, 4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The configured list (food.image_providers / audio_providers) without providers lacking a key. */
static void providers(cal_ctx *ctx, cal_arena *a, const char *list, mstate *st)
{
	char *copy = cal_arena_strdup(a, list != NULL ? list : ""), *save = NULL;

	st->nprov = 0;
	for (char *t = strtok_r(copy, ", ", &save); t != NULL && st->nprov < MAX_PROVIDERS; t = strtok_r(NULL, ", ", &save)) {
		cal_api_provider p = cal_api_provider_from_name(t);
		if (p != CAL_API__MAX && cal_api_configured(ctx->api, p))
			st->prov[st->nprov++] = p;
	}
}

/* ---- requests ---- */

static const char *photo_prompt(cal_arena *a, const char *caption)
{
	static const char base[] =
		"You are a nutrition assistant. Identify every food and drink in this photo and estimate the amount "
		"in grams that is on the plate. Answer only with JSON, no prose: {\"items\": [{\"name\": \"short common "
		"food name in English\", \"grams\": number, \"kcal\": number, \"protein_g\": number, \"carbs_g\": number, "
		"\"fat_g\": number}], \"confidence\": number from 0 to 1}. If there is no food, answer "
		"{\"items\": [], \"confidence\": 0}.";

	if (caption == NULL)
		return base;
	return cal_arena_printf(a, "%s The user wrote this about the photo; take it into account (portions eaten, "
				   "ingredients, preparation): \"%s\"", base, caption);
}

static void gemini_request(cal_ctx *ctx, cal_job *job, mstate *st, cal_api_req *req, bool audio)
{
	struct json_object *body = json_object_new_object(), *contents = json_object_new_array(),
			   *content = json_object_new_object(), *parts = json_object_new_array(),
			   *text = json_object_new_object(), *media = json_object_new_object(),
			   *inline_data = json_object_new_object(), *gen = json_object_new_object();
	const char *prompt = audio ? "Transcribe this voice note word for word, in the language it is spoken "
				     "(Spanish or English). Answer with the transcript only."
				   : photo_prompt(job->arena, st->caption);

	json_object_object_add(text, "text", json_object_new_string(prompt));
	json_object_object_add(inline_data, "mime_type", json_object_new_string(st->mime));
	json_object_object_add(inline_data, "data", json_object_new_string(b64(job->arena, st->bytes, st->len)));
	json_object_object_add(media, "inline_data", inline_data);
	json_object_array_add(parts, text);
	json_object_array_add(parts, media);
	json_object_object_add(content, "role", json_object_new_string("user"));
	json_object_object_add(content, "parts", parts);
	json_object_array_add(contents, content);
	json_object_object_add(body, "contents", contents);
	json_object_object_add(gen, "temperature", json_object_new_double(0.2));
	json_object_object_add(gen, "maxOutputTokens", json_object_new_int(GEMINI_MAX_TOKENS));
	if (!audio)
		json_object_object_add(gen, "responseMimeType", json_object_new_string("application/json"));
	json_object_object_add(body, "generationConfig", gen);
	req->provider = CAL_API_GEMINI;
	req->method = "POST";
	req->path = cal_arena_printf(job->arena, "/v1beta/models/%s:generateContent", ctx->conf.gemini_model);
	req->idempotent = true; /* an analysis: asking twice changes nothing */
	cal_jobs_json_body(job, req, body);
}

static void spoonacular_request(cal_job *job, mstate *st, cal_api_req *req)
{
	char boundary[48];
	cal_buf b;

	snprintf(boundary, sizeof boundary, "caloria-%.24s", st->sha);
	cal_buf_init(&b);
	cal_buf_printf(&b, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo\"\r\n"
			   "Content-Type: %s\r\n\r\n", boundary, st->mime);
	cal_buf_append(&b, st->bytes, st->len);
	cal_buf_printf(&b, "\r\n--%s--\r\n", boundary);
	req->provider = CAL_API_SPOONACULAR;
	req->method = "POST";
	req->path = "/food/images/analyze";
	req->idempotent = true;
	req->body_len = b.len;
	req->body = cal_arena_alloc(job->arena, b.len);
	memcpy((char *)req->body, b.data, b.len);
	req->body_type = cal_arena_printf(job->arena, "multipart/form-data; boundary=%s", boundary);
	cal_buf_free(&b);
}

/* Speech-to-Text v1 takes OGG_OPUS, LINEAR16 (WAV) and FLAC; other formats go to the next provider. */
static bool speech_request(cal_job *job, mstate *st, cal_api_req *req)
{
	struct json_object *body = json_object_new_object(), *config = json_object_new_object(),
			   *audio = json_object_new_object();

	if (strcmp(st->mime, "audio/ogg") == 0 || strcmp(st->mime, "audio/opus") == 0) {
		/* Telegram voice notes are Opus in Ogg at 48 kHz. */
		json_object_object_add(config, "encoding", json_object_new_string("OGG_OPUS"));
		json_object_object_add(config, "sampleRateHertz", json_object_new_int(48000));
	} else if (strstr(st->mime, "wav") != NULL) {
		json_object_object_add(config, "encoding", json_object_new_string("LINEAR16"));
	} else if (strcmp(st->mime, "audio/flac") == 0) {
		json_object_object_add(config, "encoding", json_object_new_string("FLAC"));
	} else {
		json_object_put(body);
		json_object_put(config);
		json_object_put(audio);
		return false;
	}
	json_object_object_add(config, "languageCode", json_object_new_string(st->lang == CAL_LANG_EN ? "en-US" : "es-AR"));
	json_object_object_add(config, "enableAutomaticPunctuation", json_object_new_boolean(true));
	json_object_object_add(audio, "content", json_object_new_string(b64(job->arena, st->bytes, st->len)));
	json_object_object_add(body, "config", config);
	json_object_object_add(body, "audio", audio);
	req->provider = CAL_API_GOOGLE_SPEECH;
	req->method = "POST";
	req->path = "/v1/speech:recognize";
	req->idempotent = true;
	cal_jobs_json_body(job, req, body);
	return true;
}

/* ---- answers ---- */

typedef enum verdict { V_OK = 0, V_USELESS, V_TRANSIENT } verdict;

/* The model's text (thought parts skipped); V_USELESS for a blocked or empty answer. */
static verdict gemini_text(cal_arena *a, struct json_object *resp, const char **out, bool *cut)
{
	struct json_object *cands, *cand, *content, *parts, *fb;
	const char *finish;
	cal_buf b;

	*out = NULL;
	*cut = false;
	if (json_object_object_get_ex(resp, "promptFeedback", &fb) && pstr(fb, "blockReason") != NULL)
		return V_USELESS;
	if (!json_object_object_get_ex(resp, "candidates", &cands) || !json_object_is_type(cands, json_type_array) ||
	    json_object_array_length(cands) == 0)
		return V_USELESS;
	cand = json_object_array_get_idx(cands, 0);
	finish = pstr(cand, "finishReason");
	if (finish != NULL && strcmp(finish, "STOP") != 0 && strcmp(finish, "MAX_TOKENS") != 0)
		return V_USELESS; /* SAFETY, RECITATION, PROHIBITED_CONTENT, … */
	*cut = finish != NULL && strcmp(finish, "MAX_TOKENS") == 0;
	if (!json_object_object_get_ex(cand, "content", &content) || !json_object_object_get_ex(content, "parts", &parts) ||
	    !json_object_is_type(parts, json_type_array))
		return V_USELESS;
	cal_buf_init(&b);
	for (size_t i = 0; i < json_object_array_length(parts); i++) {
		struct json_object *part = json_object_array_get_idx(parts, i), *thought;
		const char *t = pstr(part, "text");
		if (t == NULL || (json_object_object_get_ex(part, "thought", &thought) && json_object_get_boolean(thought)))
			continue;
		cal_buf_puts(&b, t);
	}
	if (b.len > 0)
		*out = cal_arena_strndup(a, b.data, b.len);
	cal_buf_free(&b);
	return *out != NULL ? V_OK : V_USELESS;
}

static double conf_of(struct json_object *o, double def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "confidence", &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return def;
	double c = json_object_get_double(v);
	return c >= 0 && c <= 1 ? c : def;
}

static verdict photo_gemini(cal_ctx *ctx, cal_job *job, mstate *st, struct json_object *resp)
{
	const char *text;
	bool cut;
	struct json_object *doc, *items, *meal;

	if (gemini_text(job->arena, resp, &text, &cut) != V_OK)
		return V_USELESS;
	doc = cal_media_json_from_text(text, strlen(text));
	if (doc == NULL || !json_object_object_get_ex(doc, "items", &items) || !json_object_is_type(items, json_type_array)) {
		json_object_put(doc);
		return V_USELESS;
	}
	/* A reply cut short by the token limit is less certain than a whole one. */
	meal = cal_jobs_meal_doc(ctx, job->arena, items, "image", "gemini", conf_of(doc, 0.7) * (cut ? 0.8 : 1.0));
	st->result = cal_arena_strdup(job->arena, json_object_to_json_string_ext(meal, JSON_C_TO_STRING_PLAIN));
	json_object_put(meal);
	json_object_put(doc);
	return V_OK;
}

static verdict photo_spoonacular(cal_ctx *ctx, cal_job *job, mstate *st, struct json_object *resp)
{
	struct json_object *cat, *nut, *items, *item, *v;
	const char *name;
	double prob;

	if (!json_object_object_get_ex(resp, "category", &cat) || (name = pstr(cat, "name")) == NULL)
		return V_USELESS;
	prob = json_object_object_get_ex(cat, "probability", &v) ? json_object_get_double(v) : 0.5;
	item = json_object_new_object();
	json_object_object_add(item, "name", json_object_new_string(name));
	if (json_object_object_get_ex(resp, "nutrition", &nut)) {
		static const char *const keys[][2] = {{"calories", "kcal"}, {"protein", "protein_g"},
						      {"carbs", "carbs_g"}, {"fat", "fat_g"}};
		for (size_t i = 0; i < 4; i++) {
			struct json_object *n, *val;
			if (json_object_object_get_ex(nut, keys[i][0], &n) && json_object_object_get_ex(n, "value", &val))
				json_object_object_add(item, keys[i][1], json_object_new_double(json_object_get_double(val)));
		}
	}
	items = json_object_new_array();
	json_object_array_add(items, item);
	struct json_object *meal = cal_jobs_meal_doc(ctx, job->arena, items, "image", "spoonacular", prob);
	st->result = cal_arena_strdup(job->arena, json_object_to_json_string_ext(meal, JSON_C_TO_STRING_PLAIN));
	json_object_put(meal);
	json_object_put(items);
	return V_OK;
}

/* The transcript through the text parser (SPEC §7.4). */
static verdict transcript_meal(cal_ctx *ctx, cal_job *job, mstate *st, const char *transcript, const char *prov)
{
	const cal_fooddb *fdb = cal_ctx_food(ctx);
	struct json_object *doc, *analysis, *out;
	char *t;
	size_t n;

	if (transcript == NULL)
		return V_USELESS;
	while (*transcript == ' ' || *transcript == '\n' || *transcript == '"')
		transcript++;
	t = cal_arena_strdup(job->arena, transcript);
	for (n = strlen(t); n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\n' || t[n - 1] == '"'); n--)
		t[n - 1] = '\0';
	if (t[0] == '\0' || fdb == NULL)
		return V_USELESS;
	if (strlen(t) > 1000)
		t[1000] = '\0';
	st->transcript = t;
	doc = cal_foodtext_analyze(ctx, job->arena, fdb, t);
	if (doc == NULL || !json_object_object_get_ex(doc, "analysis", &analysis)) {
		json_object_put(doc);
		return V_USELESS;
	}
	out = json_object_get(analysis);
	json_object_object_add(out, "source", json_object_new_string("audio"));
	json_object_object_add(out, "provider", json_object_new_string(prov));
	json_object_object_add(out, "sodium_mg", json_object_get(json_object_object_get(doc, "sodium_mg")));
	json_object_object_add(out, "matched", json_object_get(json_object_object_get(doc, "matched")));
	st->result = cal_arena_strdup(job->arena, json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	json_object_put(doc);
	return V_OK;
}

static verdict voice_speech(cal_ctx *ctx, cal_job *job, mstate *st, struct json_object *resp)
{
	struct json_object *results, *alts;
	cal_buf b;
	verdict v;

	if (!json_object_object_get_ex(resp, "results", &results) || !json_object_is_type(results, json_type_array))
		return V_USELESS; /* no speech recognised: Google answers {} */
	cal_buf_init(&b);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		struct json_object *r = json_object_array_get_idx(results, i);
		const char *t;
		if (!json_object_object_get_ex(r, "alternatives", &alts) || !json_object_is_type(alts, json_type_array) ||
		    json_object_array_length(alts) == 0 ||
		    (t = pstr(json_object_array_get_idx(alts, 0), "transcript")) == NULL)
			continue;
		cal_buf_printf(&b, "%s%s", b.len > 0 ? " " : "", t);
	}
	v = transcript_meal(ctx, job, st, b.len > 0 ? b.data : NULL, "google_speech");
	cal_buf_free(&b);
	return v;
}

static verdict voice_gemini(cal_ctx *ctx, cal_job *job, mstate *st, struct json_object *resp)
{
	const char *text;
	bool cut;

	if (gemini_text(job->arena, resp, &text, &cut) != V_OK)
		return V_USELESS;
	return transcript_meal(ctx, job, st, text, "gemini");
}

/* ---- the kind ---- */

static mstate *state_of(cal_ctx *ctx, cal_job *job)
{
	mstate *st = job->state;
	cal_job_user u;

	if (st != NULL)
		return st;
	st = cal_arena_alloc(job->arena, sizeof *st);
	st->caption = pstr(job->payload, "caption");
	st->lang = CAL_LANG_ES;
	if (cal_jobs_user(ctx, job->arena, job->user_id, &u) == CAL_OK)
		st->lang = u.lang;
	job->state = st;
	return st;
}

static bool ask_provider(cal_ctx *ctx, cal_job *job, mstate *st, cal_api_req *req)
{
	while (st->at < st->nprov) {
		cal_api_provider p = st->prov[st->at];
		if (st->type == CAL_MEDIA_TYPE_IMAGE) {
			if (p == CAL_API_GEMINI)
				gemini_request(ctx, job, st, req, false);
			else
				spoonacular_request(job, st, req);
			/* The same photo (and caption) is answered from the shared cache for 2 h (SPEC §12). */
			req->cache_ttl_s = CAL_API_CACHE_TTL_S;
			req->cache_key = cal_arena_printf(job->arena, "img:%s:%s", st->sha,
							  st->caption != NULL ? st->caption : "");
			if (strlen(req->cache_key) > 200)
				req->cache_key = cal_arena_printf(job->arena, "img:%s:%zu", st->sha, strlen(st->caption));
			return true;
		}
		if (p == CAL_API_GEMINI) {
			gemini_request(ctx, job, st, req, true);
			return true;
		}
		if (p == CAL_API_GOOGLE_SPEECH && speech_request(job, st, req))
			return true;
		st->at++;
	}
	return false;
}

cal_job_step cal_job_media_next(cal_ctx *ctx, cal_job *job, cal_api_req *req)
{
	mstate *st = state_of(ctx, job);
	const char *url;

	switch (st->phase) {
	case PH_DOWNLOAD:
		url = cal_media_unseal(&ctx->conf, job->arena, pstr(job->payload, "sealed"));
		if (url == NULL) {
			job->error = "media URL cannot be opened";
			return CAL_JOB_FAIL;
		}
		req->provider = CAL_API_TELEGRAM;
		req->path = url;
		req->raw = true;
		req->max_bytes = (size_t)(ctx->conf.media_max_audio_bytes > ctx->conf.media_max_image_bytes
						  ? ctx->conf.media_max_audio_bytes
						  : ctx->conf.media_max_image_bytes);
		return CAL_JOB_CALL;
	case PH_PROVIDERS:
		if (ask_provider(ctx, job, st, req))
			return CAL_JOB_CALL;
		job->error = st->transient ? "providers unavailable" : "no provider could analyse it";
		return st->transient ? CAL_JOB_RETRY : CAL_JOB_FAIL;
	default:
		return CAL_JOB_DONE;
	}
}

static cal_job_step downloaded(cal_ctx *ctx, cal_job *job, mstate *st, cal_err e, const cal_api_resp *resp)
{
	const char *hint = pstr(job->payload, "hint");
	long max;

	if (e == CAL_ERR_FORBIDDEN) {
		job->error = "media host is private (SSRF rule)";
		return CAL_JOB_FAIL;
	}
	if (e != CAL_OK) {
		bool passing = resp->status == 0 || resp->status >= 500 || resp->status == 429 || e == CAL_ERR_UNAVAILABLE;
		job->error = passing ? "media download failed" : "media download refused";
		/* A body over the cap also ends here (status 200): retrying cannot make it smaller. */
		if (resp->status == 200)
			job->error = "media too large";
		return passing && resp->status != 200 ? CAL_JOB_RETRY : CAL_JOB_FAIL;
	}
	st->type = cal_media_classify(resp->content_type, resp->body, resp->len, &st->mime);
	if (st->type == CAL_MEDIA_TYPE_NONE) {
		job->error = "unsupported media type";
		return CAL_JOB_FAIL;
	}
	max = st->type == CAL_MEDIA_TYPE_IMAGE ? ctx->conf.media_max_image_bytes : ctx->conf.media_max_audio_bytes;
	if ((long)resp->len > max || resp->len == 0) {
		job->error = resp->len == 0 ? "empty media" : "media too large";
		return CAL_JOB_FAIL;
	}
	(void)hint; /* the Content-Type decides; the field it came in is only a hint */
	st->bytes = resp->body;
	st->len = resp->len;
	sha256_hex(st->bytes, st->len, st->sha);
	providers(ctx, job->arena,
		  st->type == CAL_MEDIA_TYPE_IMAGE ? ctx->conf.food_image_providers : ctx->conf.food_audio_providers, st);
	st->phase = PH_PROVIDERS;
	st->at = 0;
	return CAL_JOB_CALL;
}

cal_job_step cal_job_media_on_response(cal_ctx *ctx, cal_job *job, cal_err e, const cal_api_resp *resp)
{
	mstate *st = state_of(ctx, job);
	verdict v = V_USELESS;
	cal_api_provider p;

	if (st->phase == PH_DOWNLOAD)
		return downloaded(ctx, job, st, e, resp);
	p = st->prov[st->at];
	if (e != CAL_OK) {
		v = (e == CAL_ERR_UNAVAILABLE || resp->status == 0 || resp->status >= 500 || resp->status == 429)
			    ? V_TRANSIENT
			    : V_USELESS;
	} else if (resp->json == NULL) {
		v = V_USELESS; /* a 2xx whose body is not JSON at all */
	} else if (st->type == CAL_MEDIA_TYPE_IMAGE) {
		v = p == CAL_API_GEMINI ? photo_gemini(ctx, job, st, resp->json) : photo_spoonacular(ctx, job, st, resp->json);
	} else {
		v = p == CAL_API_GEMINI ? voice_gemini(ctx, job, st, resp->json) : voice_speech(ctx, job, st, resp->json);
	}
	if (v == V_OK) {
		st->provider = cal_api_provider_name(p);
		st->phase = PH_DONE;
		return CAL_JOB_DONE;
	}
	if (v == V_TRANSIENT) {
		st->transient = true;
		if (resp->status == 429 && job->retry_after_s < 5)
			job->retry_after_s = 5;
	}
	cal_warn("app", "job %lld: %s gave no usable answer (HTTP %ld)", job->id, cal_api_provider_name(p), resp->status);
	st->at++;
	return CAL_JOB_CALL;
}

cal_err cal_job_media_commit(cal_ctx *ctx, cal_job *job)
{
	mstate *st = job->state;
	struct json_object *doc;
	cal_jobs_meal_in in;
	cal_err err;

	if (st == NULL || st->result == NULL)
		return CAL_ERR_INTERNAL;
	doc = json_tokener_parse(st->result);
	if (doc == NULL)
		return CAL_ERR_INTERNAL;
	memset(&in, 0, sizeof in);
	in.doc = doc;
	in.source = st->type == CAL_MEDIA_TYPE_IMAGE ? "image" : "audio";
	in.raw_input = pstr(job->payload, "ref");
	in.caption = st->caption;
	in.transcript = st->transcript;
	in.media_sha256 = st->type == CAL_MEDIA_TYPE_IMAGE ? st->sha : NULL;
	in.channel = pstr(job->payload, "channel");
	err = cal_jobs_meal_commit(ctx, job, &in);
	json_object_put(doc);
	return err;
}
