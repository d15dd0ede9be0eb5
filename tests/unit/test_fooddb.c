/*
 * Tests for src/services/fooddb.c: folding, loading the fixture tables and the real ones, lookups, recipe
 * arithmetic, and every validation rule against one broken file at a time (tests/unit/food/bad/), with the
 * "file:line: message" text checked.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "caloria/fooddb.h"

#ifndef FOOD_FIXTURES
#define FOOD_FIXTURES "tests/unit/food"
#endif

static const char *fixtures(void)
{
	const char *d = getenv("CALORIA_FOOD_FIXTURES");
	return d ? d : FOOD_FIXTURES;
}

static const char *data_dir(void)
{
	const char *d = getenv("CALORIA_DATA_DIR");
	return d ? d : "data";
}

static char *fx(const char *sub)
{
	static char buf[4][1024];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", fixtures(), sub);
	return buf[k];
}

/* Loads with one file replaced; returns the load status and the error text (caller frees). */
static cal_err load3(const char *tsv, const char *aliases, const char *recipes, cal_fooddb **db, char **errs)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cal_err rc = cal_fooddb_load_paths(tsv ? tsv : fx("ok/usda_sr24.tsv"), aliases ? aliases : fx("ok/aliases.csv"),
					   recipes ? recipes : fx("ok/recipes.csv"), db, f);
	fclose(f);
	*errs = buf;
	return rc;
}

static void expect_error(const char *tsv, const char *aliases, const char *recipes, const char *where,
			 const char *msg)
{
	cal_fooddb *db = (cal_fooddb *)1;
	char *errs = NULL;
	cal_err rc = load3(tsv, aliases, recipes, &db, &errs);
	cr_expect_eq(rc, CAL_ERR_VALIDATION, "load should fail for %s", where);
	cr_expect_null(db, "no db on failure");
	cr_expect(strstr(errs, where) != NULL, "errors should name %s, got: %s", where, errs);
	cr_expect(strstr(errs, msg) != NULL, "errors should say \"%s\", got: %s", msg, errs);
	free(errs);
	cal_fooddb_free(db);
}

static void fold_is(const char *in, const char *want)
{
	char out[256];
	size_t n = cal_fooddb_fold(in, strlen(in), out, sizeof out);
	cr_expect_str_eq(out, want, "fold(\"%s\")", in);
	cr_expect_eq(n, strlen(want));
}

Test(fooddb, fold)
{
	fold_is("Café con Leche", "cafe con leche");
	fold_is("  PURÉ   de  PAPAS!! ", "pure de papas");
	fold_is("ÑANDÚ pingüino", "nandu pinguino");
	fold_is("àáâãäå çèéêë ìíîï òóôõöø ùúûü ýÿ", "aaaaaa ceeee iiii oooooo uuuu yy");
	fold_is("Łódź Œuvre Ştefan", "lodz ouvre stefan");
	fold_is("choripán,medialuna;alfajor", "choripan medialuna alfajor");
	fold_is("pan-tostado", "pan tostado");
	fold_is("🍕 pizza 🍺", "pizza");
	fold_is("a\xff\xfe" "b", "a b");        /* invalid bytes are separators */
	fold_is("\xc3", "");                     /* truncated sequence */
	fold_is("\xe0\x80\xaf" "x", "x");        /* overlong encoding refused */
	fold_is("\xed\xa0\x80" "y", "y");        /* UTF-16 surrogate refused */
	fold_is("", "");
	fold_is("200g", "200g");
	/* out is bounded and always terminated */
	char small[4];
	cr_expect_eq(cal_fooddb_fold("abcdef", 6, small, sizeof small), 3);
	cr_expect_str_eq(small, "abc");
}

Test(fooddb, fold_next_reports_fractions)
{
	const char *s = "½x";
	unsigned cp = 0;
	int c = cal_fooddb_fold_next(&s, s + strlen(s), &cp);
	cr_expect_eq(c, ' ');
	cr_expect_eq(cp, 0xBDu);
	cr_expect_eq(*s, 'x');
}

Test(fooddb, load_fixture)
{
	cal_fooddb *db = NULL;
	char *errs = NULL;
	cr_assert_eq(load3(NULL, NULL, NULL, &db, &errs), CAL_OK, "errors: %s", errs);
	cr_expect_str_empty(errs);
	free(errs);
	cr_expect_eq(cal_fooddb_recipe_count(db), 6);
	cr_expect_eq(cal_fooddb_food_count(db), 46 + 6);
	cr_expect_gt(cal_fooddb_alias_count(db), 90);
	cr_expect_eq(cal_fooddb_max_alias_words(db), 4); /* "pan de molde blanco" */

	const cal_food *egg = cal_fooddb_by_ndb(db, "01123");
	cr_assert_not_null(egg);
	cr_expect_str_eq(egg->description, "Egg, whole, raw, fresh");
	cr_expect_float_eq(egg->per100.kcal, 143, 1e-9);
	cr_expect_float_eq(egg->per100.protein_g, 12.56, 1e-9);
	cr_expect_eq(egg->known, 0xFFu);
	cr_expect_eq(egg->nmeasures, 6);
	cr_expect_str_eq(egg->measures[3].desc, "1 large");
	cr_expect_float_eq(egg->measures[3].grams, 50, 1e-9);
	cr_expect_null(cal_fooddb_by_ndb(db, "99999"));
	cr_expect_null(cal_fooddb_by_ndb(db, "0112"));
	cr_expect_null(cal_fooddb_by_ndb(db, "011234"));

	/* A measure description may hold commas and quotes. */
	const cal_food *butter = cal_fooddb_by_ndb(db, "01001");
	cr_assert_not_null(butter);
	cr_expect_str_eq(butter->measures[2].desc, "1 pat (1\" sq, 1/3\" high)");

	const cal_food_alias *a = cal_fooddb_alias(db, "cafe con leche", 14);
	cr_assert_not_null(a);
	cr_expect_str_eq(a->display, "café con leche");
	cr_expect_str_eq(a->ref, "recipe:café con leche");
	cr_expect_str_eq(a->lang, "es");
	cr_expect_float_eq(a->portion_g, 250, 1e-9);
	cr_expect_float_eq(a->cup_g, 240, 1e-9);
	/* coffee 150 g × 1 kcal/100 g + milk 100 g × 61 kcal/100 g = 62.5 kcal in 250 g → 25 kcal/100 g */
	cr_expect_float_eq(a->food->per100.kcal, 25.0, 1e-9);
	/* protein: 150 × 0.12/100 + 100 × 3.15/100 = 0.18 + 3.15 = 3.33 g in 250 g → 1.332 g/100 g */
	cr_expect_float_eq(a->food->per100.protein_g, 1.332, 1e-9);
	cr_expect(a->food->flags & CAL_FOOD_RECIPE);
	cr_expect(a->food->flags & CAL_FOOD_LIQUID, "coffee + milk is a drink");
	cr_expect_str_eq(a->food->ndb_id, "");

	/* Quoted field with a comma; folded name drops the comma. */
	a = cal_fooddb_alias(db, "pan de molde blanco", 19);
	cr_assert_not_null(a);
	cr_expect_str_eq(a->display, "pan de molde, blanco");

	cr_expect_not_null(cal_fooddb_recipe(db, "milanesa", 8));
	cr_expect_null(cal_fooddb_recipe(db, "locro", 5));
	cr_expect_null(cal_fooddb_alias(db, "Huevo", 5), "lookups take folded names");
	cr_expect(cal_fooddb_has_word(db, "leche", 5));
	cr_expect(!cal_fooddb_has_word(db, "amor", 4));
	cr_expect_not_null(cal_fooddb_alias_at(db, 0));
	cr_expect_null(cal_fooddb_alias_at(db, cal_fooddb_alias_count(db)));

	const cal_food *beer = cal_fooddb_by_ndb(db, "14003");
	cr_assert_not_null(beer);
	cr_expect(beer->flags & CAL_FOOD_ALCOHOLIC);
	cr_expect(cal_fooddb_by_ndb(db, "01077")->flags & CAL_FOOD_LIQUID, "milk has a fl oz measure");
	cr_expect(!(cal_fooddb_by_ndb(db, "18069")->flags & CAL_FOOD_LIQUID), "bread is not a drink");
	cal_fooddb_free(db);
}

Test(fooddb, load_dir)
{
	cal_fooddb *db = NULL;
	cr_assert_eq(cal_fooddb_load(fx("ok"), &db, NULL), CAL_OK);
	cal_fooddb_free(db);
	cr_expect_eq(cal_fooddb_load(fx("nowhere"), &db, NULL), CAL_ERR_VALIDATION);
	cr_expect_null(db);
	cal_fooddb_free(NULL);
}

Test(fooddb, tsv_errors)
{
	expect_error(fx("bad/header.tsv"), NULL, NULL, "header.tsv:1:", "wrong header");
	expect_error(fx("bad/columns.tsv"), NULL, NULL, "columns.tsv:3:", "4 columns, want 11");
	expect_error(fx("bad/number.tsv"), NULL, NULL, "number.tsv:3:", "kcal: bad number \"7l7\"");
	expect_error(fx("bad/negative.tsv"), NULL, NULL, "negative.tsv:3:", "protein_g: bad number");
	expect_error(fx("bad/dup_ndb.tsv"), NULL, NULL, "dup_ndb.tsv:4:", "duplicate ndb_id 01123");
	expect_error(fx("bad/ndb_id.tsv"), NULL, NULL, "ndb_id.tsv:3:", "is not 5 digits");
	expect_error(fx("bad/measure.tsv"), NULL, NULL, "measure.tsv:3:", "bad measure \"1 pat\"");
	expect_error(fx("bad/empty.tsv"), NULL, NULL, "empty.tsv", "empty file");
	expect_error(fx("bad/missing.tsv"), NULL, NULL, "missing.tsv", "cannot open");
}

Test(fooddb, alias_errors)
{
	const char *t = fx("bad/kcal.tsv");
	(void)t;
	expect_error(NULL, fx("bad/header.csv"), NULL, "header.csv:1:", "wrong header");
	expect_error(NULL, fx("bad/columns.csv"), NULL, "columns.csv:2:", "5 columns, want 6");
	expect_error(NULL, fx("bad/number.csv"), NULL, "number.csv:2:", "portion_g \"5O\"");
	expect_error(NULL, fx("bad/dup_alias.csv"), NULL, "dup_alias.csv:3:", "duplicate alias \"huevo\"");
	expect_error(NULL, fx("bad/target_ndb.csv"), NULL, "target_ndb.csv:3:", "ndb:99999: ndb id not in");
	expect_error(NULL, fx("bad/target_recipe.csv"), NULL, "target_recipe.csv:3:", "recipe not defined");
	expect_error(NULL, fx("bad/target_form.csv"), NULL, "target_form.csv:3:", "must be ndb:NNNNN or recipe:");
	expect_error(NULL, fx("bad/portion_zero.csv"), NULL, "portion_zero.csv:2:", "portion_g \"0\"");
	expect_error(NULL, fx("bad/portion_big.csv"), NULL, "portion_big.csv:2:", "portion_g \"3001\"");
	expect_error(NULL, fx("bad/lang.csv"), NULL, "lang.csv:2:", "lang \"fr\"");
	expect_error(NULL, fx("bad/quotes.csv"), NULL, "quotes.csv:2:", "broken double quotes");
	expect_error(NULL, fx("bad/no_alias.csv"), NULL, "no_alias.csv", "no aliases");
}

Test(fooddb, recipe_errors)
{
	expect_error(NULL, NULL, fx("bad/ingredient.csv"), "ingredient.csv:3:", "ingredient ndb_id 77777");
	expect_error(NULL, NULL, fx("bad/grams.csv"), "grams.csv:2:", "grams \"0\" must be a number > 0");
	expect_error(NULL, NULL, fx("bad/header_recipe.csv"), "header_recipe.csv:1:", "wrong header");
	/* An alias pointing at a recipe that failed is reported too. */
	expect_error(NULL, NULL, fx("bad/no_recipes.csv"), "aliases.csv", "recipe not defined");
}

Test(fooddb, kcal_consistency)
{
	/* Egg row with kcal 400 against 4 × 12.56 + 4 × 0.72 + 9 × 9.51 = 138.7: an error when aliased … */
	expect_error(fx("bad/kcal.tsv"), fx("bad/egg_alias.csv"), fx("bad/no_recipes.csv"), "egg_alias.csv:2:",
		     "kcal 400.0 vs 4p+4c+9f = 138.7");
	/* … and only a counted outlier when no alias points at it. */
	cal_fooddb *db = NULL;
	char *errs = NULL;
	cr_assert_eq(load3(fx("bad/kcal.tsv"), fx("bad/butter_alias.csv"), fx("bad/no_recipes.csv"), &db, &errs),
		     CAL_OK, "errors: %s", errs);
	free(errs);
	cr_expect_eq(cal_fooddb_kcal_outliers(db), 1);
	cal_fooddb_free(db);
}

static double ms_cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The real SR24 table with the fixture aliases: every row parses, the load is quick. */
Test(fooddb, real_sr24_table)
{
	char tsv[1024];
	snprintf(tsv, sizeof tsv, "%s/usda_sr24.tsv", data_dir());
	cal_fooddb *db = NULL;
	char *errs = NULL;
	double t0 = ms_cpu();
	cal_err rc = load3(tsv, NULL, NULL, &db, &errs);
	double ms = ms_cpu() - t0;
	cr_expect_str_empty(errs);
	free(errs);
	cr_assert_eq(rc, CAL_OK);
	cr_expect_eq(cal_fooddb_food_count(db), 7907 + 6, "SR24 holds 7,907 foods");
	/* SR24 uses food-specific Atwater factors; a small share sits outside the generic band. */
	cr_expect_lt(cal_fooddb_kcal_outliers(db), 400);
	cr_log_info("SR24: %zu foods loaded in %.1f ms CPU, %zu kcal outliers (info)", cal_fooddb_food_count(db), ms,
		    cal_fooddb_kcal_outliers(db));
	fprintf(stderr, "fooddb: SR24 loaded in %.1f ms CPU (sanitizer builds are ~3x slower), %zu kcal outliers\n",
		ms, cal_fooddb_kcal_outliers(db));
	cr_expect_lt(ms, 250.0, "loading must stay fast (%.1f ms)", ms);
	const cal_food *pizza = cal_fooddb_by_ndb(db, "21224");
	cr_assert_not_null(pizza);
	cr_expect_gt(pizza->nmeasures, 3);
	cal_fooddb_free(db);
}

/* The curated tables as shipped in data/ (skipped until aliases.csv exists). */
Test(fooddb, real_data_dir)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/aliases.csv", data_dir());
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		cr_skip_test("no %s yet", path);
		return;
	}
	fclose(f);
	cal_fooddb *db = NULL;
	size_t len = 0;
	char *errs = NULL;
	FILE *e = open_memstream(&errs, &len);
	double t0 = ms_cpu();
	cal_err rc = cal_fooddb_load(data_dir(), &db, e);
	double ms = ms_cpu() - t0;
	fclose(e);
	if (rc != CAL_OK)
		fprintf(stderr, "%s", errs);
	free(errs);
	cr_assert_eq(rc, CAL_OK, "data/ must load cleanly (problems above)");
	cr_expect_geq(cal_fooddb_alias_count(db), 600, "SPEC §7.1: at least 600 names");
	fprintf(stderr, "fooddb: data/ loaded in %.1f ms CPU: %zu foods, %zu recipes, %zu aliases\n", ms,
		cal_fooddb_food_count(db), cal_fooddb_recipe_count(db), cal_fooddb_alias_count(db));
	cal_fooddb_free(db);
}
