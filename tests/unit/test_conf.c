/*
 * Unit tests for src/conf.c: defaults, every value type, bounds, line-numbered errors from the fixtures in
 * tests/unit/conf/, environment overrides, secrets never printed, UTC offsets, and that
 * caloria.conf.sample documents every key and loads cleanly.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caloria/conf.h"

static const char *srcdir(void)
{
	const char *s = getenv("srcdir");
	return s && *s ? s : ".";
}

static char *fixture(const char *name)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/tests/unit/conf/%s", srcdir(), name);
	return path;
}

/* Renders issues as text, one per line, for substring checks. */
static char *issues_text(const cal_conf_issues *issues)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cal_conf_issues_print(issues, f);
	fclose(f);
	return buf;
}

static char *print_text(const cal_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cal_conf_print(c, f);
	fclose(f);
	return buf;
}

static cal_err load_str(cal_conf *c, cal_conf_issues *is, const char *text, char **env)
{
	return cal_conf_load_string(c, text, "test.conf", env, is);
}

Test(conf, defaults_match_the_spec)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(load_str(&c, &is, "", NULL), CAL_OK);
	cr_assert_eq(is.count, 0);
	cr_assert_str_eq(c.server_public_url, "http://127.0.0.1:8080");
	cr_assert_eq(c.server_max_body_bytes, 1048576);
	cr_assert_eq(c.server_max_requests, 10000);
	cr_assert_str_eq(c.server_trusted_proxies, "127.0.0.1,::1");
	cr_assert_str_eq(c.database_host, "localhost");
	cr_assert_eq(c.database_port, 3306);
	cr_assert_str_eq(c.database_socket, "");
	cr_assert_str_eq(c.database_user, "caloria");
	cr_assert_str_eq(c.database_password, "");
	cr_assert_str_eq(c.database_name, "caloria");
	cr_assert_eq(c.database_connect_timeout_ms, 2000);
	cr_assert_eq(c.database_query_timeout_ms, 5000);
	cr_assert_str_eq(c.app_default_language, "es");
	cr_assert_str_eq(c.app_default_timezone, "-03:00");
	cr_assert_eq(c.app_default_utc_offset_min, -180);
	cr_assert_str_eq(c.manychat_api_base, "https://api.manychat.com");
	cr_assert_str_eq(c.manychat_api_token, "");
	cr_assert_str_eq(c.manychat_webhook_token, "");
	cr_assert_str_eq(c.manychat_channel, "telegram");
	cr_assert_eq(c.manychat_field_actions, false);
	cr_assert_eq(c.manychat_reply_budget_ms, 8000);
	cr_assert_str_eq(c.mercadopago_api_base, "https://api.mercadopago.com");
	cr_assert_str_eq(c.mercadopago_access_token, "");
	cr_assert_str_eq(c.mercadopago_webhook_secret, "");
	cr_assert_str_eq(c.mercadopago_plan_id, "");
	cr_assert_eq(c.mercadopago_signature_tolerance_s, 300);
	cr_assert_str_eq(c.subscription_price, "4999.00");
	cr_assert_str_eq(c.subscription_currency, "ARS");
	cr_assert_eq(c.subscription_trial_days, 1);
	cr_assert_eq(c.subscription_free_daily_analyses, 3);
	cr_assert_str_eq(c.spoonacular_api_base, "https://api.spoonacular.com");
	cr_assert_str_eq(c.spoonacular_api_key, "");
	cr_assert_str_eq(c.gemini_api_base, "https://generativelanguage.googleapis.com");
	cr_assert_str_eq(c.gemini_model, "gemini-2.5-flash");
	cr_assert_str_eq(c.google_speech_api_base, "https://speech.googleapis.com");
	cr_assert_str_eq(c.google_vision_api_base, "https://vision.googleapis.com");
	cr_assert_str_eq(c.food_image_providers, "gemini,spoonacular");
	cr_assert_str_eq(c.food_audio_providers, "google_speech,gemini");
	cr_assert_str_eq(c.food_data_dir, CAL_DATADIR "/data");
	cr_assert_eq(c.media_max_image_bytes, 10485760);
	cr_assert_eq(c.media_max_audio_bytes, 20971520);
	cr_assert_eq(c.media_allow_private_hosts, false);
	cr_assert_eq(c.http_client_connect_timeout_ms, 3000);
	cr_assert_eq(c.http_client_timeout_ms, 10000);
	cr_assert_eq(c.http_client_retries, 2);
	cr_assert_eq(c.ratelimit_webhook_per_min, 100);
	cr_assert_eq(c.ratelimit_api_per_min, 1000);
	cr_assert_eq(c.ratelimit_admin_per_min, 500);
	cr_assert_str_eq(c.admin_session_secret, "");
	cr_assert_eq(c.admin_session_ttl_s, 43200);
	cr_assert_str_eq(c.paths_run_dir, CAL_LOCALSTATEDIR "/run/caloria");
	cr_assert_str_eq(c.paths_schema_dir, CAL_DATADIR "/schema");
	cr_assert_str_eq(c.cache_path, CAL_LOCALSTATEDIR "/run/caloria/caloria.cache");
	cr_assert_eq(c.cache_size_mb, 64);
	cr_assert_eq(c.cache_warm_top, 200);
	cr_assert_str_eq(c.log_level, "info");
	cr_assert_str_eq(c.log_file, "");
	cr_assert_str_eq(cal_conf_missing_required(&c), "manychat.webhook_token");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, good_file_every_type)
{
	cal_conf c;
	cal_conf_issues is;
	cal_err rc = cal_conf_load(&c, fixture("good.conf"), &is, NULL);
	char *t = issues_text(&is);
	cr_assert_eq(rc, CAL_OK, "%s", t);
	free(t);
	cr_assert_str_eq(c.server_public_url, "https://caloria.example.com", "URL stored without trailing slash");
	cr_assert_eq(c.server_max_body_bytes, 2048);
	cr_assert_str_eq(c.server_trusted_proxies, "10.0.0.1,::1,192.168.1.2", "list normalised");
	cr_assert_str_eq(c.database_password, "p#ss w0rd", "quotes removed, # kept inside a value");
	cr_assert_eq(c.database_port, 3307);
	cr_assert_str_eq(c.app_default_language, "en");
	cr_assert_eq(c.app_default_utc_offset_min, 330);
	cr_assert_str_eq(c.manychat_webhook_token, "hook-secret");
	cr_assert_eq(c.manychat_field_actions, true);
	cr_assert_str_eq(c.manychat_channel, "whatsapp");
	cr_assert_str_eq(c.subscription_price, "10.5");
	cr_assert_str_eq(c.food_image_providers, "spoonacular");
	cr_assert_str_eq(c.cache_path, "/tmp/x.cache", "explicit cache.path is kept");
	cr_assert_null(cal_conf_missing_required(&c));
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

static void expect_issue(const cal_conf_issues *is, const char *needle)
{
	char *t = issues_text(is);
	cr_expect_not_null(strstr(t, needle), "expected '%s' in:\n%s", needle, t);
	free(t);
}

Test(conf, unknown_section_reported_once_with_line)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(cal_conf_load(&c, fixture("unknown_section.conf"), &is, NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 1);
	cr_assert_eq(is.items[0].line, 4);
	expect_issue(&is, "unknown_section.conf:4: unknown section [nonsense]");
	cr_assert_eq(c.server_max_requests, 5, "good lines still apply");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, unknown_key_with_line)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(cal_conf_load(&c, fixture("unknown_key.conf"), &is, NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 1);
	expect_issue(&is, "unknown_key.conf:3: unknown key 'hostname' in [database]");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, malformed_lines)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(cal_conf_load(&c, fixture("malformed.conf"), &is, NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 3);
	expect_issue(&is, "malformed.conf:2: malformed line");
	expect_issue(&is, "malformed.conf:3: malformed line (empty key)");
	expect_issue(&is, "malformed.conf:4: malformed section header");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, bad_values_each_reported)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(cal_conf_load(&c, fixture("bad_values.conf"), &is, NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 10);
	expect_issue(&is, "bad_values.conf:2: server.max_body_bytes = 'lots' is not an integer");
	expect_issue(&is, "bad_values.conf:3: server.max_requests = '0' is out of bounds");
	expect_issue(&is, "bad_values.conf:4: server.public_url = 'ftp://example.com' is not an http");
	expect_issue(&is, "bad_values.conf:6: manychat.field_actions = 'maybe' is not a boolean");
	expect_issue(&is, "bad_values.conf:7: manychat.channel = 'myspace' must be one of telegram|instagram|whatsapp|facebook");
	expect_issue(&is, "bad_values.conf:9: database.port = '70000' is out of bounds (1..65535)");
	expect_issue(&is, "bad_values.conf:11: app.default_timezone");
	expect_issue(&is, "bad_values.conf:13: subscription.price");
	expect_issue(&is, "bad_values.conf:15: food.image_providers");
	expect_issue(&is, "bad_values.conf:17: server.trusted_proxies");
	/* A rejected value leaves the default in place. */
	cr_assert_eq(c.server_max_body_bytes, 1048576);
	cr_assert_eq(c.database_port, 3306);
	cr_assert_str_eq(c.manychat_channel, "telegram");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, duplicate_key)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(cal_conf_load(&c, fixture("duplicate.conf"), &is, NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 1);
	expect_issue(&is, "duplicate.conf:5: duplicate key log.level (first set on line 2)");
	cr_assert_str_eq(c.log_level, "debug", "the first value wins");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, key_outside_section)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(cal_conf_load(&c, fixture("outside.conf"), &is, NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 1);
	expect_issue(&is, "outside.conf:2: key 'level' outside of any [section]");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, missing_explicit_file_is_an_error)
{
	cal_conf c;
	cal_conf_issues is;
	char *used = (char *)"unchanged";
	cr_assert_eq(cal_conf_load(&c, "/nonexistent/caloria.conf", &is, &used), CAL_ERR_VALIDATION);
	cr_assert_null(used);
	expect_issue(&is, "/nonexistent/caloria.conf: cannot read configuration file");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, used_path_reported)
{
	cal_conf c;
	cal_conf_issues is;
	char *used = NULL;
	cr_assert_eq(cal_conf_load(&c, fixture("good.conf"), &is, &used), CAL_OK);
	cr_assert_str_eq(used, fixture("good.conf"));
	free(used);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, config_path_from_environment)
{
	cal_conf c;
	cal_conf_issues is;
	char *used = NULL;
	setenv("CALORIA_CONFIG", fixture("good.conf"), 1);
	cr_assert_eq(cal_conf_load(&c, NULL, &is, &used), CAL_OK);
	cr_assert_str_eq(used, fixture("good.conf"));
	cr_assert_eq(c.database_port, 3307);
	free(used);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
	unsetenv("CALORIA_CONFIG");
}

Test(conf, env_overrides_after_file)
{
	cal_conf c;
	cal_conf_issues is;
	char *env[] = {"CALORIA_DATABASE_PORT=3310", "CALORIA_MANYCHAT_WEBHOOK_TOKEN=from-env",
		       "CALORIA_MEDIA_ALLOW_PRIVATE_HOSTS=on", "CALORIA_FOOD_AUDIO_PROVIDERS=gemini",
		       "CALORIA_PATHS_RUN_DIR=/srv/run", "UNRELATED=1", "CALORIA_DATABASE_PORTX=1", NULL};
	cr_assert_eq(load_str(&c, &is, "[database]\nport = 3307\n", env), CAL_OK);
	cr_assert_eq(c.database_port, 3310);
	cr_assert_str_eq(c.manychat_webhook_token, "from-env");
	cr_assert_eq(c.media_allow_private_hosts, true);
	cr_assert_str_eq(c.food_audio_providers, "gemini");
	cr_assert_str_eq(c.cache_path, "/srv/run/caloria.cache", "cache.path follows the run dir");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, bad_env_values_name_the_variable_not_the_secret)
{
	cal_conf c;
	cal_conf_issues is;
	char long_secret[1100];
	memset(long_secret, 'S', sizeof long_secret - 1);
	long_secret[sizeof long_secret - 1] = '\0';
	char secret_var[1200];
	snprintf(secret_var, sizeof secret_var, "CALORIA_ADMIN_SESSION_SECRET=%s", long_secret);
	char *env[] = {"CALORIA_SERVER_MAX_REQUESTS=-5", "CALORIA_LOG_LEVEL=loud", secret_var, NULL};
	cr_assert_eq(load_str(&c, &is, "", env), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 3);
	cr_assert_null(is.items[0].file);
	expect_issue(&is, "environment CALORIA_SERVER_MAX_REQUESTS = '-5': server.max_requests is out of bounds");
	expect_issue(&is, "environment CALORIA_LOG_LEVEL = 'loud': log.level must be one of debug|info|warn|error");
	expect_issue(&is, "environment CALORIA_ADMIN_SESSION_SECRET: admin.session_secret length must be");
	char *t = issues_text(&is);
	cr_assert_null(strstr(t, "SSSS"), "secret value leaked: %s", t);
	free(t);
	cr_assert_eq(c.server_max_requests, 10000);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, bad_secret_in_file_is_not_echoed)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(load_str(&c, &is, "[database]\npassword = \"abc\x01secretvalue\"\n", NULL), CAL_ERR_VALIDATION);
	cr_assert_eq(is.count, 1);
	expect_issue(&is, "test.conf:2: database.password contains control characters");
	char *t = issues_text(&is);
	cr_assert_null(strstr(t, "secretvalue"));
	free(t);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, print_hides_secrets)
{
	cal_conf c;
	cal_conf_issues is;
	char *env[] = {"CALORIA_DATABASE_PASSWORD=hunter2", "CALORIA_GEMINI_API_KEY=AIzaSECRET",
		       "CALORIA_MANYCHAT_WEBHOOK_TOKEN=tok-123", NULL};
	cr_assert_eq(load_str(&c, &is, "", env), CAL_OK);
	char *out = print_text(&c);
	cr_assert_null(strstr(out, "hunter2"));
	cr_assert_null(strstr(out, "AIzaSECRET"));
	cr_assert_null(strstr(out, "tok-123"));
	cr_assert_not_null(strstr(out, "database.password = (set)\n"));
	cr_assert_not_null(strstr(out, "gemini.api_key = (set)\n"));
	cr_assert_not_null(strstr(out, "spoonacular.api_key = (empty)\n"));
	cr_assert_not_null(strstr(out, "database.port = 3306\n"));
	cr_assert_not_null(strstr(out, "manychat.field_actions = false\n"));
	cr_assert_not_null(strstr(out, "database.user = caloria\n"));
	free(out);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, bounds_are_inclusive)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(load_str(&c, &is, "[database]\nport = 65535\n[http_client]\nretries = 0\n", NULL), CAL_OK);
	cr_assert_eq(c.database_port, 65535);
	cr_assert_eq(c.http_client_retries, 0);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
	cr_assert_eq(load_str(&c, &is, "[http_client]\nretries = 11\n", NULL), CAL_ERR_VALIDATION);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
	cr_assert_eq(load_str(&c, &is, "[database]\nport = 12abc\n", NULL), CAL_ERR_VALIDATION);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
	cr_assert_eq(load_str(&c, &is, "[database]\nport = 99999999999999999999999\n", NULL), CAL_ERR_VALIDATION);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, crlf_and_byte_order_mark)
{
	cal_conf c;
	cal_conf_issues is;
	cal_err rc = load_str(&c, &is, "\xef\xbb\xbf[database]\r\nport = 3308\r\n\r\n[log]\r\nlevel = warn\r\n", NULL);
	char *t = issues_text(&is);
	cr_assert_eq(rc, CAL_OK, "%s", t);
	free(t);
	cr_assert_eq(c.database_port, 3308);
	cr_assert_str_eq(c.log_level, "warn");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, booleans_and_enums)
{
	static const char *yes[] = {"true", "TRUE", "yes", "on", "1"};
	static const char *no[] = {"false", "No", "off", "0"};
	cal_conf c;
	cal_conf_issues is;
	char text[128];
	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "[manychat]\nfield_actions = %s\n", yes[i]);
		cr_assert_eq(load_str(&c, &is, text, NULL), CAL_OK);
		cr_assert_eq(c.manychat_field_actions, true, "%s", yes[i]);
		cal_conf_free(&c);
		cal_conf_issues_free(&is);
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof text, "[manychat]\nfield_actions = %s\n", no[i]);
		cr_assert_eq(load_str(&c, &is, text, NULL), CAL_OK);
		cr_assert_eq(c.manychat_field_actions, false, "%s", no[i]);
		cal_conf_free(&c);
		cal_conf_issues_free(&is);
	}
	cr_assert_eq(load_str(&c, &is, "[app]\ndefault_language = fr\n", NULL), CAL_ERR_VALIDATION);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
	cr_assert_eq(load_str(&c, &is, "[manychat]\nchannel = facebook\n[log]\nlevel = debug\n", NULL), CAL_OK);
	cr_assert_str_eq(c.manychat_channel, "facebook");
	cr_assert_str_eq(c.log_level, "debug");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
}

Test(conf, urls_and_idents)
{
	cal_conf c;
	cal_conf_issues is;
	cr_assert_eq(load_str(&c, &is, "[gemini]\napi_base = http://127.0.0.1:9911/\nmodel = gemini-x_1.0\n", NULL),
		     CAL_OK);
	cr_assert_str_eq(c.gemini_api_base, "http://127.0.0.1:9911");
	cal_conf_free(&c);
	cal_conf_issues_free(&is);
	static const char *bad[] = {"[gemini]\napi_base = \n", "[gemini]\napi_base = http://\n",
				    "[gemini]\napi_base = https://a b.com\n", "[gemini]\nmodel = ../../etc\n",
				    "[subscription]\ncurrency = PESOS\n", "[subscription]\nprice = -1\n",
				    "[subscription]\nprice = 1.\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_expect_eq(load_str(&c, &is, bad[i], NULL), CAL_ERR_VALIDATION, "accepted: %s", bad[i]);
		cal_conf_free(&c);
		cal_conf_issues_free(&is);
	}
}

Test(conf, utc_offsets)
{
	static const struct {
		const char *in;
		int min;
	} good[] = {
		{"-03:00", -180}, {"UTC-03", -180}, {"-03", -180}, {"+05:30", 330}, {"UTC", 0}, {"0", 0},
		{"+5:30", 330},   {"UTC+0", 0},     {"gmt-3", -180}, {"-0300", -180}, {"+14:00", 840}, {"-12", -720},
		{" -03:00 ", -180},
	};
	static const char *bad[] = {"", "3", "-03:0", "+15", "-13:00", "UTC-03:60", "abc", "--03", "+03:00x", NULL};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int m = 12345;
		cr_expect_eq(cal_conf_parse_utc_offset(good[i].in, &m), 0, "rejected '%s'", good[i].in);
		cr_expect_eq(m, good[i].min, "'%s' gave %d", good[i].in, m);
	}
	for (size_t i = 0; bad[i]; i++) {
		int m = 12345;
		cr_expect_neq(cal_conf_parse_utc_offset(bad[i], &m), 0, "accepted '%s'", bad[i]);
		cr_expect_eq(m, 12345, "'%s' changed the output", bad[i]);
	}
	int m;
	cr_assert_neq(cal_conf_parse_utc_offset(NULL, &m), 0);
}

Test(conf, sample_documents_every_key_and_loads)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/caloria.conf.sample", srcdir());
	cal_conf c;
	cal_conf_issues is;
	cal_err rc = cal_conf_load(&c, path, &is, NULL);
	char *t = issues_text(&is);
	cr_assert_eq(rc, CAL_OK, "%s", t);
	free(t);
	char *printed = print_text(&c);
	cal_conf_free(&c);
	cal_conf_issues_free(&is);

	/* Read the sample: every "section.key" printed must appear as "key =" (or "# key =") in its section. */
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char *sample = calloc(1, 65536);
	size_t n = fread(sample, 1, 65535, f);
	sample[n] = '\0';
	fclose(f);
	int keys = 0;
	char *save = NULL;
	for (char *line = strtok_r(printed, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char section[64], key[64], hdr[80], plain[80], commented[80];
		cr_assert_eq(sscanf(line, "%63[^.].%63[^ ]", section, key), 2, "%s", line);
		snprintf(hdr, sizeof hdr, "[%s]\n", section);
		char *sec = strstr(sample, hdr);
		cr_assert_not_null(sec, "section [%s] missing from the sample", section);
		char *next = strstr(sec + 1, "\n[");
		snprintf(plain, sizeof plain, "\n%s = ", key);
		snprintf(commented, sizeof commented, "\n# %s = ", key);
		char *p1 = strstr(sec, plain), *p2 = strstr(sec, commented);
		bool in = (p1 && (!next || p1 < next)) || (p2 && (!next || p2 < next));
		if (!in) {
			snprintf(plain, sizeof plain, "\n%s =\n", key);
			p1 = strstr(sec, plain);
			in = p1 && (!next || p1 < next);
		}
		cr_expect(in, "%s.%s is not documented in caloria.conf.sample", section, key);
		keys++;
	}
	cr_assert_geq(keys, 58);
	free(sample);
	free(printed);
}
