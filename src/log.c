/*
 * Logging (SPEC §13): one JSON object per line on stderr or log.file. This file owns the line format, the
 * JSON escaping of untrusted bytes, and cal_log_mask(), the one place that decides what a secret looks like
 * in text. Every message and field value goes through the mask before it is written, so callers cannot
 * forget to mask; the price is that some harmless numbers that look like phone numbers are shortened too.
 *
 * Each line is written with a single write(2) on an O_APPEND descriptor, so lines from the pre-forked
 * workers sharing one file never interleave.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "caloria/log.h"
#include "caloria/mem.h"

/* Longest formatted message kept; longer ones are cut (the tail of a huge message is never worth a line). */
#define LOG_MSG_MAX 8192
/* Shortest run of token-like characters treated as a secret on its own (API keys, access tokens). */
#define LOG_SECRET_RUN 32
/* Fewest digits that make a phone number. */
#define LOG_PHONE_DIGITS 7
/* E.164 allows 15 digits; a digit run this long is masked whatever surrounds it. */
#define LOG_PHONE_DIGITS_MAX 20

/* The logger's process state (log.h: "the logger keeps a little process state"). */
static struct {
	cal_log_level level;
	int fd;
	bool own_fd;
	char request_id[65];
	/* Per-line costs paid once: the formatted UTC second of the last line, and the process id (reset in a
	 * forked child by the atfork handler, since every pool worker is a fork of the master). */
	time_t when_sec;
	char when[24];
	long pid;
	bool atfork_set;
} logger = {CAL_LOG_INFO, STDERR_FILENO, false, "", -1, "", 0, false};

static const char *const level_names[CAL_LOG__MAX] = {"debug", "info", "warn", "error"};

int cal_log_level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < CAL_LOG__MAX; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return CAL_LOG_WARN;
	return -1;
}

static void forget_pid(void)
{
	logger.pid = 0;
}

/* The pid is cached only once the fork hook that forgets it is in place. */
static long log_pid(void)
{
	if (!logger.atfork_set)
		return (long)getpid();
	if (logger.pid == 0)
		logger.pid = (long)getpid();
	return logger.pid;
}

int cal_log_init(const char *level_name, const char *path)
{
	int rc = 0;
	int level = CAL_LOG_INFO;

	if (!logger.atfork_set && pthread_atfork(NULL, NULL, forget_pid) == 0) {
		logger.pid = 0;
		logger.atfork_set = true;
	}

	if (level_name != NULL && *level_name != '\0') {
		level = cal_log_level_parse(level_name);
		if (level < 0) {
			/* Keep logging at info rather than going silent; the caller reports the bad name. */
			level = CAL_LOG_INFO;
			rc = -1;
		}
	}
	logger.level = (cal_log_level)level;
	if (path == NULL || *path == '\0') {
		cal_log_close();
		return rc;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	cal_log_close();
	logger.fd = fd;
	logger.own_fd = true;
	return rc;
}

void cal_log_close(void)
{
	if (logger.own_fd)
		close(logger.fd);
	logger.fd = STDERR_FILENO;
	logger.own_fd = false;
}

int cal_log_enabled(cal_log_level level)
{
	return level >= logger.level && level < CAL_LOG__MAX;
}

void cal_log_set_request_id(const char *id)
{
	if (id == NULL) {
		logger.request_id[0] = '\0';
		return;
	}
	size_t n = strnlen(id, sizeof logger.request_id - 1);

	memcpy(logger.request_id, id, n);
	logger.request_id[n] = '\0';
}

/* ---- masking ---------------------------------------------------------------------------------------- */

/* Bounded output for the mask: silently stops at the end of the buffer. */
struct out {
	char *p;
	size_t len;
	size_t cap; /* usable bytes, excluding the NUL */
};

static void out_put(struct out *o, const char *s, size_t n)
{
	size_t room = o->cap - o->len;
	if (n > room)
		n = room;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_char(struct out *o, char c)
{
	out_put(o, &c, 1);
}

static bool is_ident(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static bool is_token_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '+' || c == '=' || c == '~';
}

static bool is_email_local(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* Names whose value is a secret, matched as a whole name or as its last _ - . separated part. */
static const char *const secret_names[] = {
	"token", "key", "apikey", "secret", "password", "passwd", "pwd", "signature", "sig", "v1", "t",
	"credentials",
};

static bool secret_name(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof secret_names / sizeof secret_names[0]; i++) {
		size_t k = strlen(secret_names[i]);
		if (n < k || strncasecmp(s + n - k, secret_names[i], k) != 0)
			continue;
		/* Whole name, or a suffix after a separator: api_key, access_token, x-caloria-token. */
		if (n == k)
			return true;
		/* A one-letter name only counts alone, or "_t" would mask every "format=…". */
		if (k > 1 && (s[n - k - 1] == '_' || s[n - k - 1] == '-' || s[n - k - 1] == '.'))
			return true;
	}
	return false;
}

/* "Bearer <token>" / "Basic <creds>": keeps the scheme, hides the credential. */
static size_t mask_bearer(const char *s, size_t n, size_t i, struct out *o)
{
	static const char *const schemes[] = {"bearer", "basic"};

	for (size_t k = 0; k < 2; k++) {
		size_t sl = strlen(schemes[k]);
		if (n - i <= sl || strncasecmp(s + i, schemes[k], sl) != 0)
			continue;
		size_t j = i + sl;
		if (s[j] != ' ' && s[j] != '\t')
			continue;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		size_t v = j;
		while (j < n && !isspace((unsigned char)s[j]) && s[j] != '"' && s[j] != '\'' && s[j] != ',' &&
		       s[j] != ';')
			j++;
		if (j == v)
			continue;
		out_put(o, s + i, v - i);
		out_put(o, "***", 3);
		return j - i;
	}
	return 0;
}

/* Telegram bot credentials "bot<id>:<token>", alone or inside api.telegram.org/file/… URLs. */
static size_t mask_telegram(const char *s, size_t n, size_t i, struct out *o)
{
	if (n - i < 4 || strncasecmp(s + i, "bot", 3) != 0)
		return 0;
	size_t j = i + 3;
	size_t d = j;
	while (j < n && isdigit((unsigned char)s[j]))
		j++;
	if (j - d < 3 || j >= n || s[j] != ':')
		return 0;
	j++;
	size_t t = j;
	while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-'))
		j++;
	if (j - t < 10)
		return 0;
	out_put(o, "bot***", 6);
	return j - i;
}

/* name=value, name: value, "name":"value" where name is a secret name (see secret_name). */
static size_t mask_keyvalue(const char *s, size_t n, size_t i, struct out *o)
{
	size_t j = i;
	while (j < n && is_ident((unsigned char)s[j]))
		j++;
	if (j == i || !secret_name(s + i, j - i))
		return 0;
	if (j < n && s[j] == '"' && i > 0 && s[i - 1] == '"')
		j++;
	while (j < n && s[j] == ' ')
		j++;
	if (j >= n || (s[j] != '=' && s[j] != ':'))
		return 0;
	j++;
	while (j < n && s[j] == ' ')
		j++;
	char quote = 0;
	if (j < n && (s[j] == '"' || s[j] == '\'')) {
		quote = s[j];
		j++;
	}
	size_t v = j;
	if (quote) {
		while (j < n && s[j] != quote) {
			if (s[j] == '\\' && j + 1 < n)
				j++;
			j++;
		}
	} else {
		while (j < n && !isspace((unsigned char)s[j]) && strchr("&\"',;)<>", s[j]) == NULL)
			j++;
	}
	if (j == v)
		return 0;
	out_put(o, s + i, v - i);
	out_put(o, "***", 3);
	return j - i;
}

/* local@domain.tld → l***@d***.tld */
static size_t mask_email(const char *s, size_t n, size_t i, struct out *o)
{
	size_t j = i;
	while (j < n && is_email_local((unsigned char)s[j]))
		j++;
	if (j == i || j >= n || s[j] != '@')
		return 0;
	size_t d = ++j;
	while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '.'))
		j++;
	/* A trailing dot ends the sentence, not the domain. */
	while (j > d && s[j - 1] == '.')
		j--;
	size_t dot = j;
	while (dot > d && s[dot - 1] != '.')
		dot--;
	if (dot <= d + 1 || j - dot < 2)
		return 0;
	dot--; /* at the '.' */
	for (size_t k = dot + 1; k < j; k++)
		if (!isalpha((unsigned char)s[k]))
			return 0;
	out_char(o, s[i]);
	out_put(o, "***@", 4);
	out_char(o, s[d]);
	out_put(o, "***", 3);
	out_put(o, s + dot, j - dot);
	return j - i;
}

/* A long run of token characters with letters and digits: API keys and access tokens seen bare. */
static size_t mask_secret_run(const char *s, size_t n, size_t i, struct out *o)
{
	size_t j = i;
	bool alpha = false, digit = false;
	while (j < n && is_token_char((unsigned char)s[j])) {
		alpha = alpha || isalpha((unsigned char)s[j]);
		digit = digit || isdigit((unsigned char)s[j]);
		j++;
	}
	if (j - i < LOG_SECRET_RUN || !alpha || !digit)
		return 0;
	out_put(o, "***", 3);
	return j - i;
}

/* dddd-dd-dd is a date, not a phone number. */
static bool looks_like_date(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-dd";
	if (n != sizeof shape - 1)
		return false;
	for (size_t k = 0; k < n; k++)
		if (shape[k] == 'd' ? !isdigit((unsigned char)s[k]) : s[k] != shape[k])
			return false;
	return true;
}

static bool phone_sep(char c)
{
	return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.';
}

/* +54 9 11 1234-5678 → ***78: seven or more digits, groups joined by at most two of " -()." */
static size_t mask_phone(const char *s, size_t n, size_t i, struct out *o)
{
	size_t j = i;
	size_t digits = 0, end = i;
	bool dotted = false;
	if (s[j] == '+' || s[j] == '(')
		j++;
	while (j < n) {
		if (isdigit((unsigned char)s[j])) {
			digits++;
			end = ++j;
			continue;
		}
		size_t k = j;
		while (k < n && k - j < 2 && phone_sep(s[k]))
			k++;
		if (k == j || k >= n || !isdigit((unsigned char)s[k]))
			break;
		dotted = dotted || memchr(s + j, '.', k - j) != NULL;
		j = k;
	}
	if (digits < LOG_PHONE_DIGITS)
		return 0;
	/*
	 * Part of a longer word: not a phone. Past LOG_PHONE_DIGITS_MAX digits the run is masked whatever
	 * follows, so only short scans can fail and the whole mask stays linear in its input.
	 */
	if (digits < LOG_PHONE_DIGITS_MAX && end < n && (isalpha((unsigned char)s[end]) || s[end] == '_'))
		return 0;
	if (dotted && digits <= 12 && memchr(s + i, '.', end - i) != NULL) {
		size_t dots = 0;
		for (size_t k = i; k < end; k++)
			dots += s[k] == '.';
		if (dots == 1 || dots == 3)
			return 0; /* a decimal number or an IPv4 address */
	}
	if (looks_like_date(s + i, end - i))
		return 0;
	char last[2];
	size_t k = end, got = 0;
	while (k > i && got < 2) {
		k--;
		if (isdigit((unsigned char)s[k]))
			last[1 - got++] = s[k];
	}
	out_put(o, "***", 3);
	out_put(o, last, 2);
	return end - i;
}

void cal_log_mask(const char *s, char *out, size_t outlen)
{
	if (out == NULL || outlen == 0)
		return;
	struct out o = {out, 0, outlen - 1};
	size_t n = s ? strlen(s) : 0;
	size_t i = 0;

	while (i < n && o.len < o.cap) {
		unsigned char prev = i > 0 ? (unsigned char)s[i - 1] : ' ';
		size_t used = 0;
		if (!isalnum(prev)) {
			used = mask_bearer(s, n, i, &o);
			if (!used)
				used = mask_telegram(s, n, i, &o);
		}
		if (!used && !is_ident(prev))
			used = mask_keyvalue(s, n, i, &o);
		if (!used && !is_email_local(prev))
			used = mask_email(s, n, i, &o);
		if (!used && !is_token_char(prev))
			used = mask_secret_run(s, n, i, &o);
		if (!used && !isalnum(prev) && prev != '.' && prev != '_' && prev != '+' &&
		    (isdigit((unsigned char)s[i]) || s[i] == '+' || s[i] == '('))
			used = mask_phone(s, n, i, &o);
		if (used) {
			i += used;
			continue;
		}
		out_char(&o, s[i]);
		i++;
	}
	out[o.len] = '\0';
}

/* ---- JSON line building ----------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1–4), or 0 when the bytes are not valid UTF-8. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	unsigned cp = c & (0x7f >> len);
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Appends s as a JSON string body (no quotes): control characters escaped, bad UTF-8 → U+FFFD. */
static void json_escape(cal_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		/* Printable ASCII other than '"' and '\\' is copied as one run, not byte by byte. */
		size_t run = 0;
		while (i + run < n && p[i + run] >= 0x20 && p[i + run] < 0x7f && p[i + run] != '"' && p[i + run] != '\\')
			run++;
		if (run > 0) {
			cal_buf_append(b, p + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			cal_buf_append(b, e, 2);
			i++;
		} else if (c == '\n') {
			cal_buf_append(b, "\\n", 2);
			i++;
		} else if (c == '\r') {
			cal_buf_append(b, "\\r", 2);
			i++;
		} else if (c == '\t') {
			cal_buf_append(b, "\\t", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			cal_buf_printf(b, "\\u%04x", c);
			i++;
		} else {
			size_t len = utf8_seq(p + i, n - i);
			if (len == 0) {
				cal_buf_append(b, "\xef\xbf\xbd", 3);
				i++;
			} else {
				cal_buf_append(b, p + i, len);
				i += len;
			}
		}
	}
}

/*
 * True when cal_log_mask() would return s[0..n) unchanged. Every masker needs one of: a blank (bearer),
 * ':' or '=' (key=value, Telegram), '@' (e-mail), LOG_PHONE_DIGITS digits (phone), or a run of
 * LOG_SECRET_RUN token characters. Route names, methods, most paths and IPv4 addresses have none of them,
 * and then one cheap scan replaces the whole mask.
 */
static bool mask_is_identity(const char *s, size_t n)
{
	size_t digits = 0, run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == ':' || c == '=' || c == '@')
			return false;
		digits += isdigit(c) != 0;
		run = is_token_char(c) ? run + 1 : 0;
		if (digits >= LOG_PHONE_DIGITS || run >= LOG_SECRET_RUN)
			return false;
	}
	return true;
}

/* Appends ,"key":"<masked, escaped value>". */
static void field_masked(cal_buf *b, const char *key, const char *value)
{
	cal_buf_puts(b, ",\"");
	json_escape(b, key);
	if (value == NULL) {
		cal_buf_puts(b, "\":null");
		return;
	}
	size_t n = strnlen(value, LOG_MSG_MAX);
	if (value[n] == '\0' && mask_is_identity(value, n)) {
		cal_buf_puts(b, "\":\"");
		json_escape(b, value);
		cal_buf_puts(b, "\"");
		return;
	}
	char *cut = cal_strndup(value, n);
	size_t cap = 2 * n + 16;
	char *masked = cal_malloc(cap);
	cal_log_mask(cut, masked, cap);
	cal_buf_puts(b, "\":\"");
	json_escape(b, masked);
	cal_buf_puts(b, "\"");
	free(masked);
	free(cut);
}

/* Appends v in decimal, at least width digits (zero-padded). */
static void put_uint(cal_buf *b, unsigned long long v, int width)
{
	char t[24];
	int n = 0;

	do {
		t[sizeof t - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < (int)sizeof t);
	while (n < width && n < (int)sizeof t)
		t[sizeof t - 1 - n++] = '0';
	cal_buf_append(b, t + sizeof t - n, (size_t)n);
}

/* "2026-01-02T03:04:05" of the current second; gmtime and strftime run once a second, not once a line. */
static const char *utc_second(time_t sec)
{
	struct tm tm;

	if (sec != logger.when_sec) {
		if (gmtime_r(&sec, &tm) == NULL ||
		    strftime(logger.when, sizeof logger.when, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			snprintf(logger.when, sizeof logger.when, "1970-01-01T00:00:00");
		logger.when_sec = sec;
	}
	return logger.when;
}

static void line_start(cal_buf *b, cal_log_level level, const char *category)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
	}
	cal_buf_puts(b, "{\"ts\":\"");
	cal_buf_puts(b, utc_second(ts.tv_sec));
	cal_buf_puts(b, ".");
	put_uint(b, (unsigned long long)(ts.tv_nsec / 1000000L), 3);
	cal_buf_puts(b, "Z\",\"level\":\"");
	cal_buf_puts(b, level_names[level]);
	cal_buf_puts(b, "\",\"category\":\"");
	json_escape(b, category ? category : "app");
	cal_buf_puts(b, "\",\"request_id\":\"");
	json_escape(b, logger.request_id);
	cal_buf_puts(b, "\",\"pid\":");
	put_uint(b, (unsigned long long)log_pid(), 1);
}

/* One write(2) per line; a short write on a pipe is finished, never interleaved with our own next line. */
static void line_write(cal_buf *b)
{
	cal_buf_puts(b, "}\n");
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(logger.fd, b->data + off, b->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (size_t)w;
	}
}

static void log_fields_v(cal_log_level level, const char *category, const char *msg, va_list ap)
{
	cal_buf b;
	cal_buf_init(&b);
	line_start(&b, level, category);
	field_masked(&b, "msg", msg ? msg : "");
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (key == NULL)
			break;
		const char *value = va_arg(ap, const char *);
		field_masked(&b, key, value);
	}
	line_write(&b);
	cal_buf_free(&b);
}

void cal_log(cal_log_level level, const char *category, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	if (!cal_log_enabled(level))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(msg, sizeof msg, "(unformattable log message)");
	cal_log_fields(level, category, msg, NULL);
}

void cal_log_fields(cal_log_level level, const char *category, const char *msg, ...)
{
	va_list ap;

	if (!cal_log_enabled(level))
		return;
	va_start(ap, msg);
	log_fields_v(level, category, msg, ap);
	va_end(ap);
}

void cal_log_access(const char *method, const char *route, const char *path, int status, double duration_ms,
		    const char *client_ip, const char *error_code)
{
	cal_log_level level = status >= 500 ? CAL_LOG_ERROR : CAL_LOG_INFO;
	const char *category = (route != NULL && strncmp(route, "webhook", 7) == 0) ? "webhook" : "api";
	cal_buf b;

	if (!cal_log_enabled(level))
		return;
	cal_buf_init(&b);
	line_start(&b, level, category);
	field_masked(&b, "msg", "access");
	field_masked(&b, "method", method ? method : "");
	field_masked(&b, "route", route ? route : "");
	field_masked(&b, "path", path ? path : "");
	/* What "%d" and "%.3f" would print, without a printf per line. */
	double ms = duration_ms >= 0 && duration_ms < 1e12 ? duration_ms : 0.0;
	unsigned long long us = (unsigned long long)llround(ms * 1000.0);
	cal_buf_puts(&b, ",\"status\":");
	if (status < 0)
		cal_buf_puts(&b, "-");
	put_uint(&b, (unsigned long long)(status < 0 ? -(long long)status : status), 1);
	cal_buf_puts(&b, ",\"duration_ms\":");
	put_uint(&b, us / 1000, 1);
	cal_buf_puts(&b, ".");
	put_uint(&b, us % 1000, 3);
	field_masked(&b, "client_ip", client_ip ? client_ip : "");
	if (error_code != NULL && *error_code != '\0')
		field_masked(&b, "error", error_code);
	line_write(&b);
	cal_buf_free(&b);
}
