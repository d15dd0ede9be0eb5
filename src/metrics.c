/*
 * metrics.c — owns the metrics region of the shared file and its two
 * renderings.  Every counter is a relaxed C11 atomic: no locks, so a worker
 * killed mid-update can at worst lose its own increment, never wedge or
 * corrupt anything.  Histograms store per-bucket (non-cumulative) counts and
 * renderers derive the total from the buckets, so +Inf always equals _count
 * even while other workers are writing.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caloria/cache.h"
#include "caloria/metrics.h"
#include "caloria/ratelimit.h"
#include "caloria/shm.h"

#define REGION_MAGIC UINT64_C(0x3152544d4c4c4143) /* "CALLMTR1" */
#define NBUCKETS 13

/* Upper bounds in ms (Prometheus `le`, rendered in seconds). */
static const double bucket_ms[NBUCKETS] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
static const char *const bucket_le[NBUCKETS + 1] = {"0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1",
						    "0.25",  "0.5",   "1",     "2.5",  "5",     "10",   "+Inf"};
static const char *const bucket_le_ms[NBUCKETS + 1] = {"1",   "2",   "5",    "10",   "25",   "50",    "100",
						       "250", "500", "1000", "2500", "5000", "10000", "+Inf"};

/* §4.1 error codes; the last slot counts anything else. */
static const struct {
	const char *code;
	const char *category;
} err_codes[] = {
	{"invalid_json", "client"},      {"validation_error", "client"},
	{"unauthorized", "client"},      {"forbidden", "client"},
	{"not_found", "client"},         {"method_not_allowed", "client"},
	{"payload_too_large", "client"}, {"unsupported_media_type", "client"},
	{"rate_limited", "client"},      {"conflict", "client"},
	{"internal_error", "server"},    {"upstream_error", "server"},
	{"unavailable", "server"},       {"unknown", "server"},
};
#define NERR (sizeof(err_codes) / sizeof(err_codes[0]))

static const char *const providers[] = {"manychat",      "mercadopago",   "spoonacular", "gemini",
					"google_speech", "google_vision", "telegram",    "unknown"};
#define NPROV (sizeof(providers) / sizeof(providers[0]))

/* Business counters → Prometheus metric (+ optional label), grouped so that
 * one family is contiguous. */
static const struct {
	const char *name;
	const char *metric;
	const char *label; /* source="…" or NULL */
	const char *help;
} biz[] = {
	{"users_created", "caloria_users_created_total", NULL, "Users created."},
	{"quizzes_completed", "caloria_quizzes_completed_total", NULL, "Onboarding quizzes completed."},
	{"food_logs_text", "caloria_food_logs_total", "text", "Food logs by source."},
	{"food_logs_image", "caloria_food_logs_total", "image", "Food logs by source."},
	{"food_logs_audio", "caloria_food_logs_total", "audio", "Food logs by source."},
	{"trials_started", "caloria_trials_started_total", NULL, "Trials started."},
	{"subscriptions_activated", "caloria_subscriptions_activated_total", NULL, "Subscriptions activated."},
	{"payments_approved", "caloria_payments_approved_total", NULL, "Payments approved."},
	{"unknown", "caloria_business_unknown_total", NULL, "Business events recorded under an unknown name (a bug)."},
};
#define NBIZ (sizeof(biz) / sizeof(biz[0]))

struct hist {
	_Atomic uint64_t b[NBUCKETS + 1]; /* per bucket; last = over 10 s */
	_Atomic uint64_t sum_us;
};

struct route {
	_Atomic uint32_t state; /* 0 unnamed, 1 naming, 2 named */
	char name[CAL_METRICS_ROUTE_NAME];
	_Atomic uint64_t status[5]; /* 1xx..5xx */
	struct hist lat;
};

struct api {
	_Atomic uint64_t calls, failures;
	struct hist lat;
};

struct region {
	uint64_t magic;
	uint32_t nroutes, nerr, nprov, nbiz;
	struct route routes[CAL_METRICS_MAX_ROUTES];
	_Atomic uint64_t errors[NERR];
	struct api api[NPROV];
	_Atomic int64_t business[NBIZ];
};

static struct region *region(cal_shm *shm)
{
	size_t len;

	return cal_shm_region(shm, &cal_metrics_tenant, &len);
}

static void inc(_Atomic uint64_t *p, uint64_t n)
{
	atomic_fetch_add_explicit(p, n, memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

/* Index of name in a table of n entries whose first member is the name
 * (stride = entry size); unknown → the last slot, "unknown". */
static size_t lookup(const char *name, const char *const *tab, size_t stride, size_t n)
{
	for (size_t i = 0; name != NULL && i + 1 < n; i++) {
		const char *t = *(const char *const *)(const void *)((const char *)tab + i * stride);

		if (strcmp(name, t) == 0)
			return i;
	}
	return n - 1;
}

static void observe(struct hist *h, double ms)
{
	size_t i = 0;

	if (!(ms >= 0) || ms > 1e12) /* NaN, negative, absurd */
		ms = 0;
	while (i < NBUCKETS && ms > bucket_ms[i])
		i++;
	inc(&h->b[i], 1);
	inc(&h->sum_us, (uint64_t)llround(ms * 1000.0));
}

/* ---- recording ---- */

static void name_route(struct route *r, const char *name)
{
	uint32_t expect = 0;

	if (name == NULL || atomic_load_explicit(&r->state, memory_order_acquire) == 2)
		return;
	if (!atomic_compare_exchange_strong(&r->state, &expect, 1))
		return; /* someone else is naming it */
	snprintf(r->name, sizeof(r->name), "%s", name);
	atomic_store_explicit(&r->state, 2, memory_order_release);
}

void cal_metrics_request(cal_shm *shm, int route_index, const char *route_name, int status, double duration_ms)
{
	struct route *r;
	int cls = status / 100 - 1;

	if (route_index < 0 || route_index >= CAL_METRICS_MAX_ROUTES)
		return;
	r = &region(shm)->routes[route_index];
	name_route(r, route_name);
	if (cls < 0 || cls > 4)
		cls = 4; /* a status outside 1xx..5xx is a server bug */
	inc(&r->status[cls], 1);
	observe(&r->lat, duration_ms);
}

void cal_metrics_error(cal_shm *shm, const char *code)
{
	size_t i = lookup(code, &err_codes[0].code, sizeof(err_codes[0]), NERR);

	inc(&region(shm)->errors[i], 1);
}

void cal_metrics_api(cal_shm *shm, const char *provider, int ok, double ms)
{
	struct api *a = &region(shm)->api[lookup(provider, providers, sizeof(providers[0]), NPROV)];

	inc(&a->calls, 1);
	if (!ok)
		inc(&a->failures, 1);
	observe(&a->lat, ms);
}

void cal_metrics_business(cal_shm *shm, const char *counter, long long delta)
{
	size_t i = lookup(counter, &biz[0].name, sizeof(biz[0]), NBIZ);

	atomic_fetch_add_explicit(&region(shm)->business[i], (int64_t)delta, memory_order_relaxed);
}

int cal_metrics_api_counts(cal_shm *shm, const char *provider, unsigned long long *calls, unsigned long long *failures)
{
	size_t i = lookup(provider, providers, sizeof(providers[0]), NPROV);

	if (i == NPROV - 1)
		return -1;
	*calls = get(&region(shm)->api[i].calls);
	*failures = get(&region(shm)->api[i].failures);
	return 0;
}

/* ---- text building ---- */

struct sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap * 2 + (size_t)n;
		char *np = realloc(b->p, ncap);

		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

static int sb_init(struct sb *b)
{
	b->cap = 8192;
	b->len = 0;
	b->oom = 0;
	b->p = malloc(b->cap);
	if (b->p == NULL)
		return -ENOMEM;
	b->p[0] = '\0';
	return 0;
}

static char *sb_finish(struct sb *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/* Escape for a Prometheus label value or a JSON string (same three rules
 * plus control characters for JSON). */
static void sb_escaped(struct sb *b, const char *s, int json)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == '"')
			sb_printf(b, "\\%c", c);
		else if (c == '\n')
			sb_printf(b, "\\n");
		else if (json && c < 0x20)
			sb_printf(b, "\\u%04x", c);
		else
			sb_printf(b, "%c", c);
	}
}

/* Route name for output: stored name, else a stable fallback. */
static const char *route_name(struct route *r, int i, char *buf, size_t len)
{
	if (atomic_load_explicit(&r->state, memory_order_acquire) == 2 &&
	    memchr(r->name, '\0', sizeof(r->name)) != NULL)
		return r->name;
	snprintf(buf, len, "route_%d", i);
	return buf;
}

static uint64_t route_total(struct route *r)
{
	uint64_t n = 0;

	for (int c = 0; c < 5; c++)
		n += get(&r->status[c]);
	return n;
}

struct proc {
	long pid;
	unsigned long long rss, shared;
};

static void proc_stats(struct proc *p)
{
	unsigned long long size = 0, rss = 0, shared = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");

	if (f != NULL) {
		if (fscanf(f, "%llu %llu %llu", &size, &rss, &shared) != 3)
			rss = shared = 0;
		fclose(f);
	}
	if (page < 0)
		page = 4096;
	p->pid = (long)getpid();
	p->rss = rss * (unsigned long long)page;
	p->shared = shared * (unsigned long long)page;
}

/* ---- Prometheus text format 0.0.4 ---- */

static void prom_head(struct sb *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_hist(struct sb *b, const char *name, const char *lname, const char *lval, struct hist *h)
{
	uint64_t cum = 0;

	for (int i = 0; i <= NBUCKETS; i++) {
		cum += get(&h->b[i]);
		sb_printf(b, "%s_bucket{%s=\"", name, lname);
		sb_escaped(b, lval, 0);
		sb_printf(b, "\",le=\"%s\"} %llu\n", bucket_le[i], (unsigned long long)cum);
	}
	sb_printf(b, "%s_sum{%s=\"", name, lname);
	sb_escaped(b, lval, 0);
	sb_printf(b, "\"} %.6f\n", (double)get(&h->sum_us) / 1e6);
	sb_printf(b, "%s_count{%s=\"", name, lname);
	sb_escaped(b, lval, 0);
	sb_printf(b, "\"} %llu\n", (unsigned long long)cum);
}

static void prom_requests(struct sb *b, struct region *m)
{
	static const char *const cls[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
	char nb[32];

	prom_head(b, "caloria_http_requests_total", "counter", "HTTP requests by route and status class.");
	for (int i = 0; i < CAL_METRICS_MAX_ROUTES; i++) {
		struct route *r = &m->routes[i];

		if (route_total(r) == 0)
			continue;
		for (int c = 0; c < 5; c++) {
			sb_printf(b, "caloria_http_requests_total{route=\"");
			sb_escaped(b, route_name(r, i, nb, sizeof(nb)), 0);
			sb_printf(b, "\",class=\"%s\"} %llu\n", cls[c], (unsigned long long)get(&r->status[c]));
		}
	}
	prom_head(b, "caloria_http_request_duration_seconds", "histogram", "HTTP request latency by route.");
	for (int i = 0; i < CAL_METRICS_MAX_ROUTES; i++) {
		struct route *r = &m->routes[i];

		if (route_total(r) != 0)
			prom_hist(b, "caloria_http_request_duration_seconds", "route", route_name(r, i, nb, sizeof(nb)),
				  &r->lat);
	}
}

static void prom_errors_apis(struct sb *b, struct region *m)
{
	prom_head(b, "caloria_errors_total", "counter", "Error responses by code and category.");
	for (size_t i = 0; i < NERR; i++)
		sb_printf(b,
			  "caloria_errors_total{code=\"%s\",category=\"%s\"}"
			  " %llu\n",
			  err_codes[i].code, err_codes[i].category, (unsigned long long)get(&m->errors[i]));
	prom_head(b, "caloria_external_api_calls_total", "counter", "External API calls by provider.");
	for (size_t i = 0; i < NPROV; i++)
		sb_printf(b,
			  "caloria_external_api_calls_total{provider=\"%s\"} "
			  "%llu\n",
			  providers[i], (unsigned long long)get(&m->api[i].calls));
	prom_head(b, "caloria_external_api_failures_total", "counter", "Failed external API calls by provider.");
	for (size_t i = 0; i < NPROV; i++)
		sb_printf(b,
			  "caloria_external_api_failures_total{provider="
			  "\"%s\"} %llu\n",
			  providers[i], (unsigned long long)get(&m->api[i].failures));
	prom_head(b, "caloria_external_api_duration_seconds", "histogram", "External API call latency by provider.");
	for (size_t i = 0; i < NPROV; i++)
		prom_hist(b, "caloria_external_api_duration_seconds", "provider", providers[i], &m->api[i].lat);
}

static void prom_business(struct sb *b, struct region *m)
{
	for (size_t i = 0; i < NBIZ; i++) {
		long long v = (long long)atomic_load_explicit(&m->business[i], memory_order_relaxed);

		if (i == 0 || strcmp(biz[i].metric, biz[i - 1].metric) != 0)
			prom_head(b, biz[i].metric, "counter", biz[i].help);
		if (biz[i].label != NULL)
			sb_printf(b, "%s{source=\"%s\"} %lld\n", biz[i].metric, biz[i].label, v);
		else
			sb_printf(b, "%s %lld\n", biz[i].metric, v);
	}
}

static void prom_one(struct sb *b, const char *name, const char *type, const char *help, unsigned long long v)
{
	prom_head(b, name, type, help);
	sb_printf(b, "%s %llu\n", name, v);
}

static void prom_state(struct sb *b, cal_shm *shm)
{
	struct cal_cache_stats cs;
	struct cal_ratelimit_stats rs;
	struct proc p;

	(void)cal_cache_stats(shm, &cs);
	(void)cal_ratelimit_stats(shm, &rs);
	proc_stats(&p);
	prom_one(b, "caloria_cache_entries", "gauge", "Live cache entries.", cs.entries);
	prom_one(b, "caloria_cache_capacity_bytes", "gauge", "Bytes of cache item slots.", cs.capacity_bytes);
	prom_one(b, "caloria_cache_used_bytes", "gauge", "Bytes of cache item slots in use.", cs.used_bytes);
	prom_one(b, "caloria_cache_hits_total", "counter", "Cache hits.", cs.hits);
	prom_one(b, "caloria_cache_misses_total", "counter", "Cache misses.", cs.misses);
	prom_one(b, "caloria_cache_evictions_total", "counter", "Unexpired cache entries evicted.", cs.evictions);
	prom_one(b, "caloria_ratelimit_allowed_total", "counter", "Requests counted by the rate limiter.", rs.allowed);
	prom_one(b, "caloria_ratelimit_limited_total", "counter", "Requests refused by the rate limiter.", rs.limited);
	prom_one(b, "caloria_shm_lock_repairs_total", "counter", "Shared-memory locks recovered from a dead worker.",
		 (unsigned long long)cal_shm_repairs(shm));
	prom_one(b, "caloria_process_resident_memory_bytes", "gauge", "Resident memory of the answering worker.",
		 p.rss);
	prom_one(b, "caloria_pool_start_time_seconds", "gauge",
		 "Unix time the shared file (the pool's shared state) was created.",
		 (unsigned long long)cal_shm_created(shm));
}

char *cal_metrics_prometheus(cal_shm *shm)
{
	struct region *m = region(shm);
	struct sb b;

	if (sb_init(&b) != 0)
		return NULL;
	prom_requests(&b, m);
	prom_errors_apis(&b, m);
	prom_business(&b, m);
	prom_state(&b, shm);
	return sb_finish(&b);
}

/* ---- JSON (/health/metrics) ---- */

static void json_hist(struct sb *b, struct hist *h)
{
	uint64_t cum = 0;

	sb_printf(b, "{\"buckets\":{");
	for (int i = 0; i <= NBUCKETS; i++) {
		cum += get(&h->b[i]);
		sb_printf(b, "%s\"%s\":%llu", i ? "," : "", bucket_le_ms[i], (unsigned long long)cum);
	}
	sb_printf(b, "},\"sum\":%.3f,\"count\":%llu,\"avg\":%.3f}", (double)get(&h->sum_us) / 1e3,
		  (unsigned long long)cum, cum ? (double)get(&h->sum_us) / 1e3 / (double)cum : 0.0);
}

static void json_requests(struct sb *b, struct region *m)
{
	char nb[32];
	int first = 1;

	sb_printf(b, "\"requests\":{");
	for (int i = 0; i < CAL_METRICS_MAX_ROUTES; i++) {
		struct route *r = &m->routes[i];
		uint64_t n = route_total(r);

		if (n == 0)
			continue;
		sb_printf(b, "%s\"", first ? "" : ",");
		first = 0;
		sb_escaped(b, route_name(r, i, nb, sizeof(nb)), 1);
		sb_printf(b, "\":{\"total\":%llu,\"by_status\":{", (unsigned long long)n);
		for (int c = 0; c < 5; c++)
			sb_printf(b, "%s\"%dxx\":%llu", c ? "," : "", c + 1, (unsigned long long)get(&r->status[c]));
		sb_printf(b, "},\"latency_ms\":");
		json_hist(b, &r->lat);
		sb_printf(b, "}");
	}
	sb_printf(b, "}");
}

static void json_errors_apis(struct sb *b, struct region *m)
{
	sb_printf(b, ",\"errors\":{");
	for (size_t i = 0; i < NERR; i++)
		sb_printf(b, "%s\"%s\":{\"count\":%llu,\"category\":\"%s\"}", i ? "," : "", err_codes[i].code,
			  (unsigned long long)get(&m->errors[i]), err_codes[i].category);
	sb_printf(b, "},\"external_apis\":{");
	for (size_t i = 0; i < NPROV; i++) {
		sb_printf(b,
			  "%s\"%s\":{\"calls\":%llu,\"failures\":%llu,"
			  "\"latency_ms\":",
			  i ? "," : "", providers[i], (unsigned long long)get(&m->api[i].calls),
			  (unsigned long long)get(&m->api[i].failures));
		json_hist(b, &m->api[i].lat);
		sb_printf(b, "}");
	}
	sb_printf(b, "},\"business\":{");
	for (size_t i = 0; i < NBIZ; i++)
		sb_printf(b, "%s\"%s\":%lld", i ? "," : "", biz[i].name,
			  (long long)atomic_load_explicit(&m->business[i], memory_order_relaxed));
	sb_printf(b, "}");
}

static void json_state(struct sb *b, cal_shm *shm, double uptime_s)
{
	struct cal_cache_stats cs;
	struct cal_ratelimit_stats rs;
	struct proc p;
	uint64_t lookups;

	(void)cal_cache_stats(shm, &cs);
	(void)cal_ratelimit_stats(shm, &rs);
	proc_stats(&p);
	lookups = cs.hits + cs.misses;
	sb_printf(b,
		  ",\"cache\":{\"entries\":%llu,\"capacity_bytes\":%llu,"
		  "\"used_bytes\":%llu,\"hits\":%llu,\"misses\":%llu,"
		  "\"hit_rate\":%.4f,\"evictions\":%llu}",
		  (unsigned long long)cs.entries, (unsigned long long)cs.capacity_bytes,
		  (unsigned long long)cs.used_bytes, (unsigned long long)cs.hits, (unsigned long long)cs.misses,
		  lookups ? (double)cs.hits / (double)lookups : 0.0, (unsigned long long)cs.evictions);
	sb_printf(b,
		  ",\"rate_limit\":{\"allowed\":%llu,\"limited\":%llu,"
		  "\"evictions\":%llu,\"capacity\":%llu}",
		  (unsigned long long)rs.allowed, (unsigned long long)rs.limited, (unsigned long long)rs.evictions,
		  (unsigned long long)rs.capacity);
	sb_printf(b,
		  ",\"shared_memory\":{\"size_bytes\":%zu,"
		  "\"lock_repairs\":%llu}",
		  cal_shm_size(shm), (unsigned long long)cal_shm_repairs(shm));
	sb_printf(b,
		  ",\"process\":{\"pid\":%ld,\"rss_bytes\":%llu,"
		  "\"rss_shared_bytes\":%llu,\"uptime_seconds\":%.0f}",
		  p.pid, p.rss, p.shared, uptime_s < 0 || uptime_s != uptime_s ? 0.0 : uptime_s);
}

char *cal_metrics_json(cal_shm *shm, double uptime_s)
{
	struct region *m = region(shm);
	struct sb b;

	if (sb_init(&b) != 0)
		return NULL;
	sb_printf(&b, "{");
	json_requests(&b, m);
	json_errors_apis(&b, m);
	json_state(&b, shm, uptime_s);
	sb_printf(&b, "}");
	return sb_finish(&b);
}

/* ---- the region as a tenant of the shared file (shm.c, under its
 * creation lock) ---- */

static size_t region_size(size_t total, size_t left)
{
	(void)total;
	(void)left;
	return sizeof(struct region);
}

static int region_init(void *base, size_t len)
{
	struct region *m = base;

	if (len < sizeof(*m))
		return -EINVAL;
	memset(m, 0, sizeof(*m)); /* all-zero atomics are valid zeros */
	m->nroutes = CAL_METRICS_MAX_ROUTES;
	m->nerr = NERR;
	m->nprov = NPROV;
	m->nbiz = NBIZ;
	m->magic = REGION_MAGIC;
	return 0;
}

static int region_check(const void *base, size_t len)
{
	const struct region *m = base;

	if (len < sizeof(*m) || m->magic != REGION_MAGIC || m->nroutes != CAL_METRICS_MAX_ROUTES || m->nerr != NERR ||
	    m->nprov != NPROV || m->nbiz != NBIZ)
		return -EINVAL;
	return 0;
}

const cal_shm_tenant cal_metrics_tenant = {
	.name = "metrics", .size = region_size, .init = region_init, .check = region_check};
