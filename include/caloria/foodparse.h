/*
 * Text food analysis (SPEC §7.2): splits a description into items, reads quantities and units, matches the
 * longest alias, and computes grams and nutrients from the table. Pure computation over a loaded
 * cal_fooddb; results live in the caller's arena.
 */
#ifndef CALORIA_FOODPARSE_H
#define CALORIA_FOODPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "caloria/err.h"
#include "caloria/fooddb.h"
#include "caloria/mem.h"

typedef struct cal_food_item {
	const char *name;      /* matched alias display name, or the text as written when unmatched */
	double quantity;       /* as read (2 for "2 huevos", 200 for "200 g") */
	const char *unit;      /* canonical unit: "g", "ml", "cup", "unit", "serving", … */
	double grams;
	double ml;             /* its volume when drunk or served by volume (cal_portion_ml); else 0 */
	cal_nutrients n;       /* totals for this item (not per 100 g) */
	bool matched;
	bool explicit_qty;     /* the user gave a quantity */
	const char *ref;       /* "ndb:01123" or "recipe:milanesa"; NULL when unmatched */
	bool approx;           /* grams rest on a guessed density (ml or cup of a food without cup data) */
	const char *assumed;   /* what the reader assumed, shown to the user ("milaneza → milanesa"); or NULL */
} cal_food_item;

typedef struct cal_food_analysis {
	cal_food_item *items;
	size_t nitems;
	size_t nmatched;
	cal_nutrients total;   /* matched items only */
	double confidence;     /* 0–1 (SPEC §7.1) */
	const char *provider;  /* "table" for text analyses */
	const char *normalized;/* folded description, the cache key */
} cal_food_analysis;

#define CAL_FOOD_MAX_ITEMS 20   /* later items are ignored */
#define CAL_FOOD_MAX_TEXT 1000  /* bytes; longer text is refused (SPEC §5.2 limits text to 1000) */

/*
 * Analyses text (≤ CAL_FOOD_MAX_TEXT bytes). CAL_OK even when nothing matched (nmatched == 0 means
 * food_unclear). Longer text: CAL_ERR_VALIDATION with out set to an empty analysis (also food_unclear).
 */
cal_err cal_foodparse_analyze(const cal_fooddb *db, const char *text, cal_arena *arena, cal_food_analysis *out);
/* JSON per SPEC §5.4 caloria.analysis (without id/food_log_id): source, provider, confidence, items, total. */
struct json_object *cal_foodparse_to_json(const cal_food_analysis *a, const char *source);
/* Round to 1 decimal the way every reply does. */
double cal_foodparse_round1(double v);

#endif
