/*
 * Unit tests for the pure parts of src/jobs/: the job back-off, the sealed media URL, media type checks, JSON
 * read out of a model's answer, and the kind table. The queue and the runner are exercised end to end by
 * tests/e2e/test_jobs.py and test_media.py against a real database.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "caloria/conf.h"
#include "caloria/jobs.h"
#include "caloria/media.h"

Test(jobs, backoff_doubles_with_jitter_and_caps)
{
	for (unsigned long long r = 0; r < 1000; r += 7) {
		long d1 = cal_jobs_backoff_ms(2000, 1, r), d3 = cal_jobs_backoff_ms(2000, 3, r);
		cr_assert(d1 >= 1000 && d1 <= 2000, "first wait %ld", d1);
		cr_assert(d3 >= 4000 && d3 <= 8000, "third wait %ld", d3);
		long big = cal_jobs_backoff_ms(2000, 40, r);
		cr_assert(big >= CAL_JOBS_BACKOFF_MAX_MS / 2 && big <= CAL_JOBS_BACKOFF_MAX_MS, "capped %ld", big);
	}
	cr_assert_neq(cal_jobs_backoff_ms(2000, 2, 1), cal_jobs_backoff_ms(2000, 2, 1234), "jitter");
}

Test(jobs, every_kind_has_its_two_functions_and_a_unique_name)
{
	cr_assert(cal_job_kinds_count >= 3);
	for (int i = 0; i < cal_job_kinds_count; i++) {
		cr_assert_not_null(cal_job_kinds[i].next, "%s next", cal_job_kinds[i].name);
		cr_assert_not_null(cal_job_kinds[i].on_response, "%s on_response", cal_job_kinds[i].name);
		cr_assert(strlen(cal_job_kinds[i].name) <= 32);
		cr_assert_eq(cal_jobs_kind(cal_job_kinds[i].name), &cal_job_kinds[i]);
	}
	cr_assert_not_null(cal_jobs_kind("push"));
	cr_assert_not_null(cal_jobs_kind("media"));
	cr_assert_not_null(cal_jobs_kind("lookup"));
	cr_assert_null(cal_jobs_kind("nope"));
}

Test(media, sealed_url_opens_only_with_the_same_secret)
{
	cal_conf a = {0}, b = {0};
	cal_arena ar;
	const char *url = "https://api.telegram.org/file/bot123456:AAHfiqksKZ8WmR2zSjiQ7/voice/file_7.oga";
	char *s1, *s2, *open;

	cal_arena_init(&ar, 1024);
	a.manychat_webhook_token = "secret-one";
	b.manychat_webhook_token = "secret-two";
	s1 = cal_media_seal(&a, &ar, url);
	s2 = cal_media_seal(&a, &ar, url);
	cr_assert_not_null(s1);
	cr_assert_null(strstr(s1, "AAHfiqks"), "the token is not readable in the seal");
	cr_assert_str_neq(s1, s2, "a fresh nonce per seal");
	open = cal_media_unseal(&a, &ar, s1);
	cr_assert_str_eq(open, url);
	cr_assert_null(cal_media_unseal(&b, &ar, s1), "another secret cannot open it");
	s1[10] = s1[10] == 'A' ? 'B' : 'A';
	cr_assert_null(cal_media_unseal(&a, &ar, s1), "a changed seal does not open");
	cr_assert_null(cal_media_unseal(&a, &ar, "short"));
	cr_assert_null(cal_media_unseal(&a, &ar, NULL));
	cal_arena_free(&ar);
}

Test(media, reference_is_masked)
{
	cal_arena ar;

	cal_arena_init(&ar, 1024);
	const char *ref = cal_media_ref(&ar, "https://api.telegram.org/file/bot123456:AAHfiqksKZ8WmR2zSjiQ7/p/f.jpg");
	cr_assert_null(strstr(ref, "AAHfiqks"), "%s", ref);
	cal_arena_free(&ar);
}

Test(media, types_from_content_type_or_bytes)
{
	const char *mime;

	cr_assert_eq(cal_media_classify("image/jpeg", "", 0, &mime), CAL_MEDIA_TYPE_IMAGE);
	cr_assert_str_eq(mime, "image/jpeg");
	cr_assert_eq(cal_media_classify("audio/ogg; codecs=opus", "", 0, &mime), CAL_MEDIA_TYPE_AUDIO);
	cr_assert_eq(cal_media_classify("text/html", "\xFF\xD8\xFF", 3, &mime), CAL_MEDIA_TYPE_NONE,
		     "a declared type is believed");
	cr_assert_eq(cal_media_classify("application/octet-stream", "\xFF\xD8\xFF\xE0", 4, &mime), CAL_MEDIA_TYPE_IMAGE);
	cr_assert_eq(cal_media_classify("application/octet-stream", "OggS\0\0", 6, &mime), CAL_MEDIA_TYPE_AUDIO);
	cr_assert_str_eq(mime, "audio/ogg");
	cr_assert_eq(cal_media_classify(NULL, "\x89PNG\r\n\x1a\n", 8, &mime), CAL_MEDIA_TYPE_IMAGE);
	cr_assert_eq(cal_media_classify("application/octet-stream", "<html>", 6, &mime), CAL_MEDIA_TYPE_NONE);
	cr_assert_eq(cal_media_classify("application/pdf", "%PDF", 4, &mime), CAL_MEDIA_TYPE_NONE);
}

static int items_in(const char *text)
{
	struct json_object *o = cal_media_json_from_text(text, strlen(text)), *items;
	int n = -1;

	if (o != NULL && json_object_object_get_ex(o, "items", &items))
		n = (int)json_object_array_length(items);
	json_object_put(o);
	return n;
}

Test(media, json_out_of_model_answers)
{
	cr_assert_eq(items_in("{\"items\": [{\"name\": \"a\"}], \"confidence\": 0.9}"), 1);
	cr_assert_eq(items_in("Sure!\n```json\n{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}\n```\nEnjoy."), 2);
	cr_assert_eq(items_in("{\"items\": [{\"name\": \"a\", \"grams\": 1}, {\"name\": \"b\", \"gr"), 1,
		     "cut short: the complete item stays");
	cr_assert_eq(items_in("no json here"), -1);
	cr_assert_eq(items_in("{broken"), -1);
	cr_assert_eq(items_in(""), -1);
}
