/*
 * Checked allocation, the per-request arena and the growable buffer. The arena is a list of chunks; big
 * requests get a chunk of their own so a 1 MB body does not make every later chunk 1 MB.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caloria/mem.h"

#define ARENA_ALIGN 16

struct cal_arena_chunk {
	cal_arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void cal_oom(size_t n)
{
	/* The logger may itself need memory, so write the line by hand. */
	char line[128];
	int len = snprintf(line, sizeof line,
			   "{\"level\":\"error\",\"category\":\"app\",\"msg\":\"out of memory (%zu bytes); exiting\"}\n", n);
	if (len > 0 && write(2, line, (size_t)len) < 0)
		_exit(70);
	_exit(70);
}

void *cal_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		cal_oom(n);
	return p;
}

void *cal_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		cal_oom(nmemb * size);
	return p;
}

void *cal_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		cal_oom(n);
	return q;
}

void *cal_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		cal_oom(SIZE_MAX);
	return cal_realloc(p, nmemb * size);
}

char *cal_strdup(const char *s)
{
	return cal_strndup(s, strlen(s));
}

char *cal_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = cal_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void cal_arena_init(cal_arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 16384;
	a->total = 0;
}

static cal_arena_chunk *chunk_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(cal_arena_chunk))
		cal_oom(SIZE_MAX);
	cal_arena_chunk *c = cal_malloc(sizeof *c + size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *cal_arena_alloc(cal_arena *a, size_t n)
{
	if (n > SIZE_MAX - ARENA_ALIGN)
		cal_oom(n);
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	cal_arena_chunk *c = a->head;
	if (c == NULL || c->size - c->used < need) {
		if (need > a->chunk_size / 4) {
			/* Oversized: a private chunk behind the current one keeps the current one usable. */
			cal_arena_chunk *big = chunk_new(need);
			a->total += need;
			if (c == NULL) {
				a->head = big;
			} else {
				big->next = c->next;
				c->next = big;
			}
			big->used = need;
			memset(big->data, 0, need);
			return big->data;
		}
		c = chunk_new(a->chunk_size);
		a->total += a->chunk_size;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += need;
	memset(p, 0, need);
	return p;
}

char *cal_arena_strdup(cal_arena *a, const char *s)
{
	return s ? cal_arena_strndup(a, s, strlen(s)) : NULL;
}

char *cal_arena_strndup(cal_arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = cal_arena_alloc(a, len + 1);
	memcpy(p, s, len);
	return p;
}

char *cal_arena_vprintf(cal_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return cal_arena_strdup(a, "");
	char *p = cal_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *cal_arena_printf(cal_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = cal_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void cal_arena_reset(cal_arena *a)
{
	cal_arena_chunk *keep = NULL;
	cal_arena_chunk *c = a->head;
	while (c != NULL) {
		cal_arena_chunk *next = c->next;
		if (keep == NULL && c->size == a->chunk_size) {
			keep = c;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = keep;
	a->total = 0;
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
		a->total = keep->size;
	}
}

void cal_arena_free(cal_arena *a)
{
	cal_arena_chunk *c = a->head;
	while (c != NULL) {
		cal_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

void cal_buf_init(cal_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

static void buf_reserve(cal_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		cal_oom(SIZE_MAX);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = cal_realloc(b->data, cap);
	b->cap = cap;
}

void cal_buf_append(cal_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void cal_buf_puts(cal_buf *b, const char *s)
{
	cal_buf_append(b, s, strlen(s));
}

void cal_buf_printf(cal_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void cal_buf_reset(cal_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void cal_buf_free(cal_buf *b)
{
	free(b->data);
	cal_buf_init(b);
}

char *cal_buf_steal(cal_buf *b)
{
	if (b->data == NULL)
		return cal_strdup("");
	char *p = b->data;
	cal_buf_init(b);
	return p;
}
