/*
 * Configuration (SPEC §3). This file owns the table of every key — section, name, type, default, bounds,
 * secret flag and the field of struct cal_conf it fills — and the INI reader and environment overlay that
 * use it. Defaults go through the same parser as the file, so a bad default fails the unit tests rather
 * than production. Problems are collected, not fatal one by one, so `caloria check-config` can show all.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caloria/conf.h"
#include "caloria/mem.h"

#ifndef CAL_SYSCONFDIR
#define CAL_SYSCONFDIR "/usr/local/etc/caloria"
#endif
#ifndef CAL_DATADIR
#define CAL_DATADIR "/usr/local/share/caloria"
#endif
#ifndef CAL_LOCALSTATEDIR
#define CAL_LOCALSTATEDIR "/usr/local/var"
#endif

/* Longest line and value we accept; a config file is written by people, not generated megabytes. */
#define CONF_LINE_MAX 4096
#define CONF_FILE_MAX (1024 * 1024)

extern char **environ;

enum conf_type {
	T_STRING,  /* free text; min/max bound its length when max > 0 */
	T_IDENT,   /* [A-Za-z0-9._:-]+, safe inside URLs and file names */
	T_INT,     /* long within [min, max] */
	T_BOOL,    /* true/false, yes/no, on/off, 1/0 */
	T_URL,     /* http(s)://host…, stored without a trailing slash */
	T_LIST,    /* comma-separated, stored as "a,b,c"; members checked against choices when given */
	T_IPLIST,  /* comma-separated IPv4/IPv6 addresses */
	T_ENUM,    /* one of choices ("a|b|c") */
	T_DECIMAL, /* non-negative decimal text, at most 2 places (money) */
	T_UTCOFF,  /* UTC offset accepted by cal_conf_parse_utc_offset */
};

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	const char *def;
	long min, max;
	int secret;
	size_t off;
	const char *choices; /* "a|b|c" for T_ENUM and T_LIST */
};

#define F(field) offsetof(cal_conf, field)
#define MS 600000L /* ten minutes, the longest timeout that makes sense */

static const struct conf_key keys[] = {
	{"server", "public_url", T_URL, "http://127.0.0.1:8080", 0, 0, 0, F(server_public_url), NULL},
	{"server", "max_body_bytes", T_INT, "1048576", 1024, 1073741824L, 0, F(server_max_body_bytes), NULL},
	{"server", "max_requests", T_INT, "10000", 1, 100000000L, 0, F(server_max_requests), NULL},
	{"server", "read_timeout_ms", T_INT, "10000", 100, 600000L, 0, F(server_read_timeout_ms), NULL},
	{"server", "trusted_proxies", T_IPLIST, "127.0.0.1,::1", 0, 0, 0, F(server_trusted_proxies), NULL},

	{"database", "host", T_STRING, "localhost", 0, 255, 0, F(database_host), NULL},
	{"database", "port", T_INT, "3306", 1, 65535, 0, F(database_port), NULL},
	{"database", "socket", T_STRING, "", 0, 1024, 0, F(database_socket), NULL},
	{"database", "user", T_STRING, "caloria", 1, 128, 0, F(database_user), NULL},
	{"database", "password", T_STRING, "", 0, 1024, 1, F(database_password), NULL},
	{"database", "name", T_IDENT, "caloria", 1, 64, 0, F(database_name), NULL},
	{"database", "connect_timeout_ms", T_INT, "2000", 1, MS, 0, F(database_connect_timeout_ms), NULL},
	{"database", "query_timeout_ms", T_INT, "5000", 1, MS, 0, F(database_query_timeout_ms), NULL},

	{"app", "default_language", T_ENUM, "es", 0, 0, 0, F(app_default_language), "es|en"},
	{"app", "default_timezone", T_UTCOFF, "-03:00", 0, 0, 0, F(app_default_timezone), NULL},

	{"manychat", "api_base", T_URL, "https://api.manychat.com", 0, 0, 0, F(manychat_api_base), NULL},
	{"manychat", "api_token", T_STRING, "", 0, 1024, 1, F(manychat_api_token), NULL},
	{"manychat", "webhook_token", T_STRING, "", 0, 1024, 1, F(manychat_webhook_token), NULL},
	{"manychat", "channel", T_ENUM, "telegram", 0, 0, 0, F(manychat_channel),
	 "telegram|instagram|whatsapp|facebook"},
	{"manychat", "field_actions", T_BOOL, "false", 0, 0, 0, F(manychat_field_actions), NULL},
	{"manychat", "reply_budget_ms", T_INT, "8000", 0, MS, 0, F(manychat_reply_budget_ms), NULL},

	{"mercadopago", "api_base", T_URL, "https://api.mercadopago.com", 0, 0, 0, F(mercadopago_api_base), NULL},
	{"mercadopago", "access_token", T_STRING, "", 0, 1024, 1, F(mercadopago_access_token), NULL},
	{"mercadopago", "webhook_secret", T_STRING, "", 0, 1024, 1, F(mercadopago_webhook_secret), NULL},
	{"mercadopago", "plan_id", T_STRING, "", 0, 128, 0, F(mercadopago_plan_id), NULL},
	{"mercadopago", "signature_tolerance_s", T_INT, "300", 0, 86400, 0, F(mercadopago_signature_tolerance_s),
	 NULL},

	{"subscription", "price", T_DECIMAL, "4999.00", 0, 0, 0, F(subscription_price), NULL},
	{"subscription", "currency", T_IDENT, "ARS", 3, 3, 0, F(subscription_currency), NULL},
	{"subscription", "trial_days", T_INT, "1", 0, 365, 0, F(subscription_trial_days), NULL},
	{"subscription", "free_daily_analyses", T_INT, "3", 0, 1000, 0, F(subscription_free_daily_analyses), NULL},

	{"spoonacular", "api_base", T_URL, "https://api.spoonacular.com", 0, 0, 0, F(spoonacular_api_base), NULL},
	{"spoonacular", "api_key", T_STRING, "", 0, 1024, 1, F(spoonacular_api_key), NULL},

	{"gemini", "api_base", T_URL, "https://generativelanguage.googleapis.com", 0, 0, 0, F(gemini_api_base), NULL},
	{"gemini", "api_key", T_STRING, "", 0, 1024, 1, F(gemini_api_key), NULL},
	{"gemini", "model", T_IDENT, "gemini-2.5-flash", 1, 128, 0, F(gemini_model), NULL},

	{"google", "speech_api_base", T_URL, "https://speech.googleapis.com", 0, 0, 0, F(google_speech_api_base),
	 NULL},
	{"google", "api_key", T_STRING, "", 0, 1024, 1, F(google_api_key), NULL},
	{"google", "vision_api_base", T_URL, "https://vision.googleapis.com", 0, 0, 0, F(google_vision_api_base),
	 NULL},

	{"food", "image_providers", T_LIST, "gemini,spoonacular", 0, 0, 0, F(food_image_providers),
	 "gemini|spoonacular"},
	{"food", "audio_providers", T_LIST, "google_speech,gemini", 0, 0, 0, F(food_audio_providers),
	 "google_speech|gemini"},
	{"food", "data_dir", T_STRING, CAL_DATADIR "/data", 1, 4096, 0, F(food_data_dir), NULL},

	{"jobs", "concurrency", T_INT, "16", 1, 1024, 0, F(jobs_concurrency), NULL},
	{"jobs", "max_attempts", T_INT, "5", 1, 100, 0, F(jobs_max_attempts), NULL},
	{"jobs", "retry_base_ms", T_INT, "2000", 10, 3600000L, 0, F(jobs_retry_base_ms), NULL},
	{"jobs", "lease_s", T_INT, "120", 2, 86400, 0, F(jobs_lease_s), NULL},

	{"media", "max_image_bytes", T_INT, "10485760", 1024, 1073741824L, 0, F(media_max_image_bytes), NULL},
	{"media", "max_audio_bytes", T_INT, "20971520", 1024, 1073741824L, 0, F(media_max_audio_bytes), NULL},
	{"media", "allow_private_hosts", T_BOOL, "false", 0, 0, 0, F(media_allow_private_hosts), NULL},

	{"http_client", "connect_timeout_ms", T_INT, "3000", 1, MS, 0, F(http_client_connect_timeout_ms), NULL},
	{"http_client", "timeout_ms", T_INT, "10000", 1, MS, 0, F(http_client_timeout_ms), NULL},
	{"http_client", "retries", T_INT, "2", 0, 10, 0, F(http_client_retries), NULL},

	{"ratelimit", "webhook_per_min", T_INT, "100", 1, 10000000L, 0, F(ratelimit_webhook_per_min), NULL},
	{"ratelimit", "api_per_min", T_INT, "1000", 1, 10000000L, 0, F(ratelimit_api_per_min), NULL},
	{"ratelimit", "admin_per_min", T_INT, "500", 1, 10000000L, 0, F(ratelimit_admin_per_min), NULL},
	{"ratelimit", "auth_failures_per_min", T_INT, "20", 1, 10000000L, 0, F(ratelimit_auth_failures_per_min), NULL},

	{"admin", "session_secret", T_STRING, "", 0, 1024, 1, F(admin_session_secret), NULL},
	{"admin", "session_ttl_s", T_INT, "43200", 60, 31536000L, 0, F(admin_session_ttl_s), NULL},

	{"cache", "path", T_STRING, "", 0, 4096, 0, F(cache_path), NULL},
	{"cache", "size_mb", T_INT, "64", 1, 65536, 0, F(cache_size_mb), NULL},
	{"cache", "warm_top", T_INT, "200", 0, 100000, 0, F(cache_warm_top), NULL},

	{"log", "level", T_ENUM, "info", 0, 0, 0, F(log_level), "debug|info|warn|error"},
	{"log", "file", T_STRING, "", 0, 4096, 0, F(log_file), NULL},

	{"paths", "run_dir", T_STRING, CAL_LOCALSTATEDIR "/run/caloria", 1, 4096, 0, F(paths_run_dir), NULL},
	{"paths", "schema_dir", T_STRING, CAL_DATADIR "/schema", 1, 4096, 0, F(paths_schema_dir), NULL},
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* Where each key was last set, to report duplicates inside one file. */
struct load_state {
	cal_conf *conf;
	cal_conf_issues *issues;
	const char *name;
	int set_line[NKEYS];
};

static void issue_add(cal_conf_issues *issues, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void issue_add(cal_conf_issues *issues, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	issues->items = cal_reallocarray(issues->items, issues->count + 1, sizeof *issues->items);
	cal_conf_issue *it = &issues->items[issues->count++];
	it->file = file ? cal_strdup(file) : NULL;
	it->line = line;
	it->message = cal_strdup(msg);
}

static char **field_str(cal_conf *c, const struct conf_key *k)
{
	return (char **)(void *)((char *)c + k->off);
}

static long *field_long(cal_conf *c, const struct conf_key *k)
{
	return (long *)(void *)((char *)c + k->off);
}

static bool *field_bool(cal_conf *c, const struct conf_key *k)
{
	return (bool *)(void *)((char *)c + k->off);
}

static bool choice_ok(const char *choices, const char *v, size_t n)
{
	const char *p = choices;
	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static bool has_control(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static bool ident_ok(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("._:-", *p) == NULL)
			return false;
	return true;
}

/* Strict integer: optional sign, digits, nothing else. */
static int parse_long(const char *v, long *out)
{
	char *end = NULL;
	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static bool url_ok(const char *v)
{
	const char *host;
	if (strncasecmp(v, "http://", 7) == 0)
		host = v + 7;
	else if (strncasecmp(v, "https://", 8) == 0)
		host = v + 8;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':')
		return false;
	for (const char *p = v; *p; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20 || *p == '"' || *p == '<' || *p == '>')
			return false;
	return true;
}

static bool decimal_ok(const char *v)
{
	size_t i = 0, ints = 0, frac = 0;
	while (isdigit((unsigned char)v[i])) {
		i++;
		ints++;
	}
	if (v[i] == '.') {
		i++;
		while (isdigit((unsigned char)v[i])) {
			i++;
			frac++;
		}
		if (frac == 0)
			return false;
	}
	return v[i] == '\0' && ints >= 1 && ints <= 12 && frac <= 2;
}

static bool ip_ok(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Splits on commas, trims members, checks each; returns the normalised "a,b" text or NULL. */
static char *list_normalise(const struct conf_key *k, const char *v, const char **bad)
{
	cal_buf b;
	char *copy = cal_strdup(v);
	char *save = NULL;
	char *res = NULL;

	cal_buf_init(&b);
	cal_buf_puts(&b, "");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		size_t n = strlen(tok);
		while (n > 0 && isspace((unsigned char)tok[n - 1]))
			tok[--n] = '\0';
		if (n == 0)
			continue;
		bool ok = k->type == T_IPLIST ? ip_ok(tok) : (k->choices ? choice_ok(k->choices, tok, n) : ident_ok(tok));
		if (!ok) {
			*bad = "member";
			goto done;
		}
		if (b.len > 0)
			cal_buf_puts(&b, ",");
		cal_buf_puts(&b, tok);
	}
	res = cal_buf_steal(&b);
done:
	cal_buf_free(&b);
	free(copy);
	return res;
}

static void set_str(cal_conf *c, const struct conf_key *k, char *owned)
{
	char **f = field_str(c, k);
	free(*f);
	*f = owned;
}

/* Room for the longest reason apply() writes. */
#define REASON_MAX 160

/*
 * Validates v for key k and stores it. Returns NULL on success or a short reason (static text or written
 * into reason). The reason never contains the value; callers add it only for keys that are not secret.
 */
static const char *apply(cal_conf *c, const struct conf_key *k, const char *v, char reason[REASON_MAX])
{
	size_t n = strlen(v);

	if (k->type != T_INT && k->type != T_BOOL && has_control(v))
		return "contains control characters";
	switch (k->type) {
	case T_STRING:
	case T_IDENT:
		if (k->type == T_IDENT && !ident_ok(v))
			return "may only contain letters, digits and . _ : -";
		if (k->max > 0 && (n < (size_t)k->min || n > (size_t)k->max)) {
			snprintf(reason, REASON_MAX, "length must be between %ld and %ld characters", k->min, k->max);
			return reason;
		}
		set_str(c, k, cal_strdup(v));
		return NULL;
	case T_INT: {
		long x;
		if (parse_long(v, &x) != 0)
			return "is not an integer";
		if (x < k->min || x > k->max) {
			snprintf(reason, REASON_MAX, "is out of bounds (%ld..%ld)", k->min, k->max);
			return reason;
		}
		*field_long(c, k) = x;
		return NULL;
	}
	case T_BOOL:
		if (parse_bool(v, field_bool(c, k)) != 0)
			return "is not a boolean (true/false, yes/no, on/off, 1/0)";
		return NULL;
	case T_URL: {
		if (!url_ok(v))
			return "is not an http:// or https:// URL";
		char *u = cal_strdup(v);
		size_t len = strlen(u);
		while (len > 0 && u[len - 1] == '/')
			u[--len] = '\0';
		set_str(c, k, u);
		return NULL;
	}
	case T_LIST:
	case T_IPLIST: {
		const char *bad = NULL;
		char *norm = list_normalise(k, v, &bad);
		if (norm == NULL) {
			if (k->type == T_IPLIST)
				return "must be a comma-separated list of IP addresses";
			snprintf(reason, REASON_MAX, "members must be among: %s", k->choices ? k->choices : "names");
			return reason;
		}
		set_str(c, k, norm);
		return NULL;
	}
	case T_ENUM:
		if (!choice_ok(k->choices, v, n)) {
			snprintf(reason, REASON_MAX, "must be one of %s", k->choices);
			return reason;
		}
		set_str(c, k, cal_strdup(v));
		return NULL;
	case T_DECIMAL:
		if (!decimal_ok(v))
			return "is not a decimal amount like 4999.00";
		set_str(c, k, cal_strdup(v));
		return NULL;
	case T_UTCOFF: {
		int minutes;
		if (cal_conf_parse_utc_offset(v, &minutes) != 0)
			return "is not a UTC offset like -03:00, UTC-03 or +05:30";
		c->app_default_utc_offset_min = minutes;
		set_str(c, k, cal_strdup(v));
		return NULL;
	}
	}
	return "has an unknown type";
}

static const struct conf_key *key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

static bool section_known(const char *section)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One "key = value" line inside [section]. */
static void parse_assignment(struct load_state *st, const char *section, char *line, int lineno)
{
	char *eq = strchr(line, '=');
	if (eq == NULL) {
		issue_add(st->issues, st->name, lineno, "malformed line (expected key = value or [section])");
		return;
	}
	*eq = '\0';
	char *key = trim(line);
	char *value = trim(eq + 1);
	if (*key == '\0') {
		issue_add(st->issues, st->name, lineno, "malformed line (empty key)");
		return;
	}
	if (section == NULL) {
		issue_add(st->issues, st->name, lineno, "key '%s' outside of any [section]", key);
		return;
	}
	const struct conf_key *k = key_find(section, key);
	if (k == NULL) {
		issue_add(st->issues, st->name, lineno, "unknown key '%s' in [%s]", key, section);
		return;
	}
	size_t idx = (size_t)(k - keys);
	if (st->set_line[idx] != 0) {
		issue_add(st->issues, st->name, lineno, "duplicate key %s.%s (first set on line %d)", k->section,
			  k->key, st->set_line[idx]);
		return;
	}
	st->set_line[idx] = lineno;
	size_t n = strlen(value);
	if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
		value[n - 1] = '\0';
		value++;
	}
	char reason[REASON_MAX];
	const char *why = apply(st->conf, k, value, reason);
	if (why == NULL)
		return;
	if (k->secret)
		issue_add(st->issues, st->name, lineno, "%s.%s %s", k->section, k->key, why);
	else
		issue_add(st->issues, st->name, lineno, "%s.%s = '%.200s' %s", k->section, k->key, value, why);
}

/* What the reader knows about the current [section]. */
enum section_state { SEC_NONE, SEC_KNOWN, SEC_UNKNOWN };

static void parse_text(struct load_state *st, const char *text)
{
	char section[64] = "";
	enum section_state sec = SEC_NONE;
	int lineno = 0;
	const char *p = text;

	/* Editors on Windows save a byte-order mark; it is not part of the first line. */
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *start = p;
		char buf[CONF_LINE_MAX];
		char *line;

		lineno++;
		p += len;
		if (*p == '\n')
			p++;
		if (len >= CONF_LINE_MAX) {
			issue_add(st->issues, st->name, lineno, "line too long (limit %d bytes)", CONF_LINE_MAX - 1);
			continue;
		}
		memcpy(buf, start, len);
		buf[len] = '\0';
		line = trim(buf);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			size_t n = strlen(line);
			if (n < 3 || line[n - 1] != ']') {
				issue_add(st->issues, st->name, lineno, "malformed section header");
				sec = SEC_UNKNOWN;
				continue;
			}
			line[n - 1] = '\0';
			char *name = trim(line + 1);
			if (!section_known(name) || strlen(name) >= sizeof section) {
				issue_add(st->issues, st->name, lineno, "unknown section [%.60s]", name);
				/* Keys under it would each be reported too; one message is enough. */
				sec = SEC_UNKNOWN;
				continue;
			}
			snprintf(section, sizeof section, "%s", name);
			sec = SEC_KNOWN;
			continue;
		}
		if (sec == SEC_UNKNOWN)
			continue;
		parse_assignment(st, sec == SEC_KNOWN ? section : NULL, line, lineno);
	}
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void apply_env(cal_conf *c, char **envp, cal_conf_issues *issues)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &keys[i];
		char name[128];
		snprintf(name, sizeof name, "CALORIA_%s_%s", k->section, k->key);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		const char *v = env_get(envp, name);
		if (v == NULL)
			continue;
		char reason[REASON_MAX];
		const char *why = apply(c, k, v, reason);
		if (why == NULL)
			continue;
		if (k->secret)
			issue_add(issues, NULL, 0, "environment %s: %s.%s %s", name, k->section, k->key, why);
		else
			issue_add(issues, NULL, 0, "environment %s = '%.200s': %s.%s %s", name, v, k->section, k->key,
				  why);
	}
}

static void apply_defaults(cal_conf *c, cal_conf_issues *issues)
{
	for (size_t i = 0; i < NKEYS; i++) {
		char reason[REASON_MAX];
		const char *why = apply(c, &keys[i], keys[i].def, reason);
		if (why != NULL)
			issue_add(issues, NULL, 0, "built-in default of %s.%s %s", keys[i].section, keys[i].key, why);
	}
}

/* Values that depend on others, computed once everything is read. */
static void derive(cal_conf *c)
{
	if (c->cache_path == NULL || c->cache_path[0] == '\0') {
		size_t n = strlen(c->paths_run_dir) + sizeof "/caloria.cache";
		char *p = cal_malloc(n);
		snprintf(p, n, "%s/caloria.cache", c->paths_run_dir);
		free(c->cache_path);
		c->cache_path = p;
	}
}

static cal_err load_text(cal_conf *conf, const char *text, const char *name, char **envp,
			 cal_conf_issues *issues)
{
	struct load_state st;

	memset(&st, 0, sizeof st);
	st.conf = conf;
	st.issues = issues;
	st.name = name ? name : "(config)";
	apply_defaults(conf, issues);
	if (text != NULL)
		parse_text(&st, text);
	apply_env(conf, envp, issues);
	derive(conf);
	return issues->count == 0 ? CAL_OK : CAL_ERR_VALIDATION;
}

cal_err cal_conf_load_string(cal_conf *conf, const char *text, const char *name, char **envp,
			     cal_conf_issues *issues)
{
	memset(conf, 0, sizeof *conf);
	issues->items = NULL;
	issues->count = 0;
	return load_text(conf, text, name, envp, issues);
}

/* Reads the whole file; NULL with errno set on failure. */
static char *read_file(const char *path)
{
	FILE *f = NULL;
	char *data = NULL;
	size_t len = 0;

	f = fopen(path, "r");
	if (f == NULL)
		goto out;
	data = cal_malloc(CONF_FILE_MAX + 1);
	len = fread(data, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f) || len > CONF_FILE_MAX) {
		free(data);
		data = NULL;
		errno = ferror(f) ? EIO : EFBIG;
		goto out;
	}
	data[len] = '\0';
out:
	if (f != NULL)
		fclose(f);
	return data;
}

cal_err cal_conf_load(cal_conf *conf, const char *explicit_path, cal_conf_issues *issues, char **used_path)
{
	const char *path = explicit_path;
	bool required = true;
	char *text = NULL;
	cal_err rc;

	memset(conf, 0, sizeof *conf);
	issues->items = NULL;
	issues->count = 0;
	if (used_path != NULL)
		*used_path = NULL;
	if (path == NULL || *path == '\0') {
		path = getenv("CALORIA_CONFIG");
		if (path == NULL || *path == '\0') {
			path = CAL_SYSCONFDIR "/caloria.conf";
			required = false;
		}
	}
	text = read_file(path);
	if (text == NULL && (required || errno != ENOENT)) {
		issue_add(issues, path, 0, "cannot read configuration file: %s", strerror(errno));
	}
	if (used_path != NULL && text != NULL)
		*used_path = cal_strdup(path);
	rc = load_text(conf, text, path, environ, issues);
	free(text);
	return rc;
}

void cal_conf_free(cal_conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == T_INT || keys[i].type == T_BOOL)
			continue;
		char **f = field_str(conf, &keys[i]);
		free(*f);
		*f = NULL;
	}
}

void cal_conf_issues_free(cal_conf_issues *issues)
{
	if (issues == NULL)
		return;
	for (size_t i = 0; i < issues->count; i++) {
		free(issues->items[i].file);
		free(issues->items[i].message);
	}
	free(issues->items);
	issues->items = NULL;
	issues->count = 0;
}

void cal_conf_issues_print(const cal_conf_issues *issues, FILE *out)
{
	for (size_t i = 0; i < issues->count; i++) {
		const cal_conf_issue *it = &issues->items[i];
		if (it->file != NULL && it->line > 0)
			fprintf(out, "%s:%d: %s\n", it->file, it->line, it->message);
		else if (it->file != NULL)
			fprintf(out, "%s: %s\n", it->file, it->message);
		else
			fprintf(out, "%s\n", it->message);
	}
}

void cal_conf_print(const cal_conf *conf, FILE *out)
{
	cal_conf *c = (cal_conf *)conf; /* the field helpers are shared with the writers; nothing is written */

	for (size_t i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &keys[i];
		fprintf(out, "%s.%s = ", k->section, k->key);
		if (k->type == T_INT) {
			fprintf(out, "%ld\n", *field_long(c, k));
		} else if (k->type == T_BOOL) {
			fprintf(out, "%s\n", *field_bool(c, k) ? "true" : "false");
		} else {
			const char *v = *field_str(c, k);
			if (k->secret)
				fprintf(out, "%s\n", v && *v ? "(set)" : "(empty)");
			else
				fprintf(out, "%s\n", v ? v : "");
		}
	}
}

const char *cal_conf_missing_required(const cal_conf *conf)
{
	if (conf->manychat_webhook_token == NULL || conf->manychat_webhook_token[0] == '\0')
		return "manychat.webhook_token";
	return NULL;
}

/* Reads 1–2 digits; returns how many, 0 when none. */
static int read_2digits(const char *s, int *v)
{
	if (!isdigit((unsigned char)s[0]))
		return 0;
	if (isdigit((unsigned char)s[1])) {
		*v = (s[0] - '0') * 10 + (s[1] - '0');
		return 2;
	}
	*v = s[0] - '0';
	return 1;
}

int cal_conf_parse_utc_offset(const char *s, int *minutes)
{
	int sign = 1, h = 0, m = 0, k;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	bool prefix = strncasecmp(s, "UTC", 3) == 0 || strncasecmp(s, "GMT", 3) == 0;
	if (prefix)
		s += 3;
	if (*s == '\0' || strcmp(s, "Z") == 0) {
		if (!prefix && *s == '\0')
			return -1;
		*minutes = 0;
		return 0;
	}
	if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
	} else if (strcmp(s, "0") != 0 && strcmp(s, "00:00") != 0) {
		/* Without a sign only zero is unambiguous. */
		return -1;
	}
	k = read_2digits(s, &h);
	if (k == 0)
		return -1;
	s += k;
	if (*s == ':') {
		s++;
		if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
			return -1;
		m = (s[0] - '0') * 10 + (s[1] - '0');
		s += 2;
	} else if (k == 2 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1])) {
		/* "-0300" */
		m = (s[0] - '0') * 10 + (s[1] - '0');
		s += 2;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0' || m >= 60)
		return -1;
	int total = sign * (h * 60 + m);
	if (total < -12 * 60 || total > 14 * 60)
		return -1;
	*minutes = total;
	return 0;
}
