/*
 * Memory: checked allocation wrappers, the per-request arena, and a growable byte buffer.
 *
 * The wrappers never return NULL: a worker that cannot allocate logs and exits, and the pool starts a fresh
 * one (a half-failed request is worse than a restarted process). The arena holds everything a request
 * allocates; cal_arena_reset() frees it all at once when the request ends.
 */
#ifndef CALORIA_MEM_H
#define CALORIA_MEM_H

#include <stdarg.h>
#include <stddef.h>

void *cal_malloc(size_t n);
void *cal_calloc(size_t nmemb, size_t size);
void *cal_realloc(void *p, size_t n);
void *cal_reallocarray(void *p, size_t nmemb, size_t size);
char *cal_strdup(const char *s);
char *cal_strndup(const char *s, size_t n);
/* Logs and exits the process with status 70; used by the wrappers above. */
void cal_oom(size_t n) __attribute__((noreturn));

typedef struct cal_arena_chunk cal_arena_chunk;

typedef struct cal_arena {
	cal_arena_chunk *head; /* newest chunk first */
	size_t chunk_size;     /* default size of new chunks */
	size_t total;          /* bytes held, for leak checks and metrics */
} cal_arena;

void cal_arena_init(cal_arena *a, size_t chunk_size);
void *cal_arena_alloc(cal_arena *a, size_t n);  /* 16-byte aligned, zeroed */
char *cal_arena_strdup(cal_arena *a, const char *s);
char *cal_arena_strndup(cal_arena *a, const char *s, size_t n);
char *cal_arena_printf(cal_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *cal_arena_vprintf(cal_arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Frees every chunk but the first, which is kept for the next request. */
void cal_arena_reset(cal_arena *a);
void cal_arena_free(cal_arena *a);

typedef struct cal_buf {
	char *data; /* always NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
} cal_buf;

void cal_buf_init(cal_buf *b);
void cal_buf_append(cal_buf *b, const void *p, size_t n);
void cal_buf_puts(cal_buf *b, const char *s);
void cal_buf_printf(cal_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cal_buf_reset(cal_buf *b); /* len = 0, keeps the storage */
void cal_buf_free(cal_buf *b);
/* Hands the storage to the caller (NUL-terminated, never NULL) and leaves b empty. */
char *cal_buf_steal(cal_buf *b);

#endif
