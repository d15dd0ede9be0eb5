/*
 * test_metrics.c — unit tests of src/metrics.c: request counts by status
 * class, histogram bucket placement, errors/providers/business counters, and
 * both renderings parsed back: the Prometheus text by a small 0.0.4 parser
 * (every line matches the grammar, every family has HELP and TYPE before its
 * samples, histogram buckets ascend and are monotonic, +Inf equals _count,
 * label escaping round-trips) and the JSON by a small validator.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm_fixture.h"
#include "../../src/metrics.c"

#define SIZE ((size_t)4 << 20)

static shm_fixture fx;
static cal_shm *shm;

static void
setup(void)
{
	shm = shm_fixture_open(&fx, "metrics", SIZE);
}

static void
teardown(void)
{
	shm_fixture_close(&fx);
	shm = NULL;
}

TestSuite(metrics, .init = setup, .fini = teardown);

static struct region *
mreg(void)
{
	return region(shm);
}

Test(metrics, request_counts_by_status_class)
{
	struct route *r = &mreg()->routes[3];

	cal_metrics_request(shm, 3, "webhook_manychat", 200, 5);
	cal_metrics_request(shm, 3, "ignored-second-name", 201, 5);
	cal_metrics_request(shm, 3, NULL, 429, 5);
	cal_metrics_request(shm, 3, NULL, 503, 5);
	cal_metrics_request(shm, 3, NULL, 101, 5);
	cal_metrics_request(shm, 3, NULL, 302, 5);
	cal_metrics_request(shm, 3, NULL, 999, 5); /* invalid → 5xx */
	cal_metrics_request(shm, -1, "x", 200, 5); /* dropped */
	cal_metrics_request(shm, CAL_METRICS_MAX_ROUTES, "x", 200, 5);
	cr_assert_str_eq(r->name, "webhook_manychat");
	cr_assert_eq(get(&r->status[0]), 1);
	cr_assert_eq(get(&r->status[1]), 2);
	cr_assert_eq(get(&r->status[2]), 1);
	cr_assert_eq(get(&r->status[3]), 1);
	cr_assert_eq(get(&r->status[4]), 2);
	cr_assert_eq(route_total(r), 7);
}

Test(metrics, histogram_bucket_placement)
{
	struct route *r = &mreg()->routes[0];
	const double ms[] = {0, 0.5, 1.0, 1.01, 2, 4.9, 10000, 10000.5, 1e9,
	    -3, NAN};
	/* expected bucket index per value; le is inclusive */
	const int want[] = {0, 0, 0, 1, 1, 2, 12, 13, 13, 0, 0};

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		uint64_t before[NBUCKETS + 1];

		for (int b = 0; b <= NBUCKETS; b++)
			before[b] = get(&r->lat.b[b]);
		cal_metrics_request(shm, 0, "r", 200, ms[i]);
		for (int b = 0; b <= NBUCKETS; b++)
			cr_assert_eq(get(&r->lat.b[b]) - before[b],
			    b == want[i] ? 1u : 0u, "value %g bucket %d", ms[i], b);
	}
	/* sum in µs; negative and NaN count as 0, 1e9 ms is kept */
	cr_assert_eq(get(&r->lat.sum_us),
	    (uint64_t)(500 + 1000 + 1010 + 2000 + 4900 + 10000000 + 10000500) +
		(uint64_t)1e12);
}

Test(metrics, errors_providers_business)
{
	unsigned long long calls, fails;

	cal_metrics_error(shm, "rate_limited");
	cal_metrics_error(shm, "rate_limited");
	cal_metrics_error(shm, "internal_error");
	cal_metrics_error(shm, "no_such_code");
	cal_metrics_error(shm, NULL);
	cr_assert_eq(get(&mreg()->errors[8]), 2);
	cr_assert_eq(get(&mreg()->errors[10]), 1);
	cr_assert_eq(get(&mreg()->errors[NERR - 1]), 2);
	cal_metrics_api(shm, "gemini", 1, 120);
	cal_metrics_api(shm, "gemini", 0, 3000);
	cal_metrics_api(shm, "telegram", 1, 1);
	cal_metrics_api(shm, "nope", 1, 1);
	cr_assert_eq(cal_metrics_api_counts(shm, "gemini", &calls, &fails), 0);
	cr_assert_eq(calls, 2);
	cr_assert_eq(fails, 1);
	cr_assert_eq(cal_metrics_api_counts(shm, "nope", &calls, &fails), -1);
	cal_metrics_business(shm, "users_created", 3);
	cal_metrics_business(shm, "food_logs_image", 1);
	cal_metrics_business(shm, "payments_approved", -1);
	cal_metrics_business(shm, "typo", 1);
	cr_assert_eq(atomic_load(&mreg()->business[0]), 3);
	cr_assert_eq(atomic_load(&mreg()->business[3]), 1);
	cr_assert_eq(atomic_load(&mreg()->business[7]), -1);
	cr_assert_eq(atomic_load(&mreg()->business[NBIZ - 1]), 1);
}

/* ---- a Prometheus text format 0.0.4 parser ---- */

#define MAXFAM 128
#define MAXSER 256

struct fam {
	char name[96];
	char type[16];
	int help, samples;
};

struct series { /* one histogram series: name + labels without le */
	char key[640];
	double last_le;
	double last_count;
	int inf_seen;
	double inf;
	double count;
	int count_seen;
};

struct parsed {
	struct fam fam[MAXFAM];
	int nfam;
	struct series ser[MAXSER];
	int nser;
	char label_seen[256]; /* a route label value, unescaped */
};

static struct fam *
fam_get(struct parsed *p, const char *name, int create)
{
	for (int i = 0; i < p->nfam; i++)
		if (strcmp(p->fam[i].name, name) == 0)
			return &p->fam[i];
	if (!create)
		return NULL;
	cr_assert_lt(p->nfam, MAXFAM);
	snprintf(p->fam[p->nfam].name, sizeof(p->fam[0].name), "%s", name);
	return &p->fam[p->nfam++];
}

static struct series *
ser_get(struct parsed *p, const char *key)
{
	for (int i = 0; i < p->nser; i++)
		if (strcmp(p->ser[i].key, key) == 0)
			return &p->ser[i];
	cr_assert_lt(p->nser, MAXSER);
	snprintf(p->ser[p->nser].key, sizeof(p->ser[0].key), "%s", key);
	p->ser[p->nser].last_le = -INFINITY;
	return &p->ser[p->nser++];
}

static const char *
parse_name(const char *s, char *out, size_t len, int metric)
{
	size_t n = 0;

	cr_assert(isalpha((unsigned char)*s) || *s == '_' || (metric && *s == ':'),
	    "bad name start at: %s", s);
	while (isalnum((unsigned char)*s) || *s == '_' || (metric && *s == ':')) {
		cr_assert_lt(n + 1, len);
		out[n++] = *s++;
	}
	out[n] = '\0';
	return s;
}

static double
parse_value(const char *s, const char **end)
{
	char *e;
	double v;

	if (strncmp(s, "+Inf", 4) == 0) {
		*end = s + 4;
		return INFINITY;
	}
	if (strncmp(s, "-Inf", 4) == 0) {
		*end = s + 4;
		return -INFINITY;
	}
	if (strncmp(s, "NaN", 3) == 0) {
		*end = s + 3;
		return NAN;
	}
	v = strtod(s, &e);
	cr_assert(e != s, "bad value at: %s", s);
	*end = e;
	return v;
}

/* Labels "{a="x",b="y"}": fills key (without le) and le. */
static const char *
parse_labels(struct parsed *p, const char *s, char *key, size_t klen,
    double *le, int *has_le)
{
	char lname[64], val[256];

	*has_le = 0;
	if (*s != '{')
		return s;
	s++;
	while (*s != '}') {
		size_t n = 0;

		s = parse_name(s, lname, sizeof(lname), 0);
		cr_assert_eq(*s, '=', "expected = at: %s", s);
		cr_assert_eq(s[1], '"');
		s += 2;
		while (*s != '"') {
			cr_assert_neq(*s, '\0', "unterminated label value");
			cr_assert_neq(*s, '\n');
			if (*s == '\\') {
				s++;
				cr_assert(*s == '\\' || *s == '"' || *s == 'n',
				    "bad escape \\%c", *s);
				val[n++] = *s == 'n' ? '\n' : *s;
			} else {
				val[n++] = *s;
			}
			s++;
			cr_assert_lt(n, sizeof(val));
		}
		val[n] = '\0';
		s++;
		if (strcmp(lname, "le") == 0) {
			const char *e;

			*le = parse_value(val, &e);
			cr_assert_eq(*e, '\0', "bad le %s", val);
			*has_le = 1;
		} else {
			if (strcmp(lname, "route") == 0 && strchr(val, '"'))
				snprintf(p->label_seen, sizeof(p->label_seen),
				    "%s", val);
			strncat(key, lname, klen - strlen(key) - 1);
			strncat(key, "=", klen - strlen(key) - 1);
			strncat(key, val, klen - strlen(key) - 1);
			strncat(key, ";", klen - strlen(key) - 1);
		}
		if (*s == ',')
			s++;
		else
			cr_assert_eq(*s, '}', "expected , or } at: %s", s);
	}
	return s + 1;
}

static void
parse_comment(struct parsed *p, const char *line)
{
	char name[96], kind[8];
	const char *s = line + 2;
	struct fam *f;

	if (strncmp(line, "# HELP ", 7) != 0 && strncmp(line, "# TYPE ", 7) != 0)
		return; /* other comments are allowed */
	memcpy(kind, s, 4);
	kind[4] = '\0';
	s = parse_name(s + 5, name, sizeof(name), 1);
	cr_assert_eq(*s, ' ', "no text after %s %s", kind, name);
	f = fam_get(p, name, 1);
	cr_assert_eq(f->samples, 0, "%s after samples of %s", kind, name);
	if (strcmp(kind, "HELP") == 0) {
		cr_assert_eq(f->help, 0, "two HELP for %s", name);
		f->help = 1;
		return;
	}
	cr_assert_eq(f->type[0], '\0', "two TYPE for %s", name);
	s++;
	cr_assert(strcmp(s, "counter") == 0 || strcmp(s, "gauge") == 0 ||
	    strcmp(s, "histogram") == 0 || strcmp(s, "summary") == 0 ||
	    strcmp(s, "untyped") == 0, "bad type %s", s);
	snprintf(f->type, sizeof(f->type), "%s", s);
}

static struct fam *
family_of(struct parsed *p, const char *name, const char **suffix)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	char base[96];
	struct fam *f;

	*suffix = "";
	if ((f = fam_get(p, name, 0)) != NULL)
		return f;
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(name), m = strlen(sfx[i]);

		if (n > m && strcmp(name + n - m, sfx[i]) == 0) {
			snprintf(base, sizeof(base), "%.*s", (int)(n - m), name);
			f = fam_get(p, base, 0);
			if (f != NULL && strcmp(f->type, "histogram") == 0) {
				*suffix = sfx[i];
				return f;
			}
		}
	}
	return NULL;
}

static void
parse_sample(struct parsed *p, const char *line)
{
	char name[96], key[512] = "";
	const char *s, *suffix;
	double le = 0, v;
	int has_le;
	struct fam *f;

	s = parse_name(line, name, sizeof(name), 1);
	cr_assert_eq(strncmp(name, "caloria_", 8), 0, "no prefix: %s", name);
	s = parse_labels(p, s, key, sizeof(key), &le, &has_le);
	cr_assert_eq(*s, ' ', "expected space before value: %s", line);
	v = parse_value(s + 1, &s);
	if (*s == ' ') { /* optional timestamp */
		char *e;

		(void)strtoll(s + 1, &e, 10);
		s = e;
	}
	cr_assert_eq(*s, '\0', "trailing junk: %s", line);
	f = family_of(p, name, &suffix);
	cr_assert_not_null(f, "sample %s before its TYPE", name);
	cr_assert(f->help && f->type[0], "family %s lacks HELP or TYPE", f->name);
	f->samples++;
	if (strcmp(f->type, "counter") == 0)
		cr_assert_geq(v, 0, "negative counter %s", line);
	if (strcmp(f->type, "histogram") != 0)
		return;
	struct series *se;
	char skey[640];

	snprintf(skey, sizeof(skey), "%s|%s", f->name, key);
	se = ser_get(p, skey);
	if (strcmp(suffix, "_bucket") == 0) {
		cr_assert(has_le, "bucket without le: %s", line);
		cr_assert_gt(le, se->last_le, "le not ascending: %s", line);
		cr_assert_geq(v, se->last_count, "bucket decreases: %s", line);
		se->last_le = le;
		se->last_count = v;
		if (isinf(le)) {
			se->inf_seen = 1;
			se->inf = v;
		}
	} else if (strcmp(suffix, "_count") == 0) {
		se->count_seen = 1;
		se->count = v;
	} else {
		cr_assert_str_eq(suffix, "_sum", "histogram sample %s", name);
	}
}

static void
parse_prometheus(struct parsed *p, const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	size_t len = strlen(text);

	cr_assert_not_null(copy);
	cr_assert_gt(len, 0);
	cr_assert_eq(text[len - 1], '\n', "output must end with a newline");
	memset(p, 0, sizeof(*p));
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			parse_comment(p, line);
		else
			parse_sample(p, line);
	}
	for (int i = 0; i < p->nser; i++) {
		cr_assert(p->ser[i].inf_seen, "%s: no +Inf", p->ser[i].key);
		cr_assert(p->ser[i].count_seen, "%s: no _count", p->ser[i].key);
		cr_assert_eq(p->ser[i].inf, p->ser[i].count,
		    "%s: +Inf != _count", p->ser[i].key);
	}
	for (int i = 0; i < p->nfam; i++)
		cr_assert(p->fam[i].type[0], "%s: no TYPE", p->fam[i].name);
	free(copy);
}

static void
record_some(void)
{
	for (int i = 0; i < 50; i++)
		cal_metrics_request(shm, 1, "webhook_manychat", i % 7 ? 200 : 500,
		    (double)(i * i));
	cal_metrics_request(shm, 2, "health_live", 200, 0.2);
	cal_metrics_request(shm, 7, "we\"ird\\route\nname", 404, 3);
	cal_metrics_error(shm, "not_found");
	cal_metrics_api(shm, "mercadopago", 0, 250);
	cal_metrics_business(shm, "food_logs_text", 2);
}

Test(metrics, prometheus_output_parses)
{
	struct parsed *p = calloc(1, sizeof(*p));
	char *text;

	record_some();
	text = cal_metrics_prometheus(shm);
	cr_assert_not_null(text);
	parse_prometheus(p, text);
	cr_assert_str_eq(p->label_seen, "we\"ird\\route\nname");
	cr_assert_not_null(fam_get(p, "caloria_http_request_duration_seconds",
	    0));
	cr_assert_not_null(fam_get(p, "caloria_cache_hits_total", 0));
	cr_assert_not_null(fam_get(p, "caloria_food_logs_total", 0));
	cr_assert_geq(p->nser, 3 + (int)NPROV);
	cr_assert_not_null(strstr(text, "caloria_http_requests_total{route="
					"\"webhook_manychat\",class=\"5xx\"} 8\n"));
	cr_assert_not_null(strstr(text, "caloria_http_request_duration_seconds_"
					"count{route=\"webhook_manychat\"} 50\n"));
	/* i*i ms for i < 50: 0 and 1 land in le=0.001; 4 (i=2) in 0.005 */
	cr_assert_not_null(strstr(text, "caloria_http_request_duration_seconds_"
		"bucket{route=\"webhook_manychat\",le=\"0.001\"} 2\n"));
	cr_assert_not_null(strstr(text, "caloria_food_logs_total{source="
					"\"text\"} 2\n"));
	cr_assert_not_null(strstr(text, "caloria_external_api_failures_total{"
					"provider=\"mercadopago\"} 1\n"));
	free(text);
	free(p);
}

Test(metrics, prometheus_empty_is_valid)
{
	struct parsed *p = calloc(1, sizeof(*p));
	char *text = cal_metrics_prometheus(shm);

	cr_assert_not_null(text);
	parse_prometheus(p, text);
	free(text);
	free(p);
}

/* ---- a JSON validator (RFC 8259 syntax only) ---- */

static const char *json_value(const char *s);

static const char *
ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *
json_string(const char *s)
{
	cr_assert_eq(*s, '"');
	for (s++; *s != '"'; s++) {
		cr_assert((unsigned char)*s >= 0x20, "control char in string");
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					cr_assert(isxdigit((unsigned char)s[i]));
				s += 4;
			} else {
				cr_assert(strchr("\"\\/bfnrt", *s) != NULL,
				    "bad escape");
			}
		}
	}
	return s + 1;
}

static const char *
json_seq(const char *s, char close, int object)
{
	s = ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (object) {
			s = ws(json_string(ws(s)));
			cr_assert_eq(*s, ':');
			s++;
		}
		s = ws(json_value(ws(s)));
		if (*s == close)
			return s + 1;
		cr_assert_eq(*s, ',', "expected , at: %.20s", s);
		s++;
	}
}

static const char *
json_value(const char *s)
{
	char *e;

	if (*s == '{')
		return json_seq(s, '}', 1);
	if (*s == '[')
		return json_seq(s, ']', 0);
	if (*s == '"')
		return json_string(s);
	if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0)
		return s + 4;
	if (strncmp(s, "false", 5) == 0)
		return s + 5;
	cr_assert(*s == '-' || isdigit((unsigned char)*s), "bad value %.20s", s);
	(void)strtod(s, &e);
	return e;
}

Test(metrics, json_output_is_valid)
{
	char *json;

	record_some();
	json = cal_metrics_json(shm, 12.0);
	cr_assert_not_null(json);
	cr_assert_eq(*ws(json_value(ws(json))), '\0');
	cr_assert_not_null(strstr(json, "\"we\\\"ird\\\\route\\nname\""));
	cr_assert_not_null(strstr(json, "\"webhook_manychat\":{\"total\":50,"));
	cr_assert_not_null(strstr(json, "\"cache\":{\"entries\":0,"));
	cr_assert_not_null(strstr(json, "\"uptime_seconds\":12}"));
	cr_assert_not_null(strstr(json, "\"food_logs_text\":2"));
	free(json);
}

/* Many processes add at once: nothing is lost. */
Test(metrics, concurrent_updates_are_exact)
{
	int n = 4, per = 20000, status;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		cr_assert_neq(pid, -1);
		if (pid == 0) {
			for (int j = 0; j < per; j++) {
				cal_metrics_request(shm, 9, "r9", 200, j % 100);
				cal_metrics_business(shm, "users_created", 1);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < n; i++) {
		cr_assert_neq(wait(&status), -1);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	cr_assert_eq(route_total(&mreg()->routes[9]), (uint64_t)n * per);
	cr_assert_eq(atomic_load(&mreg()->business[0]), (int64_t)n * per);
}
