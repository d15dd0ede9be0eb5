/*
 * The pure parts of the food log (foodlog.c): the SPEC §8 recommendations with their thresholds, the
 * caloria.day object and local-date arithmetic. The database paths are covered end to end
 * (tests/e2e/test_foodlog.py).
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "caloria/foodlog.h"
#include "caloria/i18n.h"

static cal_arena arena;

static void setup(void)
{
	cal_arena_init(&arena, 4096);
}

static void teardown(void)
{
	cal_arena_free(&arena);
}

TestSuite(foodlog, .init = setup, .fini = teardown);

static cal_day day(double kcal, int goal)
{
	cal_day d;

	memset(&d, 0, sizeof d);
	strcpy(d.date, "2025-03-01");
	d.kcal = kcal;
	d.goal_kcal = goal;
	d.meals = 1;
	d.protein_g = 100;
	d.fiber_g = 30;
	d.sodium_mg = 1000;
	return d;
}

/* The recommendations as an array of message ids, by comparing with the formatted catalogue texts. */
static size_t recs(const cal_day *d, int protein_target, const char **out)
{
	return cal_foodlog_recommendations(d, protein_target, CAL_LANG_EN, &arena, out, 6);
}

Test(foodlog, kcal_thresholds_are_strict_200)
{
	const char *out[6];
	cal_day d;

	d = day(1500, 2000);
	cr_assert_eq(recs(&d, 0, out), 1);
	cr_assert_str_eq(out[0], cal_i18n_printf(&arena, CAL_MSG_REC_UNDER, CAL_LANG_EN, 500));
	d = day(1800, 2000); /* exactly 200 under: close */
	cr_assert_eq(recs(&d, 0, out), 1);
	cr_assert_str_eq(out[0], cal_i18n(CAL_MSG_REC_CLOSE, CAL_LANG_EN));
	d = day(1799, 2000);
	recs(&d, 0, out);
	cr_assert_str_eq(out[0], cal_i18n_printf(&arena, CAL_MSG_REC_UNDER, CAL_LANG_EN, 201));
	d = day(2200, 2000);
	recs(&d, 0, out);
	cr_assert_str_eq(out[0], cal_i18n(CAL_MSG_REC_CLOSE, CAL_LANG_EN));
	d = day(2201, 2000);
	recs(&d, 0, out);
	cr_assert_str_eq(out[0], cal_i18n_printf(&arena, CAL_MSG_REC_OVER, CAL_LANG_EN, 201));
}

Test(foodlog, no_goal_no_kcal_advice)
{
	const char *out[6];
	cal_day d = day(1500, 0);

	cr_assert_eq(recs(&d, 0, out), 0);
}

Test(foodlog, protein_fiber_sodium)
{
	const char *out[6];
	cal_day d = day(2000, 2000);

	d.protein_g = 69.9; /* target 100: under 70 % */
	d.fiber_g = 19.9;
	d.sodium_mg = 2000.1;
	cr_assert_eq(recs(&d, 100, out), 4);
	cr_assert_str_eq(out[1], cal_i18n_printf(&arena, CAL_MSG_REC_PROTEIN_LOW, CAL_LANG_EN, 70, 100));
	cr_assert_str_eq(out[2], cal_i18n_printf(&arena, CAL_MSG_REC_FIBER_LOW, CAL_LANG_EN, 19.9));
	cr_assert_str_eq(out[3], cal_i18n_printf(&arena, CAL_MSG_REC_SODIUM_HIGH, CAL_LANG_EN, 2000.1));

	d.protein_g = 70;
	d.fiber_g = 20;
	d.sodium_mg = 2000;
	cr_assert_eq(recs(&d, 100, out), 1, "70 %, 20 g and 2000 mg are fine");
	cr_assert_eq(recs(&d, 0, out), 1, "unknown protein target: no protein advice");
}

Test(foodlog, max_caps_output_and_spanish)
{
	const char *out[2];
	cal_day d = day(100, 2000);

	d.fiber_g = 0;
	d.sodium_mg = 5000;
	cr_assert_eq(cal_foodlog_recommendations(&d, 100, CAL_LANG_ES, &arena, out, 2), 2);
	cr_assert_str_eq(out[0], cal_i18n_printf(&arena, CAL_MSG_REC_UNDER, CAL_LANG_ES, 1900));
}

Test(foodlog, empty_day_has_no_fiber_advice)
{
	const char *out[6];
	cal_day d = day(0, 0);

	d.meals = 0;
	d.fiber_g = 0;
	cr_assert_eq(recs(&d, 0, out), 0);
}

Test(foodlog, day_json)
{
	cal_day d = day(1530.4, 2000);
	struct json_object *o = cal_foodlog_day_json(&d), *v;

	cr_assert(json_object_object_get_ex(o, "consumed_kcal", &v));
	cr_assert_eq(json_object_get_int(v), 1530);
	cr_assert(json_object_object_get_ex(o, "remaining_kcal", &v));
	cr_assert_eq(json_object_get_int(v), 470);
	cr_assert(json_object_object_get_ex(o, "date", &v));
	cr_assert_str_eq(json_object_get_string(v), "2025-03-01");
	json_object_put(o);

	d = day(2500, 2000);
	o = cal_foodlog_day_json(&d);
	cr_assert(json_object_object_get_ex(o, "remaining_kcal", &v));
	cr_assert_eq(json_object_get_int(v), 0, "never negative");
	json_object_put(o);
}

Test(foodlog, date_minus)
{
	char out[11];

	cr_assert_eq(cal_foodlog_date_minus("2025-03-01", 1, out), 0);
	cr_assert_str_eq(out, "2025-02-28");
	cr_assert_eq(cal_foodlog_date_minus("2024-03-01", 1, out), 0);
	cr_assert_str_eq(out, "2024-02-29");
	cr_assert_eq(cal_foodlog_date_minus("2025-01-03", 6, out), 0);
	cr_assert_str_eq(out, "2024-12-28");
	cr_assert_eq(cal_foodlog_date_minus("2025-01-03", 0, out), 0);
	cr_assert_str_eq(out, "2025-01-03");
	cr_assert_eq(cal_foodlog_date_minus("2025-13-01", 1, out), -1);
	cr_assert_eq(cal_foodlog_date_minus("2025-01-01x", 1, out), -1);
	cr_assert_eq(cal_foodlog_date_minus(NULL, 1, out), -1);
}

static struct json_object *items_of(const char *json)
{
	return json_tokener_parse(json);
}

/* "5 kg de manteca" is asked about, not logged (and 58 of them no longer overflow the day's totals). */
Test(foodlog, plausibility_bounds)
{
	cal_meal m = {.kcal = 143, .protein_g = 12.6, .carbs_g = 0.7, .fat_g = 9.5, .sodium_mg = 140};
	struct json_object *ok = items_of("[{\"name\": \"huevo\", \"grams\": 100}]");
	struct json_object *heavy = items_of("[{\"name\": \"pan\", \"grams\": 50}, {\"name\": \"manteca\", \"grams\": 5000}]");
	struct json_object *salt = items_of("[{\"name\": \"sal\", \"grams\": 3000}, {\"name\": \"pan\", \"grams\": 50}]");
	const char *name = NULL;
	double grams = 0;

	cr_assert_eq(cal_foodlog_plausible(&m, ok, &name, &grams), CAL_PLAUSIBLE);
	cr_assert_eq(cal_foodlog_plausible(&m, NULL, NULL, NULL), CAL_PLAUSIBLE);
	cr_assert_eq(cal_foodlog_plausible(&m, heavy, &name, &grams), CAL_IMPLAUSIBLE_ITEM);
	cr_assert_str_eq(name, "manteca");
	cr_assert_float_eq(grams, 5000, 0.01);
	m.kcal = 10000.1;
	cr_assert_eq(cal_foodlog_plausible(&m, ok, NULL, NULL), CAL_IMPLAUSIBLE_MEAL);
	m.kcal = 0.0 / 0.0;
	cr_assert_eq(cal_foodlog_plausible(&m, ok, NULL, NULL), CAL_IMPLAUSIBLE_MEAL, "NaN is never plausible");
	m.kcal = 0;
	m.sodium_mg = 1162740; /* 3 kg of salt: no energy, but far beyond any meal */
	cr_assert_eq(cal_foodlog_plausible(&m, salt, &name, &grams), CAL_IMPLAUSIBLE_ITEM);
	cr_assert_str_eq(name, "sal", "the heaviest item is named");
	json_object_put(ok);
	json_object_put(heavy);
	json_object_put(salt);
}
