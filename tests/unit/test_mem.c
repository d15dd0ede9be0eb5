/*
 * Unit tests for src/mem.c: arena alignment, zeroing, reset keeping one chunk, oversized allocations, and
 * the growable buffer.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "caloria/mem.h"

Test(arena, allocations_are_aligned_and_zeroed)
{
	cal_arena a;
	cal_arena_init(&a, 4096);
	for (size_t n = 1; n < 300; n += 7) {
		unsigned char *p = cal_arena_alloc(&a, n);
		cr_assert_eq((uintptr_t)p % 16, 0, "allocation of %zu not 16-byte aligned", n);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(p[i], 0);
		memset(p, 0xab, n);
	}
	cal_arena_reset(&a);
	/* Memory handed out again after a reset must be zeroed again. */
	unsigned char *q = cal_arena_alloc(&a, 256);
	for (size_t i = 0; i < 256; i++)
		cr_assert_eq(q[i], 0);
	cal_arena_free(&a);
}

Test(arena, reset_keeps_exactly_one_chunk)
{
	cal_arena a;
	cal_arena_init(&a, 1024);
	for (int i = 0; i < 100; i++)
		cal_arena_alloc(&a, 200);
	cr_assert_gt(a.total, 1024);
	cal_arena_reset(&a);
	cr_assert_eq(a.total, 1024);
	cr_assert_not_null(a.head);
	void *p1 = cal_arena_alloc(&a, 16);
	cal_arena_reset(&a);
	void *p2 = cal_arena_alloc(&a, 16);
	cr_assert_eq(p1, p2, "the kept chunk is reused from its start");
	cal_arena_free(&a);
	cr_assert_null(a.head);
	cr_assert_eq(a.total, 0);
}

Test(arena, oversized_allocations_get_their_own_chunk)
{
	cal_arena a;
	cal_arena_init(&a, 1024);
	char *small1 = cal_arena_alloc(&a, 32);
	char *big = cal_arena_alloc(&a, 100000);
	char *small2 = cal_arena_alloc(&a, 32);
	cr_assert_eq(small2, small1 + 32, "the current chunk stays in use after an oversized allocation");
	memset(big, 1, 100000);
	cr_assert_geq(a.total, 100000 + 1024);
	cal_arena_reset(&a);
	cr_assert_eq(a.total, 1024, "the big chunk is released on reset");
	cal_arena_free(&a);
}

Test(arena, oversized_first_allocation_then_reset)
{
	cal_arena a;
	cal_arena_init(&a, 1024);
	char *big = cal_arena_alloc(&a, 5000);
	memset(big, 2, 5000);
	cal_arena_reset(&a);
	cr_assert_eq(a.total, 0, "no chunk of the default size was ever made");
	char *p = cal_arena_alloc(&a, 10);
	cr_assert_not_null(p);
	cal_arena_free(&a);
}

Test(arena, strings_and_printf)
{
	cal_arena a;
	cal_arena_init(&a, 0);
	cr_assert_eq(a.chunk_size, 16384);
	cr_assert_str_eq(cal_arena_strdup(&a, "hola"), "hola");
	cr_assert_null(cal_arena_strdup(&a, NULL));
	cr_assert_str_eq(cal_arena_strndup(&a, "abcdef", 3), "abc");
	cr_assert_str_eq(cal_arena_strndup(&a, "ab", 10), "ab");
	cr_assert_str_eq(cal_arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	char long_s[5000];
	memset(long_s, 'z', sizeof long_s - 1);
	long_s[sizeof long_s - 1] = '\0';
	cr_assert_str_eq(cal_arena_printf(&a, "%s", long_s), long_s);
	cal_arena_free(&a);
}

Test(buf, grows_and_stays_terminated)
{
	cal_buf b;
	cal_buf_init(&b);
	cr_assert_null(b.data);
	for (int i = 0; i < 1000; i++)
		cal_buf_puts(&b, "ab");
	cr_assert_eq(b.len, 2000);
	cr_assert_geq(b.cap, 2001);
	cr_assert_eq(b.data[2000], '\0');
	cal_buf_printf(&b, "[%05d]", 7);
	cr_assert_str_eq(b.data + 2000, "[00007]");
	cal_buf_append(&b, "\0x", 2);
	cr_assert_eq(b.len, 2009);
	cal_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.data, "");
	cal_buf_puts(&b, "keep");
	char *s = cal_buf_steal(&b);
	cr_assert_str_eq(s, "keep");
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	free(s);
	char *empty = cal_buf_steal(&b);
	cr_assert_str_eq(empty, "");
	free(empty);
	cal_buf_free(&b);
}

Test(mem, checked_wrappers)
{
	char *p = cal_strdup("abc");
	cr_assert_str_eq(p, "abc");
	p = cal_realloc(p, 100);
	cr_assert_str_eq(p, "abc");
	free(p);
	int *z = cal_calloc(10, sizeof(int));
	for (int i = 0; i < 10; i++)
		cr_assert_eq(z[i], 0);
	free(z);
	char *n = cal_strndup("abcdef", 2);
	cr_assert_str_eq(n, "ab");
	free(n);
	void *r = cal_reallocarray(NULL, 4, 8);
	cr_assert_not_null(r);
	free(r);
}

Test(mem, reallocarray_overflow_exits, .exit_code = 70)
{
	cal_reallocarray(NULL, SIZE_MAX / 2, 4);
}
