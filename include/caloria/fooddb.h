/*
 * The nutrient base (SPEC §7.1): USDA SR24 rows (data/usda_sr24.tsv), the hand-curated aliases
 * (data/aliases.csv) and recipes (data/recipes.csv), loaded once per worker into memory and validated.
 * Lookups are by folded name (lower case, no accents); values per 100 g.
 */
#ifndef CALORIA_FOODDB_H
#define CALORIA_FOODDB_H

#include <stddef.h>
#include <stdio.h>

#include "caloria/err.h"

typedef struct cal_nutrients {
	double kcal, protein_g, carbs_g, fat_g, fiber_g, sugars_g, sodium_mg, satfat_g; /* per 100 g */
} cal_nutrients;

typedef struct cal_food_measure {
	const char *desc; /* "1 large", "1 cup, chopped" */
	double grams;
} cal_food_measure;

typedef struct cal_food {
	char ndb_id[8];           /* "01123"; recipes: "" */
	const char *description;  /* SR24 long description, or the recipe name */
	cal_nutrients per100;
	const cal_food_measure *measures;
	size_t nmeasures;
} cal_food;

typedef struct cal_food_alias {
	const char *name;         /* folded */
	const char *display;      /* as written in aliases.csv */
	const cal_food *food;
	double portion_g;         /* one unit / default portion */
	const char *portion_desc;
	double cup_g;             /* 0 when unknown */
} cal_food_alias;

typedef struct cal_fooddb cal_fooddb;

/*
 * Loads dir/usda_sr24.tsv, dir/aliases.csv and dir/recipes.csv. Every problem is written to errs as
 * "file:line: message" (errs may be NULL); any problem makes the load fail with CAL_ERR_VALIDATION.
 */
cal_err cal_fooddb_load(const char *dir, cal_fooddb **out, FILE *errs);
void cal_fooddb_free(cal_fooddb *db);
size_t cal_fooddb_food_count(const cal_fooddb *db);
size_t cal_fooddb_alias_count(const cal_fooddb *db);
const cal_food *cal_fooddb_by_ndb(const cal_fooddb *db, const char *ndb_id);
/* Exact alias lookup on an already folded name; NULL when absent. */
const cal_food_alias *cal_fooddb_alias(const cal_fooddb *db, const char *folded, size_t len);

#endif
