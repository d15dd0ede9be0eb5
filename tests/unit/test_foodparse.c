/*
 * Tests for src/services/foodparse.c. Three parts:
 *  - a table of 180 phrasings (Spanish and English) against the fixture tables in tests/unit/food/ok/,
 *    each with the expected items (alias target, or the unmatched name) and grams;
 *  - junk that must never crash and must end as food_unclear (empty, emoji, 10,000 bytes, SQL, HTML,
 *    invalid UTF-8 …), confidence and JSON shape;
 *  - accuracy: meals whose totals were computed by hand from SR24 rows (the arithmetic is in the comments),
 *    within 5 % for explicit quantities and 25 % of a typical serving for default portions. The fixture
 *    rows are verbatim SR24 rows; the same meals run against data/ when the curated tables are there.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "caloria/fooddb.h"
#include "caloria/foodcli.h"
#include "caloria/foodparse.h"

#ifndef FOOD_FIXTURES
#define FOOD_FIXTURES "tests/unit/food"
#endif

static cal_fooddb *db;
static cal_arena arena;

static void load_dir(const char *dir)
{
	cal_arena_init(&arena, 0);
	db = NULL;
	cal_err rc = cal_fooddb_load(dir, &db, stderr);
	cr_assert_eq(rc, CAL_OK, "cannot load %s", dir);
}

static void setup_fixture(void)
{
	char dir[1024];
	const char *d = getenv("CALORIA_FOOD_FIXTURES");
	snprintf(dir, sizeof dir, "%s/ok", d ? d : FOOD_FIXTURES);
	load_dir(dir);
}

static void teardown(void)
{
	cal_fooddb_free(db);
	db = NULL;
	cal_arena_free(&arena);
}

typedef struct exp_item {
	const char *ref;     /* alias target; NULL = expected unmatched */
	const char *name;    /* unmatched: the name reported */
	double grams;
} exp_item;

typedef struct pcase {
	const char *text;
	size_t n;
	exp_item items[5];
} pcase;

static const pcase cases[] = {
	{ "2 huevos revueltos y una tostada con manteca", 3, { { "ndb:01132", NULL, 122 }, { "ndb:18070", NULL, 22 }, { "ndb:01001", NULL, 5 } } },
	{ "milanesa con puré", 2, { { "recipe:milanesa", NULL, 170 }, { "ndb:11934", NULL, 200 } } },
	{ "un café con leche y dos medialunas", 2, { { "recipe:café con leche", NULL, 250 }, { "ndb:18239", NULL, 80 } } },
	{ "1 cup of oatmeal with a banana", 2, { { "ndb:08121", NULL, 234 }, { "ndb:09040", NULL, 118 } } },
	{ "200 g de pollo a la plancha", 1, { { "ndb:05064", NULL, 200 } } },
	{ "ensalada de lechuga, tomate y media palta", 3, { { "ndb:11253", NULL, 36 }, { "ndb:11529", NULL, 123 }, { "ndb:09037", NULL, 100.5 } } },
	{ "3 huevos", 1, { { "ndb:01123", NULL, 150 } } },
	{ "2 tostadas", 1, { { "ndb:18070", NULL, 44 } } },
	{ "1,5 tazas de arroz", 1, { { "ndb:20045", NULL, 237 } } },
	{ "1.5 tazas de arroz", 1, { { "ndb:20045", NULL, 237 } } },
	{ "1/2 taza de avena", 1, { { "ndb:08121", NULL, 117 } } },
	{ "1 1/2 tazas de leche", 1, { { "ndb:01077", NULL, 366 } } },
	{ "½ palta", 1, { { "ndb:09037", NULL, 100.5 } } },
	{ "1½ banana", 1, { { "ndb:09040", NULL, 177 } } },
	{ "¾ taza de yogur", 1, { { "ndb:01116", NULL, 183.75 } } },
	{ "250 ml de leche", 1, { { "ndb:01077", NULL, 254.1667 } } },
	{ "300 ml de coca cola", 1, { { "ndb:14400", NULL, 300 } } },
	{ "1 l de agua", 1, { { "ndb:14555", NULL, 987.5 } } },
	{ "1 litro de agua", 1, { { "ndb:14555", NULL, 987.5 } } },
	{ "2 litros de coca cola", 1, { { "ndb:14400", NULL, 2000 } } },
	{ "0,5 kg de papas", 1, { { "ndb:11365", NULL, 500 } } },
	{ "medio kilo de papas", 1, { { "ndb:11365", NULL, 500 } } },
	{ "100 gr de queso", 1, { { "ndb:01026", NULL, 100 } } },
	{ "150 grs de salmón", 1, { { "ndb:15237", NULL, 150 } } },
	{ "80 gramos de jamón", 1, { { "ndb:07029", NULL, 80 } } },
	{ "200g de arroz", 1, { { "ndb:20045", NULL, 200 } } },
	{ "1 kg de manzanas", 1, { { "ndb:09003", NULL, 1000 } } },
	{ "4 oz of salmon", 1, { { "ndb:15237", NULL, 113.398 } } },
	{ "1 lb of chicken", 1, { { "ndb:05064", NULL, 453.592 } } },
	{ "2 oz cheese", 1, { { "ndb:01009", NULL, 56.699 } } },
	{ "12 fl oz of coke", 1, { { "ndb:14400", NULL, 368.4 } } },
	{ "un huevo", 1, { { "ndb:01123", NULL, 50 } } },
	{ "una manzana", 1, { { "ndb:09003", NULL, 182 } } },
	{ "dos huevos duros", 1, { { "ndb:01123", NULL, 100 } } },
	{ "tres tostadas", 1, { { "ndb:18070", NULL, 66 } } },
	{ "cuatro medialunas", 1, { { "ndb:18239", NULL, 160 } } },
	{ "cinco galletitas", 1, { { NULL, "galletitas", 0 } } },
	{ "seis empanadas", 1, { { "recipe:empanada de carne", NULL, 540 } } },
	{ "media manzana", 1, { { "ndb:09003", NULL, 91 } } },
	{ "medio vaso de leche", 1, { { "ndb:01077", NULL, 122 } } },
	{ "una docena de empanadas", 1, { { "recipe:empanada de carne", NULL, 1080 } } },
	{ "media docena de huevos", 1, { { "ndb:01123", NULL, 300 } } },
	{ "un par de tostadas", 1, { { "ndb:18070", NULL, 44 } } },
	{ "diez medialunas", 1, { { "ndb:18239", NULL, 400 } } },
	{ "doce huevos", 1, { { "ndb:01123", NULL, 600 } } },
	{ "once tostadas", 1, { { "ndb:18070", NULL, 242 } } },
	{ "ocho fetas de jamón", 1, { { "ndb:07029", NULL, 224 } } },
	{ "nueve papas", 1, { { "ndb:11365", NULL, 1224 } } },
	{ "a banana", 1, { { "ndb:09040", NULL, 118 } } },
	{ "an apple", 1, { { "ndb:09003", NULL, 182 } } },
	{ "one egg", 1, { { "ndb:01123", NULL, 50 } } },
	{ "two eggs", 1, { { "ndb:01123", NULL, 100 } } },
	{ "three slices of bread", 1, { { "ndb:18069", NULL, 84 } } },
	{ "half an avocado", 1, { { "ndb:09037", NULL, 100.5 } } },
	{ "a dozen eggs", 1, { { "ndb:01123", NULL, 600 } } },
	{ "half a dozen eggs", 1, { { "ndb:01123", NULL, 300 } } },
	{ "a couple of bananas", 1, { { "ndb:09040", NULL, 236 } } },
	{ "four slices of toast", 1, { { "ndb:18070", NULL, 88 } } },
	{ "ten grapes", 1, { { NULL, "grapes", 0 } } },
	{ "five cups of water", 1, { { "ndb:14555", NULL, 1185 } } },
	{ "one and a half cups of rice", 1, { { "ndb:20045", NULL, 237 } } },
	{ "2 y media tazas de arroz", 1, { { "ndb:20045", NULL, 395 } } },
	{ "una taza de café", 1, { { "ndb:14209", NULL, 237 } } },
	{ "2 tazas de té", 1, { { "ndb:14355", NULL, 474 } } },
	{ "una cucharada de miel", 1, { { "ndb:19296", NULL, 21 } } },
	{ "2 cucharadas de mantequilla de maní", 1, { { "ndb:16398", NULL, 32 } } },
	{ "una cucharadita de azúcar", 1, { { "ndb:19335", NULL, 4.2 } } },
	{ "3 cucharaditas de azúcar", 1, { { "ndb:19335", NULL, 12.6 } } },
	{ "1 tbsp olive oil", 1, { { "ndb:04053", NULL, 13.5 } } },
	{ "2 tsp sugar", 1, { { "ndb:19335", NULL, 8.4 } } },
	{ "1 tablespoon of butter", 1, { { "ndb:01001", NULL, 14.2 } } },
	{ "a teaspoon of honey", 1, { { "ndb:19296", NULL, 7.0625 } } },
	{ "2 rebanadas de pan", 1, { { "ndb:18069", NULL, 56 } } },
	{ "3 fetas de queso", 1, { { "ndb:01026", NULL, 85 } } },
	{ "1 slice of cheese", 1, { { "ndb:01009", NULL, 28 } } },
	{ "una porción de pizza", 1, { { "ndb:21224", NULL, 107 } } },
	{ "2 porciones de pizza", 1, { { "ndb:21224", NULL, 214 } } },
	{ "un plato de fideos", 1, { { "ndb:20121", NULL, 250 } } },
	{ "a plate of pasta", 1, { { "ndb:20121", NULL, 250 } } },
	{ "un vaso de jugo de naranja", 1, { { "ndb:09206", NULL, 248 } } },
	{ "a glass of milk", 1, { { "ndb:01077", NULL, 244 } } },
	{ "una lata de coca cola", 1, { { "ndb:14400", NULL, 368 } } },
	{ "a can of beer", 1, { { "ndb:14003", NULL, 356 } } },
	{ "una botella de agua", 1, { { "ndb:14555", NULL, 493.75 } } },
	{ "a bottle of coke", 1, { { "ndb:14400", NULL, 491 } } },
	{ "a handful of carrots", 1, { { "ndb:11124", NULL, 30 } } },
	{ "2 unidades de empanada", 1, { { "recipe:empanada de carne", NULL, 180 } } },
	{ "3 piezas de pollo", 1, { { "ndb:05064", NULL, 450 } } },
	{ "one serving of rice", 1, { { "ndb:20045", NULL, 158 } } },
	{ "una copa de vino", 1, { { "ndb:14096", NULL, 150 } } },
	{ "2 copas de vino tinto", 1, { { "ndb:14096", NULL, 300 } } },
	{ "un tazón de avena", 1, { { "ndb:08121", NULL, 234 } } },
	{ "a bowl of oatmeal", 1, { { "ndb:08121", NULL, 234 } } },
	{ "1 taza de banana", 1, { { "ndb:09040", NULL, 150 } } },
	{ "1 taza de pollo", 1, { { "ndb:05064", NULL, 140 } } },
	{ "1 taza de pizza", 1, { { NULL, "pizza", 0 } } },
	{ "200 cc de leche", 1, { { "ndb:01077", NULL, 203.3333 } } },
	{ "taza de té", 1, { { "ndb:14355", NULL, 237 } } },
	{ "vaso de agua", 1, { { "ndb:14555", NULL, 237 } } },
	{ "plato de arroz", 1, { { "ndb:20045", NULL, 250 } } },
	{ "huevitos", 1, { { "ndb:01123", NULL, 100 } } }, /* a diminutive plural is a plural */
	{ "cafecito", 1, { { "ndb:14209", NULL, 200 } } },
	{ "tostadita con manteca", 2, { { "ndb:18070", NULL, 22 }, { "ndb:01001", NULL, 5 } } },
	{ "pancito", 1, { { "ndb:18069", NULL, 50 } } },
	{ "panes", 1, { { "ndb:18069", NULL, 100 } } },        /* a plural without a number: two */
	{ "limones", 1, { { "ndb:09150", NULL, 116 } } },
	{ "2 tomates", 1, { { "ndb:11529", NULL, 246 } } },
	{ "tomatitos", 1, { { "ndb:11529", NULL, 246 } } },
	{ "empanaditas", 1, { { "recipe:empanada de carne", NULL, 180 } } },
	{ "3 bananas", 1, { { "ndb:09040", NULL, 354 } } },
	{ "eggs", 1, { { "ndb:01123", NULL, 100 } } },
	{ "2 apples", 1, { { "ndb:09003", NULL, 364 } } },
	{ "potatoes", 1, { { "ndb:11365", NULL, 272 } } },
	{ "3 tomatoes", 1, { { "ndb:11529", NULL, 369 } } },
	{ "two scrambled eggs", 1, { { "ndb:01132", NULL, 122 } } },
	{ "huevos revueltos", 1, { { "ndb:01132", NULL, 122 } } },
	{ "medialunitas", 1, { { "ndb:18239", NULL, 80 } } },
	{ "manzanitas", 1, { { "ndb:09003", NULL, 364 } } },
	{ "papitas", 1, { { "ndb:11365", NULL, 272 } } },
	{ "dos cafecitos", 1, { { "ndb:14209", NULL, 400 } } },
	{ "juguito de naranja", 1, { { "ndb:09206", NULL, 250 } } },
	{ "pan con tomate", 1, { { "recipe:pan con tomate", NULL, 105 } } },
	{ "arroz con leche", 1, { { "recipe:arroz con leche", NULL, 200 } } },
	{ "mac and cheese", 1, { { "recipe:mac and cheese", NULL, 225 } } },
	{ "café con leche con medialunas", 2, { { "recipe:café con leche", NULL, 250 }, { "ndb:18239", NULL, 80 } } },
	{ "huevo y tostada", 2, { { "ndb:01123", NULL, 50 }, { "ndb:18070", NULL, 22 } } },
	{ "tomate e higos", 2, { { "ndb:11529", NULL, 123 }, { NULL, "higos", 0 } } },
	{ "eggs and toast", 2, { { "ndb:01123", NULL, 100 }, { "ndb:18070", NULL, 22 } } },
	{ "toast with butter", 2, { { "ndb:18070", NULL, 22 }, { "ndb:01001", NULL, 5 } } },
	{ "chicken & rice", 2, { { "ndb:05064", NULL, 150 }, { "ndb:20045", NULL, 158 } } },
	{ "pizza + coca cola", 2, { { "ndb:21224", NULL, 107 }, { "ndb:14400", NULL, 355 } } },
	{ "arroz; pollo", 2, { { "ndb:20045", NULL, 158 }, { "ndb:05064", NULL, 150 } } },
	{ "rice, chicken, and lettuce", 3, { { "ndb:20045", NULL, 158 }, { "ndb:05064", NULL, 150 }, { "ndb:11253", NULL, 36 } } },
	{ "pollo con arroz y ensalada de tomate", 3, { { "ndb:05064", NULL, 150 }, { "ndb:20045", NULL, 158 }, { "ndb:11529", NULL, 123 } } },
	{ "salad of lettuce and tomato", 2, { { "ndb:11253", NULL, 36 }, { "ndb:11529", NULL, 123 } } },
	{ "café con leche y medialunas", 2, { { "recipe:café con leche", NULL, 250 }, { "ndb:18239", NULL, 80 } } },
	{ "comí 2 huevos", 1, { { "ndb:01123", NULL, 100 } } },
	{ "hoy desayuné café con leche", 1, { { "recipe:café con leche", NULL, 250 } } },
	{ "I had two eggs for breakfast", 1, { { "ndb:01123", NULL, 100 } } },
	{ "milanesa con puré con mucho amor", 2, { { "recipe:milanesa", NULL, 170 }, { "ndb:11934", NULL, 200 } } },
	{ "pizza casera", 1, { { "ndb:21224", NULL, 107 } } },
	{ "pollo grillado con papas", 2, { { "ndb:05064", NULL, 150 }, { "ndb:11365", NULL, 272 } } },
	{ "2 choclos y una manzana", 2, { { NULL, "choclos", 0 }, { "ndb:09003", NULL, 182 } } },
	{ "un alfajor", 1, { { NULL, "alfajor", 0 } } },
	{ "locro", 1, { { NULL, "locro", 0 } } },
	{ "comí mucho hoy", 0, {  } },
	{ "2 huevos grandes", 1, { { "ndb:01123", NULL, 100 } } },
	{ "un plato grande de fideos", 1, { { "ndb:20121", NULL, 333.3333 } } },
	{ "una taza llena de café", 1, { { "ndb:14209", NULL, 237 } } },
	{ "2 tostadas y 1 café", 2, { { "ndb:18070", NULL, 44 }, { "ndb:14209", NULL, 200 } } },
	{ "3 huevos, 2 tostadas, 1 café, 1 jugo de naranja", 4, { { "ndb:01123", NULL, 150 }, { "ndb:18070", NULL, 44 }, { "ndb:14209", NULL, 200 }, { "ndb:09206", NULL, 250 } } },
	{ "HUEVO REVUELTO", 1, { { "ndb:01132", NULL, 61 } } },
	{ "Café Con Leche", 1, { { "recipe:café con leche", NULL, 250 } } },
	{ "cafe con leche", 1, { { "recipe:café con leche", NULL, 250 } } },
	{ "pure de papas", 1, { { "ndb:11934", NULL, 200 } } },
	{ "salmon", 1, { { "ndb:15237", NULL, 150 } } },
	{ "1 pan con tomate y 1 café", 2, { { "recipe:pan con tomate", NULL, 105 }, { "ndb:14209", NULL, 200 } } },
	{ "2 medialunas y un cafe con leche", 2, { { "ndb:18239", NULL, 80 }, { "recipe:café con leche", NULL, 250 } } },
	{ "a cup of coffee and two croissants", 2, { { "ndb:14209", NULL, 237 }, { "ndb:18239", NULL, 114 } } },
	{ "yogur con banana y miel", 3, { { "ndb:01116", NULL, 200 }, { "ndb:09040", NULL, 118 }, { "ndb:19296", NULL, 21 } } },
	{ "yogurt with honey", 2, { { "ndb:01116", NULL, 200 }, { "ndb:19296", NULL, 21 } } },
	{ "pasta con queso", 2, { { "ndb:20121", NULL, 200 }, { "ndb:01026", NULL, 30 } } },
	{ "una empanada de carne", 1, { { "recipe:empanada de carne", NULL, 90 } } },
	{ "2 empanadas de carne", 1, { { "recipe:empanada de carne", NULL, 180 } } },
	{ "un pancito con mantequilla", 2, { { "ndb:18069", NULL, 50 }, { "ndb:01001", NULL, 5 } } },
	{ "almorcé 150 g de arroz con 100 g de pollo", 2, { { "ndb:20045", NULL, 150 }, { "ndb:05064", NULL, 100 } } },
	{ "cené 2 porciones de pizza y una cerveza", 2, { { "ndb:21224", NULL, 214 }, { "ndb:14003", NULL, 355 } } },
	{ "de postre arroz con leche", 1, { { "recipe:arroz con leche", NULL, 200 } } },
	{ "2 huevos duros y 1 naranja", 2, { { "ndb:01123", NULL, 100 }, { "ndb:09200", NULL, 131 } } },
	{ "un zumo de naranja y una tostada con aceite de oliva", 3, { { "ndb:09206", NULL, 250 }, { "ndb:18070", NULL, 22 }, { "ndb:04053", NULL, 13.5 } } },
	{ "1 patata y 1 cebolla", 2, { { "ndb:11365", NULL, 136 }, { "ndb:11282", NULL, 110 } } },
	{ "spaghetti with cheese", 2, { { "ndb:20121", NULL, 200 }, { "ndb:01009", NULL, 28 } } },
	{ "200 ml de vino", 1, { { "ndb:14096", NULL, 200 } } },
	{ "a glass of orange juice", 1, { { "ndb:09206", NULL, 248 } } },
	{ "peanut butter toast", 2, { { "ndb:16398", NULL, 16 }, { "ndb:18070", NULL, 22 } } }, /* spread: 1 tbsp */
	{ "3 zanahorias", 1, { { "ndb:11124", NULL, 183 } } },
	{ "medio pepino", 1, { { "ndb:11205", NULL, 75 } } },
	{ "dos aguacates", 1, { { "ndb:09037", NULL, 402 } } },
	{ "una gaseosa", 1, { { "ndb:14400", NULL, 355 } } },
	{ "té con miel", 2, { { "ndb:14355", NULL, 240 }, { "ndb:19296", NULL, 21 } } },
};

static void check_case(const pcase *c)
{
	cal_food_analysis a;
	cal_arena_reset(&arena);
	cr_assert_eq(cal_foodparse_analyze(db, c->text, &arena, &a), CAL_OK, "%s", c->text);
	cr_expect_eq(a.nitems, c->n, "\"%s\": %zu items, want %zu", c->text, a.nitems, c->n);
	size_t n = a.nitems < c->n ? a.nitems : c->n;
	size_t want_matched = 0;
	for (size_t i = 0; i < c->n; i++)
		want_matched += c->items[i].ref != NULL;
	cr_expect_eq(a.nmatched, want_matched, "\"%s\": %zu matched, want %zu", c->text, a.nmatched, want_matched);
	for (size_t i = 0; i < n; i++) {
		const cal_food_item *it = &a.items[i];
		const exp_item *e = &c->items[i];
		if (e->ref == NULL) {
			cr_expect(!it->matched, "\"%s\" item %zu should be unmatched", c->text, i);
			cr_expect_str_eq(it->name, e->name, "\"%s\" item %zu name", c->text, i);
			continue;
		}
		cr_expect(it->matched, "\"%s\" item %zu (%s) should match %s", c->text, i, it->name, e->ref);
		cr_expect_str_eq(it->ref ? it->ref : "(null)", e->ref, "\"%s\" item %zu", c->text, i);
		cr_expect(fabs(it->grams - e->grams) < 0.01, "\"%s\" item %zu (%s): %.4f g, want %.4f g", c->text, i,
			  it->name, it->grams, e->grams);
	}
	if (c->n == 0)
		cr_expect_eq(a.confidence, 0.0);
}

Test(foodparse, phrasings, .init = setup_fixture, .fini = teardown)
{
	cr_assert_geq(sizeof cases / sizeof *cases, 150);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_case(&cases[i]);
}

/* Nutrients of an item are the food's per-100 g values scaled by its grams; the total sums matched items. */
Test(foodparse, nutrients_and_totals, .init = setup_fixture, .fini = teardown)
{
	cal_food_analysis a;
	cr_assert_eq(cal_foodparse_analyze(db, "2 huevos y 1 alfajor y 100 g de arroz", &arena, &a), CAL_OK);
	cr_assert_eq(a.nitems, 3);
	/* 2 eggs = 100 g × 143 kcal/100 g = 143 kcal; protein 100 × 12.56/100 = 12.56 g */
	cr_expect_float_eq(a.items[0].n.kcal, 143.0, 1e-9);
	cr_expect_float_eq(a.items[0].n.protein_g, 12.56, 1e-9);
	cr_expect_float_eq(a.items[0].n.sodium_mg, 142.0, 1e-9);
	cr_expect_float_eq(a.items[0].quantity, 2.0, 1e-9);
	cr_expect_str_eq(a.items[0].unit, "unit");
	cr_expect(a.items[0].explicit_qty);
	cr_expect(!a.items[1].matched);
	cr_expect_float_eq(a.items[1].n.kcal, 0.0, 1e-9);
	cr_expect_null(a.items[1].ref);
	/* 100 g rice × 130 kcal/100 g = 130 kcal; total 143 + 130 = 273 (the alfajor is not counted) */
	cr_expect_float_eq(a.total.kcal, 273.0, 1e-9);
	cr_expect_float_eq(a.total.carbs_g, 0.72 + 28.17, 1e-6);
	cr_expect_str_eq(a.provider, "table");
	cr_expect_str_eq(a.normalized, "2 huevos y 1 alfajor y 100 g de arroz");
	/* confidence: an item could not be matched, so the meal is a guess (< 0.5) */
	cr_expect_float_eq(a.confidence, 0.40, 1e-9);
}

Test(foodparse, confidence, .init = setup_fixture, .fini = teardown)
{
	static const struct {
		const char *text;
		double want;
	} t[] = {
		{ "2 huevos y 1 tostada", 0.95 },  /* all matched, counted */
		{ "100 g de arroz", 1.0 },         /* weighed */
		{ "huevo y tostada", 0.85 },       /* default portions of countable foods */
		{ "2 huevos y tostada", 0.92 },    /* kcal-weighted: (0.95 × 143 + 0.85 × 64.5) / 207.5 = 0.919 */
		{ "arroz", 0.60 },                 /* default portion of a food eaten in widely varying amounts */
		{ "2 huevos y 3 choclos", 0.40 },  /* one of two: a partial match is a guess */
		{ "1 taza de pizza", 0.0 },        /* refused: no cup data for pizza */
		{ "500 ml de pizza", 0.6 },        /* ml of a solid: guessed density */
		{ "choclo", 0.0 },
		{ "", 0.0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		cal_food_analysis a;
		cal_arena_reset(&arena);
		cr_assert_eq(cal_foodparse_analyze(db, t[i].text, &arena, &a), CAL_OK);
		cr_expect_float_eq(a.confidence, t[i].want, 1e-9, "\"%s\": confidence %.2f, want %.2f", t[i].text,
				   a.confidence, t[i].want);
	}
}

Test(foodparse, item_limit, .init = setup_fixture, .fini = teardown)
{
	char text[1001] = "";
	for (int i = 0; i < 40; i++)
		strcat(text, "huevo, ");
	cal_food_analysis a;
	cr_assert_eq(cal_foodparse_analyze(db, text, &arena, &a), CAL_OK);
	cr_expect_eq(a.nitems, CAL_FOOD_MAX_ITEMS);
	cr_expect_float_eq(a.total.kcal, CAL_FOOD_MAX_ITEMS * 50 * 1.43, 1e-6);
}

static void expect_unclear(const char *text, size_t len)
{
	cal_food_analysis a;
	char *copy = malloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	cal_arena_reset(&arena);
	cal_err rc = cal_foodparse_analyze(db, copy, &arena, &a);
	cr_expect(rc == CAL_OK || rc == CAL_ERR_VALIDATION);
	cr_expect_eq(a.nmatched, 0, "junk of %zu bytes matched %zu items", len, a.nmatched);
	cr_expect_eq(a.confidence, 0.0);
	cr_expect_eq(a.total.kcal, 0.0);
	for (size_t i = 0; i < a.nitems; i++)
		cr_expect_not_null(a.items[i].name);
	struct json_object *o = cal_foodparse_to_json(&a, "text");
	cr_expect_not_null(json_object_to_json_string(o));
	json_object_put(o);
	free(copy);
}

#define UNCLEAR(s) expect_unclear(s, sizeof(s) - 1)

Test(foodparse, junk, .init = setup_fixture, .fini = teardown)
{
	UNCLEAR("");
	UNCLEAR("   \t\n  ");
	UNCLEAR("🍕🍔🍟😀");
	UNCLEAR("SELECT * FROM users; DROP TABLE food_logs; --");
	UNCLEAR("'; DELETE FROM users WHERE '1'='1");
	UNCLEAR("<script>alert('x')</script><img src=x onerror=alert(1)>");
	UNCLEAR("\xff\xfe\xfd\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc");
	UNCLEAR("\xc3");
	UNCLEAR("1234567890 999999999999999999999999 1e308 -5 0/0 1/0");
	UNCLEAR(",,,,;;;;++++&&&&\n\n\n....");
	UNCLEAR("y y y con con and with & e e");
	UNCLEAR("comí mucho hoy con mucho amor");
	UNCLEAR("½ ¼ ¾ 1½");
	UNCLEAR("%s%s%s%n%n %x");
	UNCLEAR("99999999999 kg de arroz");      /* absurd amount: refused, not guessed */
	UNCLEAR("0 huevos");
	char big[10001];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	expect_unclear(big, sizeof big - 1); /* 10,000 bytes: over the limit */
	cal_food_analysis a;
	cr_expect_eq(cal_foodparse_analyze(db, big, &arena, &a), CAL_ERR_VALIDATION);
	/* 1000 bytes of separators and one long word: at the limit, still no match */
	char edge[1001];
	for (size_t i = 0; i < 1000; i++)
		edge[i] = (i % 2) ? ',' : 'y';
	edge[1000] = '\0';
	expect_unclear(edge, 1000);
	memset(edge, 'z', 1000);
	expect_unclear(edge, 1000);
	/* every byte value once */
	char all[256];
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	cr_expect_eq(cal_foodparse_analyze(db, all, &arena, &a), CAL_OK);
	cr_expect_eq(cal_foodparse_analyze(NULL, "huevo", &arena, &a), CAL_ERR_VALIDATION);
	cr_expect_eq(cal_foodparse_analyze(db, NULL, &arena, &a), CAL_ERR_VALIDATION);
}

/* Invalid UTF-8 in an unmatched name never reaches the JSON. */
Test(foodparse, unmatched_names_are_clean, .init = setup_fixture, .fini = teardown)
{
	cal_food_analysis a;
	cr_assert_eq(cal_foodparse_analyze(db, "2 huevos y choc\xffolate\x01 suizo", &arena, &a), CAL_OK);
	cr_assert_eq(a.nitems, 2);
	cr_expect_str_eq(a.items[1].name, "choc?olate  suizo");
	cr_assert_eq(cal_foodparse_analyze(db, "un alfajor de maicena", &arena, &a), CAL_OK);
	cr_assert_eq(a.nitems, 1);
	cr_expect_str_eq(a.items[0].name, "alfajor de maicena");
	cr_expect_float_eq(a.items[0].quantity, 1.0, 1e-9);
}

Test(foodparse, round1)
{
	cr_expect_float_eq(cal_foodparse_round1(143.04), 143.0, 1e-12);
	cr_expect_float_eq(cal_foodparse_round1(143.05), 143.1, 1e-12);
	cr_expect_float_eq(cal_foodparse_round1(-0.04), 0.0, 1e-12);
	cr_expect(!signbit(cal_foodparse_round1(-0.04)), "no negative zero");
	cr_expect_float_eq(cal_foodparse_round1(NAN), 0.0, 1e-12);
	cr_expect_float_eq(cal_foodparse_round1(2.25), 2.3, 1e-12);
}

Test(foodparse, json_shape, .init = setup_fixture, .fini = teardown)
{
	cal_food_analysis a;
	cr_assert_eq(cal_foodparse_analyze(db, "2 huevos y un alfajor", &arena, &a), CAL_OK);
	struct json_object *o = cal_foodparse_to_json(&a, "text");
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	cr_expect_str_eq(s,
			 "{\"source\":\"text\",\"provider\":\"table\",\"confidence\":0.40,\"items\":["
			 "{\"name\":\"huevo\",\"quantity\":2.0,\"unit\":\"unit\",\"grams\":100.0,\"kcal\":143.0,"
			 "\"protein_g\":12.6,\"carbs_g\":0.7,\"fat_g\":9.5,\"fiber_g\":0.0,\"matched\":true},"
			 "{\"name\":\"alfajor\",\"quantity\":1.0,\"unit\":\"unit\",\"grams\":0.0,\"kcal\":0.0,"
			 "\"protein_g\":0.0,\"carbs_g\":0.0,\"fat_g\":0.0,\"fiber_g\":0.0,\"matched\":false}],"
			 "\"total\":{\"kcal\":143.0,\"protein_g\":12.6,\"carbs_g\":0.7,\"fat_g\":9.5,\"fiber_g\":0.0}}");
	/* The JSON parses back and the numbers are numbers. */
	struct json_object *back = json_tokener_parse(s);
	cr_assert_not_null(back);
	struct json_object *items, *total, *kcal;
	cr_assert(json_object_object_get_ex(back, "items", &items));
	cr_expect_eq(json_object_array_length(items), 2);
	cr_assert(json_object_object_get_ex(back, "total", &total));
	cr_assert(json_object_object_get_ex(total, "kcal", &kcal));
	cr_expect(json_object_is_type(kcal, json_type_double));
	cr_expect_float_eq(json_object_get_double(kcal), 143.0, 1e-9);
	json_object_put(back);
	json_object_put(o);

	cr_assert_eq(cal_foodparse_analyze(db, "???", &arena, &a), CAL_OK);
	o = cal_foodparse_to_json(&a, "audio");
	cr_expect_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			 "{\"source\":\"audio\",\"provider\":\"table\",\"confidence\":0.00,\"items\":[],"
			 "\"total\":{\"kcal\":0.0,\"protein_g\":0.0,\"carbs_g\":0.0,\"fat_g\":0.0,\"fiber_g\":0.0}}");
	json_object_put(o);
}

/* ---- accuracy against hand-computed SR24 totals ----------------------------------------------------- */

typedef struct meal {
	const char *text;
	double kcal; /* computed by hand, see the comment on each row */
} meal;

/* Explicit quantities: the result must be within 5 % of the hand computation. */
static const meal explicit_meals[] = {
	/* 2 large eggs: SR24 01123 "1 large=50" g; 2 × 50 g × 143 kcal/100 g = 143.0 */
	{ "2 huevos", 143.0 },
	/* SR24 05064 roasted chicken breast 165 kcal/100 g; 200 g × 1.65 = 330.0 */
	{ "200 g de pollo a la plancha", 330.0 },
	/* SR24 20045 cooked white rice "1 cup=158" g, 130 kcal/100 g; 158 × 1.30 = 205.4 */
	{ "1 taza de arroz", 205.4 },
	/* SR24 01077 whole milk "1 cup=244" g for 240 ml; 250 ml = 254.2 g × 0.61 = 155.0 */
	{ "250 ml de leche", 155.0 },
	/* SR24 09040 "1 medium=118" g × 89 kcal/100 g = 105.0 */
	{ "1 banana", 105.0 },
	/* SR24 09003 "1 medium=182" g × 52 kcal/100 g = 94.6 */
	{ "1 manzana", 94.6 },
	/* SR24 18069 white bread "1 slice=28" g; 2 × 28 × 2.65 = 148.4 */
	{ "2 rebanadas de pan de molde", 148.4 },
	/* SR24 01026 mozzarella 300 kcal/100 g; 100 g = 300.0 */
	{ "100 g de queso mozzarella", 300.0 },
	/* SR24 04053 olive oil "1 tablespoon=13.5" g; 2 × 13.5 × 8.84 = 238.7 */
	{ "2 cucharadas de aceite de oliva", 238.7 },
	/* SR24 14400 cola "1 can 12 fl oz=368" g × 37 kcal/100 g = 136.2 */
	{ "1 lata de coca cola", 136.2 },
	/* SR24 14003 beer "1 can=356" g × 43 kcal/100 g = 153.1 */
	{ "1 lata de cerveza", 153.1 },
	/* SR24 08121 cooked oatmeal "1 cup=234" g × 71 kcal/100 g = 166.1 */
	{ "1 cup of oatmeal", 166.1 },
	/* SR24 15237 farmed Atlantic salmon, cooked, 206 kcal/100 g; 150 g = 309.0 */
	{ "150 g de salmón", 309.0 },
	/* SR24 19296 honey "1 tbsp=21" g × 304 kcal/100 g = 63.8 */
	{ "1 cucharada de miel", 63.8 },
	/* SR24 07029 ham "1 slice=28" g; 3 × 28 × 1.63 = 136.9 */
	{ "3 fetas de jamón", 136.9 },
	/* SR24 01132 scrambled egg "1 large=61" g: 2 × 61 × 1.49 = 181.8; + 2 slices bread 148.4 = 330.2 */
	{ "2 huevos revueltos y 2 rebanadas de pan de molde", 330.2 },
	/* 1 cup oatmeal 166.1 + 1 medium banana 105.0 = 271.1 */
	{ "1 cup of oatmeal with 1 banana", 271.1 },
	/* A glass of juice is SR24's cup: 09206 orange juice "1 cup=248" g × 0.45 = 111.6 */
	{ "1 vaso de jugo de naranja", 111.6 },
	/* SR24 18070 toast "1 slice=22" g: 2 × 22 × 2.93 = 128.9; 10 g butter (01001) × 7.17 = 71.7; = 200.6 */
	{ "2 tostadas con 10 g de manteca", 200.6 },
	/* 1/2 cup rice = 79 g × 1.30 = 102.7; 100 g chicken breast × 1.65 = 165.0; = 267.7 */
	{ "media taza de arroz con 100 g de pollo a la plancha", 267.7 },
};

/* Default portions: within 25 % of a typical serving, each cited. */
static const meal default_meals[] = {
	/* Typical: SR24 36403 "Restaurant, Latino, empanadas, beef, prepared", "1 piece=89" g × 335/100 = 298.2 */
	{ "una empanada", 298.2 },
	/* Typical: one 150 g breaded fried cutlet at SR24 05058 (breast, fried, batter) 260 kcal/100 g = 390.0,
	 * + 1 cup mashed potatoes SR24 11371 "1 cup=210" g × 113/100 = 237.3; = 627.3 */
	{ "milanesa con puré", 627.3 },
	/* Typical: 1 cup (240 ml) half brewed coffee (120 g × 1/100 = 1.2) and half whole milk
	 * (120 ml = 122 g × 61/100 = 74.4); = 75.6 */
	{ "un café con leche", 75.6 },
	/* Typical: a medialuna is a small croissant, SR24 18239 "1 croissant, small=42" g; 2 × 42 × 4.06 = 341.0 */
	{ "dos medialunas", 341.0 },
	/* Typical: SR24 21299 14" cheese pizza "1 slice=107" g × 266/100 = 284.6 */
	{ "una porción de pizza", 284.6 },
	/* Typical: SR24 18070 toast "1 slice=22" g × 2.93 = 64.5 + SR24 01001 butter "1 pat=5" g × 7.17 = 35.9;
	 * = 100.4 */
	{ "una tostada con manteca", 100.4 },
};

static void run_meals(const char *label, const meal *m, size_t n, double tolerance)
{
	double worst = 0, sum = 0;
	for (size_t i = 0; i < n; i++) {
		cal_food_analysis a;
		cal_arena_reset(&arena);
		cr_assert_eq(cal_foodparse_analyze(db, m[i].text, &arena, &a), CAL_OK);
		cr_expect_eq(a.nmatched, a.nitems, "%s: \"%s\" has unmatched items", label, m[i].text);
		double err = (a.total.kcal - m[i].kcal) / m[i].kcal;
		fprintf(stderr, "foodparse %-22s %-50s %7.1f kcal vs %7.1f by hand: %+6.1f %%\n", label, m[i].text,
			a.total.kcal, m[i].kcal, 100 * err);
		cr_expect(fabs(err) <= tolerance, "%s: \"%s\" gives %.1f kcal, by hand %.1f (%.1f %% off)", label,
			  m[i].text, a.total.kcal, m[i].kcal, 100 * err);
		worst = fmax(worst, fabs(err));
		sum += fabs(err);
	}
	fprintf(stderr, "foodparse %s: %zu meals, mean |error| %.1f %%, worst %.1f %%\n", label, n,
		100 * sum / (double)n, 100 * worst);
}

Test(foodparse, accuracy_fixture, .init = setup_fixture, .fini = teardown)
{
	cr_assert_geq(sizeof explicit_meals / sizeof *explicit_meals, 15);
	run_meals("fixture/explicit", explicit_meals, sizeof explicit_meals / sizeof *explicit_meals, 0.05);
	run_meals("fixture/default", default_meals, sizeof default_meals / sizeof *default_meals, 0.25);
}

static bool setup_data(void)
{
	const char *d = getenv("CALORIA_DATA_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/aliases.csv", d ? d : "data");
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	fclose(f);
	load_dir(d ? d : "data");
	return true;
}

Test(foodparse, accuracy_data, .fini = teardown)
{
	if (!setup_data()) {
		cal_arena_init(&arena, 0);
		cr_skip_test("data/aliases.csv not there yet");
		return;
	}
	run_meals("data/explicit", explicit_meals, sizeof explicit_meals / sizeof *explicit_meals, 0.05);
	run_meals("data/default", default_meals, sizeof default_meals / sizeof *default_meals, 0.25);
}

/* The SPEC §7.2 examples on the shipped tables: every item matched. */
Test(foodparse, spec_examples_data, .fini = teardown)
{
	if (!setup_data()) {
		cal_arena_init(&arena, 0);
		cr_skip_test("data/aliases.csv not there yet");
		return;
	}
	static const struct {
		const char *text;
		size_t items;
	} ex[] = {
		{ "2 huevos revueltos y una tostada con manteca", 3 }, { "milanesa con puré", 2 },
		{ "un café con leche y dos medialunas", 2 },           { "1 cup of oatmeal with a banana", 2 },
		{ "200 g de pollo a la plancha", 1 },                  { "ensalada de lechuga, tomate y media palta", 3 },
	};
	for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
		cal_food_analysis a;
		cal_arena_reset(&arena);
		cr_assert_eq(cal_foodparse_analyze(db, ex[i].text, &arena, &a), CAL_OK);
		cr_expect_eq(a.nitems, ex[i].items, "\"%s\": %zu items", ex[i].text, a.nitems);
		cr_expect_eq(a.nmatched, a.nitems, "\"%s\": all matched", ex[i].text);
	}
}

/* ---- how people type meals: one case per pattern, on the shipped tables -------------------------- */

typedef struct pattern {
	const char *text;
	size_t n;             /* items */
	const char *ref[3];   /* alias target of each item, in order */
	double grams[3];      /* grams of each item (±0.5 g) */
	int guess;            /* 1: confidence must be < 0.5 (the reply asks); 0: ≥ 0.5 */
	const char *assumed;  /* what the first item must say it assumed, or NULL */
} pattern;

static const pattern patterns[] = {
	/* 1. amounts anywhere in the item, both languages */
	{ "queso 50 g", 1, { "ndb:01009" }, { 50 }, 0, NULL },
	{ "una leche de 250 ml", 1, { "ndb:01077" }, { 254.2 }, 0, NULL },        /* SR24 1 cup = 244 g per 240 ml */
	{ "coffee 2 cups", 1, { "ndb:14209" }, { 474 }, 0, NULL },
	{ "pollo grillado 180g", 1, { "ndb:05064" }, { 180 }, 0, NULL },
	{ "lomo 220g a la plancha", 1, { "ndb:13440" }, { 220 }, 0, NULL },
	{ "huevos x2", 1, { "ndb:01123" }, { 100 }, 0, NULL },
	{ "pizza de muzzarella, 2 porciones", 1, { "ndb:21299" }, { 214 }, 0, NULL },
	{ "a 16 oz steak", 1, { "ndb:13445" }, { 340.2 }, 0, NULL },            /* menu weight is raw: × 0.75 */
	{ "chicken breast 6 oz", 1, { "ndb:05064" }, { 170.1 }, 0, NULL },      /* poultry: as eaten */
	/* 2. the longest phrase is the dish; fillings inside it; toppings a spread's worth; milk not twice */
	{ "empanada de humita", 1, { "recipe:empanada_de_humita" }, { 90 }, 0, NULL },
	{ "omelette with cheese", 1, { "recipe:omelette_de_queso" }, { 150 }, 0, NULL },
	{ "sandwich de miga de jamón y queso", 1, { "recipe:sandwich_de_miga_jyq" }, { 60 }, 0, NULL },
	{ "empanada de carne y queso", 2, { "ndb:36403", "ndb:01009" }, { 89, 28 }, 0, NULL },
	{ "helado de chocolate", 1, { "ndb:19270" }, { 66 }, 0, NULL },
	{ "tostada con palta", 2, { "ndb:18070", "ndb:09037" }, { 22, 30 }, 0, NULL },
	{ "peanut butter toast", 2, { "ndb:16098", "ndb:18070" }, { 16, 22 }, 0, NULL },
	{ "licuado de frutilla con leche", 1, { "recipe:licuado_de_frutilla" }, { 408 }, 0, NULL },
	/* 3. portions by class and container, size words, regional measures */
	{ "un plato de fideos con tuco", 1, { "recipe:fideos_con_tuco" }, { 375 }, 0, NULL },
	{ "un plato de sopa", 1, { "ndb:06472" }, { 361.5 }, 0, NULL },          /* 1.5 SR24 cups */
	{ "una porción de pizza", 1, { "ndb:21299" }, { 107 }, 0, NULL },
	{ "media pizza", 1, { "ndb:21299" }, { 426.5 }, 0, NULL },              /* half of SR24 "1 pizza" */
	{ "medio pollo", 1, { "ndb:05009" }, { 299 }, 0, NULL },
	{ "una caña", 1, { "ndb:14003" }, { 200.8 }, 0, NULL },
	{ "una caña de cerveza", 1, { "ndb:14003" }, { 198 }, 0, NULL },         /* 200 ml */
	{ "a glass of wine", 1, { "ndb:14084" }, { 148 }, 0, NULL },            /* SR24 5 fl oz */
	{ "a glass of milk", 1, { "ndb:01077" }, { 244 }, 0, NULL },            /* SR24 1 cup */
	{ "a 12 oz can of coke", 1, { "ndb:14400" }, { 368.4 }, 0, NULL },      /* fluid ounces of a drink */
	{ "medium fries", 1, { "ndb:21138" }, { 134 }, 0, NULL },               /* SR24 "1 medium" */
	{ "medio kilo de helado", 1, { "ndb:19095" }, { 500 }, 0, NULL },
	{ "un cuarto de helado", 1, { "ndb:19095" }, { 250 }, 0, NULL },
	{ "a small bag of chips", 1, { "ndb:19411" }, { 28.4 }, 0, NULL },
	{ "una pizza grande", 1, { "ndb:21299" }, { 853 }, 0, NULL },             /* a whole one: SR24's 14" */
	{ "a medium pizza", 1, { "ndb:21299" }, { 639.75 }, 0, NULL },            /* 12": 3/4 of the area */
	{ "yogurt con frutillas y granola", 3, { "ndb:01116", "ndb:09316", "ndb:08037" }, { 170, 144, 30 }, 0, NULL },
	/* 4. vocabulary: regional dishes, chains, modifiers */
	{ "yogur griego", 1, { "ndb:01116" }, { 170 }, 0, NULL },
	{ "pan integral", 1, { "ndb:18075" }, { 28 }, 0, NULL },
	{ "a bag of m&ms", 1, { "ndb:19141" }, { 48 }, 0, NULL },
	{ "3 slices of domino's pepperoni pizza", 1, { "ndb:21280" }, { 339 }, 0, NULL },
	/* 5. typos: tolerated, said, and the meal is a guess */
	{ "milaneza con pure", 2, { "recipe:milanesa", "ndb:11371" }, { 150, 210 }, 1, "milaneza → milanesa" },
	{ "bananna", 1, { "ndb:09040" }, { 118 }, 1, "bananna → banana" },
	{ "yougurt", 1, { "ndb:01116" }, { 170 }, 1, "yougurt → yogurt" },
	{ "pam", 0, { NULL }, { 0 }, 1, NULL },                                    /* short words: never */
	/* 6. generic words to generic foods; a brand after an article is no size word */
	{ "un yogur", 1, { "ndb:01116" }, { 170 }, 0, NULL },
	{ "una tarta", 1, { "recipe:tarta_salada" }, { 150 }, 0, NULL },
	{ "tarta de manzana", 1, { "ndb:18301" }, { 125 }, 0, NULL },
	{ "a big mac and medium fries", 2, { "ndb:21237", "ndb:21138" }, { 219, 134 }, 0, NULL },
	{ "un cuarto de libra con queso", 1, { "ndb:21235" }, { 199 }, 0, NULL },
	{ "galletitas oreo", 1, { "ndb:18166" }, { 23 }, 1, NULL },                /* a plural: two */
	{ "café sin azúcar", 1, { "ndb:14209" }, { 178 }, 0, NULL },
	/* 7. guesses say so */
	{ "tacos", 1, { "recipe:taco_al_pastor" }, { 194 }, 1, NULL },             /* a plural: two */
	{ "flan con dulce de leche", 2, { "recipe:flan", "ndb:01225" }, { 120, 19 }, 1, NULL },
	{ "1 lb of ground beef for two, I ate half", 1, { "ndb:23575" }, { 340.2 }, 1, NULL },
	{ "2 huevos y 3 xyzzys", 2, { "ndb:01123", NULL }, { 100, 0 }, 1, NULL },
	{ "papas grandes del mc", 1, { "ndb:11367" }, { 300 }, 1, NULL },          /* the chain's fries? */
	{ "un poco de arroz", 1, { "ndb:20045" }, { 158 }, 1, NULL },              /* a vague amount */
	{ "chilaquiles con pollo", 2, { "recipe:chilaquiles", "ndb:05013" }, { 320, 140 }, 1, NULL }, /* in it or beside it? */
	{ "churrasco con fritas", 1, { "ndb:13959" }, { 150 }, 1, NULL },    /* "fritas" alone names no food */
	{ "arroz", 1, { "ndb:20045" }, { 158 }, 0, NULL },                         /* a default plate: 0.6 */
};

Test(foodparse, patterns_data, .fini = teardown)
{
	if (!setup_data()) {
		cal_arena_init(&arena, 0);
		cr_skip_test("data/aliases.csv not there yet");
		return;
	}
	for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
		const pattern *p = &patterns[i];
		cal_food_analysis a;
		cal_arena_reset(&arena);
		cr_assert_eq(cal_foodparse_analyze(db, p->text, &arena, &a), CAL_OK);
		size_t matched = 0;
		for (size_t k = 0; k < a.nitems; k++)
			matched += a.items[k].matched;
		if (p->n == 0) {
			cr_expect_eq(matched, 0, "\"%s\": nothing may match", p->text);
			continue;
		}
		cr_expect_eq(a.nitems, p->n, "\"%s\": %zu items, want %zu", p->text, a.nitems, p->n);
		for (size_t k = 0; k < p->n && k < a.nitems; k++) {
			const cal_food_item *it = &a.items[k];
			if (p->ref[k] == NULL) {
				cr_expect(!it->matched, "\"%s\" item %zu must be unmatched", p->text, k);
				continue;
			}
			cr_expect(it->matched && it->ref != NULL && strcmp(it->ref, p->ref[k]) == 0,
				  "\"%s\" item %zu: %s, want %s", p->text, k, it->ref ? it->ref : "(none)", p->ref[k]);
			cr_expect(fabs(it->grams - p->grams[k]) <= 0.5, "\"%s\" item %zu (%s): %.1f g, want %.1f g", p->text,
				  k, it->name, it->grams, p->grams[k]);
		}
		if (p->guess)
			cr_expect(a.confidence < 0.5, "\"%s\": confidence %.2f, want < 0.5", p->text, a.confidence);
		else
			cr_expect(a.confidence >= 0.5, "\"%s\": confidence %.2f, want >= 0.5", p->text, a.confidence);
		if (p->assumed != NULL && a.nitems > 0)
			cr_expect(a.items[0].assumed != NULL && strcmp(a.items[0].assumed, p->assumed) == 0,
				  "\"%s\": assumed \"%s\", want \"%s\"", p->text,
				  a.items[0].assumed ? a.items[0].assumed : "(none)", p->assumed);
	}
}

/* The reader's guesses reach the JSON the reply is built from. */
Test(foodparse, assumed_in_json, .fini = teardown)
{
	if (!setup_data()) {
		cal_arena_init(&arena, 0);
		cr_skip_test("data/aliases.csv not there yet");
		return;
	}
	cal_food_analysis a;
	cr_assert_eq(cal_foodparse_analyze(db, "milaneza", &arena, &a), CAL_OK);
	struct json_object *o = cal_foodparse_to_json(&a, "text");
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	cr_expect(strstr(s, "\"assumed\":\"milaneza → milanesa\"") != NULL, "%s", s);
	json_object_put(o);
}

/* What is drunk carries its volume for the reply ("1 lata de coca-cola (355 ml)"): the container's stated
 * volume (SR24 "1 can 12 fl oz"), not its grams through a density; solids and counted foods carry none. */
Test(foodparse, volumes_in_ml, .fini = teardown)
{
	static const struct {
		const char *text;
		double ml; /* of the first item; 0 = no volume */
	} drinks[] = {
		{ "1 lata de coca cola", 354.9 },      /* SR24 "1 can 12 fl oz=368": 12 x 29.57 ml */
		{ "a can of coke", 354.9 },
		{ "2 latas de cerveza", 709.8 },       /* beer has "1 can=356" and no volume: a 12 fl oz can */
		{ "un vaso de leche", 240 },           /* a glass of milk is SR24's cup */
		{ "a glass of wine", 147.9 },          /* the alias "1 glass 5 fl oz" */
		{ "una copa de vino", 147.9 },
		{ "una pinta de cerveza", 473.2 },     /* "1 pint 16 fl oz" */
		{ "una caña", 200 },
		{ "a coke", 236.6 },                   /* the default glass, "8 fl oz" */
		{ "un café con leche", 240 },          /* recipe "1 cup 240 ml" */
		{ "300 ml de leche", 300 },
		{ "un plato de sopa", 360 },           /* 1.5 cups */
		{ "2 huevos revueltos", 0 },
		{ "200 g de pollo a la plancha", 0 },
		{ "una tostada con manteca", 0 },
	};
	if (!setup_data()) {
		cal_arena_init(&arena, 0);
		cr_skip_test("data/aliases.csv not there yet");
		return;
	}
	for (size_t i = 0; i < sizeof drinks / sizeof *drinks; i++) {
		cal_food_analysis a;
		cr_assert_eq(cal_foodparse_analyze(db, drinks[i].text, &arena, &a), CAL_OK);
		cr_assert(a.nitems > 0 && a.items[0].matched, "\"%s\" matched", drinks[i].text);
		cr_expect(fabs(a.items[0].ml - drinks[i].ml) <= 0.5, "\"%s\": %.1f ml, want %.1f", drinks[i].text,
			  a.items[0].ml, drinks[i].ml);
	}
	cal_food_analysis a;
	cr_assert_eq(cal_foodparse_analyze(db, "una lata de coca cola y 2 huevos", &arena, &a), CAL_OK);
	struct json_object *o = cal_foodparse_to_json(&a, "text");
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	cr_expect(strstr(s, "\"grams\":368.0,\"ml\":354.9,") != NULL, "the drink keeps its grams, adds ml: %s", s);
	cr_expect(strstr(s, "\"unit\":\"unit\",\"grams\":100.0,\"kcal\"") != NULL, "no ml for eggs: %s", s);
	json_object_put(o);
}

/* ---- the `caloria food` command (src/services/foodcli.c) ------------------------------------------- */

static char *read_all_stream(FILE *f)
{
	static char buf[16384];
	fflush(stdout);
	fflush(stderr);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	return buf;
}

static const char *fixture_dir(void)
{
	static char dir[1024];
	const char *d = getenv("CALORIA_FOOD_FIXTURES");
	snprintf(dir, sizeof dir, "%s/ok", d ? d : FOOD_FIXTURES);
	return dir;
}

Test(foodcli, json, .init = cr_redirect_stdout)
{
	char *argv[] = { "--json", "2", "huevos", "y", "un", "alfajor" };
	cr_assert_eq(cal_foodcli_main(fixture_dir(), 6, argv), 0);
	char *out = read_all_stream(cr_get_redirected_stdout());
	struct json_object *o = json_tokener_parse(out);
	cr_assert_not_null(o, "output is JSON: %s", out);
	struct json_object *total, *kcal, *items;
	cr_assert(json_object_object_get_ex(o, "total", &total));
	cr_assert(json_object_object_get_ex(total, "kcal", &kcal));
	cr_expect_float_eq(json_object_get_double(kcal), 143.0, 1e-9); /* 2 × 50 g × 143 kcal/100 g */
	cr_assert(json_object_object_get_ex(o, "items", &items));
	cr_expect_eq(json_object_array_length(items), 2);
	json_object_put(o);
}

Test(foodcli, table, .init = cr_redirect_stdout)
{
	char *argv[] = { "milanesa con puré" };
	cr_assert_eq(cal_foodcli_main(fixture_dir(), 1, argv), 0);
	char *out = read_all_stream(cr_get_redirected_stdout());
	cr_expect(strstr(out, "milanesa") != NULL && strstr(out, "recipe:milanesa") != NULL, "%s", out);
	cr_expect(strstr(out, "puré") != NULL && strstr(out, "ndb:11934") != NULL, "%s", out);
	cr_expect(strstr(out, "status food_logged") != NULL, "%s", out);
}

Test(foodcli, unclear_and_check, .init = cr_redirect_stdout)
{
	char *argv[] = { "con mucho amor" };
	cr_assert_eq(cal_foodcli_main(fixture_dir(), 1, argv), 0);
	char *check[] = { "--check" };
	cr_assert_eq(cal_foodcli_main(fixture_dir(), 1, check), 0);
	char *out = read_all_stream(cr_get_redirected_stdout());
	cr_expect(strstr(out, "status food_unclear") != NULL, "%s", out);
	cr_expect(strstr(out, "food tables OK: 52 foods (6 recipes)") != NULL, "%s", out);
}

Test(foodcli, errors, .init = cr_redirect_stderr)
{
	char *none[] = { NULL };
	cr_expect_eq(cal_foodcli_main(fixture_dir(), 0, none), 2, "no text");
	char *bad[] = { "--frobnicate", "huevo" };
	cr_expect_eq(cal_foodcli_main(fixture_dir(), 2, bad), 2, "unknown option");
	char *ok[] = { "huevo" };
	cr_expect_eq(cal_foodcli_main("/nonexistent/caloria-data", 1, ok), 1, "tables missing");
	char big[1200];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char *toolong[] = { big };
	cr_expect_eq(cal_foodcli_main(fixture_dir(), 1, toolong), 2, "text over the limit");
	char *err = read_all_stream(cr_get_redirected_stderr());
	cr_expect(strstr(err, "unknown option --frobnicate") != NULL, "%s", err);
	cr_expect(strstr(err, "/nonexistent/caloria-data/usda_sr24.tsv cannot be read") != NULL, "%s", err);
}
