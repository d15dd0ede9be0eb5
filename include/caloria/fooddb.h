/*
 * The nutrient base (SPEC §7.1): USDA SR24 rows (data/usda_sr24.tsv), the hand-curated aliases
 * (data/aliases.csv) and recipes (data/recipes.csv), loaded once per worker into memory and validated.
 * Lookups are by folded name (lower case, no accents); values per 100 g.
 */
#ifndef CALORIA_FOODDB_H
#define CALORIA_FOODDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "caloria/err.h"

typedef struct cal_nutrients {
	double kcal, protein_g, carbs_g, fat_g, fiber_g, sugars_g, sodium_mg, satfat_g; /* per 100 g */
} cal_nutrients;

/* Bits of cal_food.known, one per cal_nutrients field in declaration order. */
enum {
	CAL_NUT_KCAL = 1u << 0,
	CAL_NUT_PROTEIN = 1u << 1,
	CAL_NUT_CARBS = 1u << 2,
	CAL_NUT_FAT = 1u << 3,
	CAL_NUT_FIBER = 1u << 4,
	CAL_NUT_SUGARS = 1u << 5,
	CAL_NUT_SODIUM = 1u << 6,
	CAL_NUT_SATFAT = 1u << 7
};

/* Bits of cal_food.flags. */
enum {
	CAL_FOOD_RECIPE = 1u << 0,    /* a row of recipes.csv, not of SR24 */
	CAL_FOOD_LIQUID = 1u << 1,    /* a drink: ml convert to grams at density ~1 */
	CAL_FOOD_ALCOHOLIC = 1u << 2, /* alcohol adds 7 kcal/g beyond 4p + 4c + 9f */
	CAL_FOOD_HAS_MILK = 1u << 3   /* made with milk: "licuado con leche" does not add the milk again */
};

typedef struct cal_food_measure {
	const char *desc; /* "1 large", "1 cup, chopped" */
	double grams;
} cal_food_measure;

typedef struct cal_food {
	char ndb_id[8];           /* "01123"; recipes: "" */
	const char *description;  /* SR24 long description, or the recipe name */
	cal_nutrients per100;     /* unknown values are 0; see known */
	const cal_food_measure *measures;
	size_t nmeasures;
	unsigned known;           /* CAL_NUT_* bits of the values the table gives */
	unsigned flags;           /* CAL_FOOD_* */
} cal_food;

typedef struct cal_food_alias {
	const char *name;         /* folded */
	const char *display;      /* as written in aliases.csv */
	const cal_food *food;
	double portion_g;         /* one unit / default portion */
	const char *portion_desc;
	double cup_g;             /* 0 when unknown */
	const char *lang;         /* "es", "en" or "both" */
	const char *ref;          /* "ndb:01123" or "recipe:<name>", as in aliases.csv */
} cal_food_alias;

typedef struct cal_fooddb cal_fooddb;

/*
 * Loads dir/usda_sr24.tsv, dir/aliases.csv and dir/recipes.csv. Every problem is written to errs as
 * "file:line: message" (errs may be NULL); any problem makes the load fail with CAL_ERR_VALIDATION.
 */
cal_err cal_fooddb_load(const char *dir, cal_fooddb **out, FILE *errs);
/* Same with each file named explicitly (tests load one broken file next to good ones). */
cal_err cal_fooddb_load_paths(const char *tsv_path, const char *aliases_path, const char *recipes_path,
			      cal_fooddb **out, FILE *errs);
void cal_fooddb_free(cal_fooddb *db);
size_t cal_fooddb_food_count(const cal_fooddb *db);   /* SR24 rows + recipes */
size_t cal_fooddb_alias_count(const cal_fooddb *db);
size_t cal_fooddb_recipe_count(const cal_fooddb *db);
/* SR24 rows whose kcal disagree with 4p + 4c + 9f beyond the tolerance (information, not an error). */
size_t cal_fooddb_kcal_outliers(const cal_fooddb *db);
const cal_food *cal_fooddb_by_ndb(const cal_fooddb *db, const char *ndb_id);
/* A recipe by its folded name; NULL when absent. */
const cal_food *cal_fooddb_recipe(const cal_fooddb *db, const char *folded, size_t len);
/* Exact alias lookup on an already folded name; NULL when absent. */
const cal_food_alias *cal_fooddb_alias(const cal_fooddb *db, const char *folded, size_t len);
/* The i-th alias in file order (i < cal_fooddb_alias_count). */
const cal_food_alias *cal_fooddb_alias_at(const cal_fooddb *db, size_t i);
/* True when the folded word occurs in some alias name: lets the parser prune candidates early. */
bool cal_fooddb_has_word(const cal_fooddb *db, const char *word, size_t len);
/*
 * The alias word closest to a word the vocabulary lacks (a typo): edit distance (insertions, deletions,
 * substitutions, swaps of neighbours) at most maxdist. Returns the distance and the word in *out and *outlen,
 * or -1 when none is that close or two different words tie (an ambiguous typo is not guessed).
 */
int cal_fooddb_near_word(const cal_fooddb *db, const char *word, size_t len, int maxdist, const char **out,
			 size_t *outlen);
/* Most words in one alias name (bounds the parser's match window). */
size_t cal_fooddb_max_alias_words(const cal_fooddb *db);

/*
 * Folding shared by the loader and the parser. cal_fooddb_fold_next reads one UTF-8 character at *p
 * (advancing *p) and returns: an ASCII letter in lower case with accents stripped (á→a, ñ→n, ü→u, ç→c …),
 * an ASCII digit, any other ASCII byte unchanged, or ' ' for every other character and for invalid UTF-8;
 * *cp receives the decoded code point (0xFFFD when invalid) so callers can recognise ½ ¼ ¾.
 */
int cal_fooddb_fold_next(const char **p, const char *end, unsigned *cp);
/* True when the character cp (just read, with next pointing after it) is an apostrophe or an ampersand
 * inside a word ("mcdonald's", "tso's", "m&ms"): folding drops it, so "domino's" and "dominos" are one
 * word and "m&ms" is not split at the '&'. before is the
 * number of word characters already read. */
bool cal_fooddb_inner_apostrophe(unsigned cp, size_t before, const char *next, const char *end);
/* Folds a whole string: letters and digits kept, everything else one space, trimmed. Returns the length
 * written to out (always NUL-terminated; cap must be ≥ 1). */
size_t cal_fooddb_fold(const char *s, size_t len, char *out, size_t cap);

#endif
