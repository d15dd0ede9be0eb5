/*
 * libFuzzer driver for the text food parser (src/services/foodparse.c) over the small fixture tables in
 * tests/unit/food/ok/ (loaded once). Each input is analysed as a description, then turned into the reply
 * JSON; the driver aborts when a contract breaks: more items than CAL_FOOD_MAX_ITEMS, more matched than
 * items, confidence outside [0, 1], a non-finite or negative amount, a matched item without grams or ref,
 * an unmatched item counted in the total, a name that is not valid UTF-8, or JSON that does not parse back.
 *
 * Build (needs a configured build directory for config.h; $BUILD below) and run on a scratch corpus:
 *
 *     clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -I"$BUILD" -Iinclude \
 *         -DFOOD_FIXTURES="\"$PWD/tests/unit/food/ok\"" $(pkg-config --cflags json-c) tests/fuzz/fuzz_food.c \
 *         src/services/foodparse.c src/services/foodportion.c src/services/fooddb.c src/mem.c \
 *         $(pkg-config --libs json-c) -lm \
 *         -o "$BUILD/fuzz_food"
 *     mkdir -p /tmp/fuzz-food && cp -r tests/fuzz/corpus/food/. /tmp/fuzz-food/
 *     "$BUILD/fuzz_food" -max_total_time=60 -max_len=1200 /tmp/fuzz-food
 *
 * CALORIA_FOOD_FIXTURES overrides the table directory (e.g. data/ for the real tables).
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "caloria/fooddb.h"
#include "caloria/foodparse.h"
#include "caloria/mem.h"

#ifndef FOOD_FIXTURES
#define FOOD_FIXTURES "tests/unit/food/ok"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cal_fooddb *db;
static cal_arena arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("CALORIA_FOOD_FIXTURES");
	if (cal_fooddb_load(dir ? dir : FOOD_FIXTURES, &db, stderr) != CAL_OK) {
		fprintf(stderr, "fuzz_food: cannot load the food tables from %s\n", dir ? dir : FOOD_FIXTURES);
		abort();
	}
	cal_arena_init(&arena, 0);
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_food: contract broken: %s\n", what);
		abort();
	}
}

static int valid_utf8(const char *s)
{
	const char *end = s + strlen(s);
	while (s < end) {
		unsigned cp;
		const char *start = s;
		cal_fooddb_fold_next(&s, end, &cp);
		/* A literal U+FFFD is three bytes; a decoding error consumes one. */
		if (cp == 0xFFFD && s - start != 3)
			return 0;
	}
	return 1;
}

static int sane(double v)
{
	return isfinite(v) && v >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = cal_malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';

	cal_food_analysis a;
	cal_err rc = cal_foodparse_analyze(db, text, &arena, &a);
	check(rc == CAL_OK || rc == CAL_ERR_VALIDATION, "status");
	check(rc == CAL_OK || strlen(text) > CAL_FOOD_MAX_TEXT, "only overlong text is refused");
	check(a.nitems <= CAL_FOOD_MAX_ITEMS, "item limit");
	check(a.nmatched <= a.nitems, "matched <= items");
	check(a.confidence >= 0 && a.confidence <= 1, "confidence in [0, 1]");
	check((a.nmatched == 0) == (a.confidence == 0), "confidence 0 exactly when nothing matched");
	double kcal = 0;
	size_t matched = 0;
	for (size_t i = 0; i < a.nitems; i++) {
		const cal_food_item *it = &a.items[i];
		check(it->name != NULL && it->unit != NULL, "name and unit");
		check(valid_utf8(it->name), "name is valid UTF-8");
		check(sane(it->grams) && sane(it->quantity) && sane(it->n.kcal) && sane(it->n.fat_g), "amounts");
		if (it->matched) {
			check(it->ref != NULL && it->grams > 0, "matched item has ref and grams");
			kcal += it->n.kcal;
			matched++;
		} else {
			check(it->n.kcal == 0, "unmatched item has no nutrients");
		}
	}
	check(matched == a.nmatched, "nmatched");
	check(fabs(kcal - a.total.kcal) <= 1e-6 * (1 + kcal), "total = sum of matched items");

	struct json_object *o = cal_foodparse_to_json(&a, "text");
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct json_object *back = json_tokener_parse(s);
	check(back != NULL, "JSON parses back");
	json_object_put(back);
	json_object_put(o);

	cal_arena_reset(&arena);
	free(text);
	return 0;
}
