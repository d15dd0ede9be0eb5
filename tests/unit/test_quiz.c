/*
 * Unit tests for src/services/quiz.c (SPEC §6.1, §6.2): folding, the six answer parsers (table-driven, every
 * accepted form and a wall of junk), apply_answer and the form validator.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "caloria/quiz.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Junk no parser may accept. */
static const char *const junk[] = {
	"", " ", "   \t\n ", "😀", "🍕🍕", "'; DROP TABLE users; --", "<script>alert(1)</script>",
	"\xff\xfe", "\xc3", "\xc3\x28", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "nan", "NaN",
	"inf", "-inf", "null", "undefined", "{}", "[]", "%s%s%n", "1e3", "0x50", "-1", "-70", "+3", "0",
	"0.0", "1/2", "hola", "no se", "?", "...", "1 2", "12 34", "١", "９", "70abc", "abc70",
	"99999999999999999999999999999999", "1.2.3", "--", "\\", "\"", "'",
};

Test(quiz, fold)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"  Hola   MUNDO ", "hola mundo"},
		{"ÁÉÍÓÚ áéíóú Ññ Üü Çç", "aeiou aeiou nn uu cc"},
		{"¿Ayuda?", "ayuda"},
		{"¡HOY!", "hoy"},
		{"Español", "espanol"},
		{"Músculo", "musculo"},
		{"\tVarón\n", "varon"},
		{"...?!", ""},
		{"", ""},
		{"1️⃣", "1"},
		{"5’9”", "5'9"},
		{"-5", "-5"},
		{"¿-5?", "-5"},
		{"+1 ", "+1"},
		{"-hoy-", "hoy"},
		{"a\xc2\xa0" "b", "a b"},
		{"mi   plan", "mi plan"},
		{"Straße", "strasse"},
		{"😀 hoy", "😀 hoy"},
		{"x\xffy", "x\xef\xbf\xbdy"},
		{"/start", "start"},
		{"«ok»", "ok"},
	};
	char out[128];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		cal_quiz_fold(cases[i].in, out, sizeof(out));
		cr_expect_str_eq(out, cases[i].want, "fold(%s)", cases[i].in);
	}
	/* truncation keeps whole characters and a NUL */
	cal_quiz_fold("ñandú", out, 3);
	cr_expect_str_eq(out, "na");
	cal_quiz_fold("😀😀", out, 6);
	cr_expect_str_eq(out, "😀");
	cal_quiz_fold("abc", out, 1);
	cr_expect_str_eq(out, "");
	cal_quiz_fold(NULL, out, sizeof(out));
	cr_expect_str_eq(out, "");
}

Test(quiz, field_names)
{
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_GENDER), "gender");
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_AGE), "age");
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_WEIGHT), "weight");
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_HEIGHT), "height");
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_ACTIVITY), "activity_level");
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_GOAL), "goal");
	cr_expect_null(cal_quiz_field_name((cal_quiz_field)0));
	cr_expect_str_eq(cal_quiz_field_name(CAL_QUIZ_TIMEZONE), "timezone");
	cr_expect_null(cal_quiz_field_name((cal_quiz_field)8));
}

struct enum_case {
	const char *text;
	int want; /* 0 = must be rejected */
};

static const struct enum_case gender_cases[] = {
	{"hombre", CAL_GENDER_MALE}, {"Hombre", CAL_GENDER_MALE}, {"HOMBRE", CAL_GENDER_MALE},
	{"masculino", CAL_GENDER_MALE}, {"male", CAL_GENDER_MALE}, {"Man", CAL_GENDER_MALE},
	{"m", CAL_GENDER_MALE}, {"M", CAL_GENDER_MALE}, {"1", CAL_GENDER_MALE}, {" 1 ", CAL_GENDER_MALE},
	{"1.", CAL_GENDER_MALE}, {"1️⃣", CAL_GENDER_MALE}, {"varón", CAL_GENDER_MALE}, {"Varon", CAL_GENDER_MALE},
	{"soy hombre", CAL_GENDER_MALE}, {"Soy varón", CAL_GENDER_MALE}, {"I'm a man", CAL_GENDER_MALE},
	{"I’m male", CAL_GENDER_MALE}, {"i am a man", CAL_GENDER_MALE}, {"hombre!", CAL_GENDER_MALE},
	{"1 hombre", CAL_GENDER_MALE},
	{"mujer", CAL_GENDER_FEMALE}, {"Mujer.", CAL_GENDER_FEMALE}, {"femenino", CAL_GENDER_FEMALE},
	{"female", CAL_GENDER_FEMALE}, {"woman", CAL_GENDER_FEMALE}, {"f", CAL_GENDER_FEMALE},
	{"F", CAL_GENDER_FEMALE}, {"2", CAL_GENDER_FEMALE}, {"soy mujer", CAL_GENDER_FEMALE},
	{"I am a woman", CAL_GENDER_FEMALE}, {"2 mujer", CAL_GENDER_FEMALE}, {"2️⃣ Mujer", CAL_GENDER_FEMALE},
	{"otro", CAL_GENDER_OTHER}, {"Otra", CAL_GENDER_OTHER}, {"other", CAL_GENDER_OTHER},
	{"3", CAL_GENDER_OTHER}, {"no binario", CAL_GENDER_OTHER}, {"non-binary", CAL_GENDER_OTHER},
	{"prefiero no decir", CAL_GENDER_OTHER},
	{"4", 0}, {"0", 0}, {"12", 0}, {"1 mujer", 0}, {"2 hombre", 0}, {"hombre mujer", 0}, {"h", 0},
	{"mm", 0}, {"ma", 0}, {"hombres", 0}, {"soy", 0}, {"man woman", 0}, {"x", 0}, {"yes", 0},
	{"hombre 😀", 0}, {"hombre\xff", 0}, {"soy hombre y mujer", 0}, {"1 2", 0},
};

static const struct enum_case activity_cases[] = {
	{"1", CAL_ACTIVITY_SEDENTARY}, {"sedentario", CAL_ACTIVITY_SEDENTARY}, {"Sedentaria", CAL_ACTIVITY_SEDENTARY},
	{"sedentary", CAL_ACTIVITY_SEDENTARY}, {"1 sedentario", CAL_ACTIVITY_SEDENTARY},
	{"2", CAL_ACTIVITY_LIGHT}, {"ligero", CAL_ACTIVITY_LIGHT}, {"light", CAL_ACTIVITY_LIGHT},
	{"Lightly active", CAL_ACTIVITY_LIGHT}, {"lightly_active", CAL_ACTIVITY_LIGHT}, {"poco activo", CAL_ACTIVITY_LIGHT},
	{"3", CAL_ACTIVITY_MODERATE}, {"moderado", CAL_ACTIVITY_MODERATE}, {"moderate", CAL_ACTIVITY_MODERATE},
	{"moderately active", CAL_ACTIVITY_MODERATE}, {"moderately_active", CAL_ACTIVITY_MODERATE},
	{"3️⃣", CAL_ACTIVITY_MODERATE},
	{"4", CAL_ACTIVITY_VERY}, {"activo", CAL_ACTIVITY_VERY}, {"Activa", CAL_ACTIVITY_VERY},
	{"active", CAL_ACTIVITY_VERY}, {"very active", CAL_ACTIVITY_VERY}, {"very_active", CAL_ACTIVITY_VERY},
	{"VERY ACTIVE!", CAL_ACTIVITY_VERY},
	{"5", CAL_ACTIVITY_EXTRA}, {"muy activo", CAL_ACTIVITY_EXTRA}, {"Muy activa", CAL_ACTIVITY_EXTRA},
	{"extra", CAL_ACTIVITY_EXTRA}, {"extra active", CAL_ACTIVITY_EXTRA}, {"extra_active", CAL_ACTIVITY_EXTRA},
	{"5 muy activo", CAL_ACTIVITY_EXTRA},
	{"6", 0}, {"0", 0}, {"15", 0}, {"muy", 0}, {"very", 0}, {"activos", 0}, {"1 activo", 0},
	{"sedentario activo", 0}, {"nada", 0}, {"1,5", 0}, {"2.5", 0},
};

static const struct enum_case goal_cases[] = {
	{"1", CAL_GOAL_LOSE}, {"perder peso", CAL_GOAL_LOSE}, {"Perder Peso", CAL_GOAL_LOSE}, {"bajar", CAL_GOAL_LOSE},
	{"bajar de peso", CAL_GOAL_LOSE}, {"adelgazar", CAL_GOAL_LOSE}, {"lose", CAL_GOAL_LOSE},
	{"lose weight", CAL_GOAL_LOSE}, {"lose_weight", CAL_GOAL_LOSE}, {"1 perder peso", CAL_GOAL_LOSE},
	{"2", CAL_GOAL_MAINTAIN}, {"mantener", CAL_GOAL_MAINTAIN}, {"mantenerme", CAL_GOAL_MAINTAIN},
	{"maintain", CAL_GOAL_MAINTAIN}, {"maintain_weight", CAL_GOAL_MAINTAIN}, {"Mantener mi peso", CAL_GOAL_MAINTAIN},
	{"3", CAL_GOAL_GAIN}, {"ganar peso", CAL_GOAL_GAIN}, {"subir", CAL_GOAL_GAIN}, {"subir de peso", CAL_GOAL_GAIN},
	{"gain", CAL_GOAL_GAIN}, {"gain weight", CAL_GOAL_GAIN}, {"gain_weight", CAL_GOAL_GAIN},
	{"4", CAL_GOAL_MUSCLE}, {"músculo", CAL_GOAL_MUSCLE}, {"MÚSCULO", CAL_GOAL_MUSCLE},
	{"ganar músculo", CAL_GOAL_MUSCLE}, {"muscle", CAL_GOAL_MUSCLE}, {"build muscle", CAL_GOAL_MUSCLE},
	{"build_muscle", CAL_GOAL_MUSCLE}, {"4️⃣ Músculo", CAL_GOAL_MUSCLE},
	{"5", 0}, {"0", 0}, {"peso", 0}, {"perder musculo", 0}, {"bajar subir", 0}, {"2 ganar peso", 0},
	{"lose muscle", 0}, {"weight", 0},
};

static void check_enum(const char *what, const struct enum_case *c, size_t n, int (*parse)(const char *, int *))
{
	size_t i;
	int v, r;

	for (i = 0; i < n; i++) {
		v = -12345;
		r = parse(c[i].text, &v);
		if (c[i].want == 0) {
			cr_expect_eq(r, -1, "%s accepted \"%s\" as %d", what, c[i].text, v);
			cr_expect_eq(v, -12345, "%s wrote *out on \"%s\"", what, c[i].text);
		} else {
			cr_expect_eq(r, 0, "%s rejected \"%s\"", what, c[i].text);
			cr_expect_eq(v, c[i].want, "%s(\"%s\") = %d, want %d", what, c[i].text, v, c[i].want);
		}
	}
	for (i = 0; i < N(junk); i++)
		cr_expect_eq(parse(junk[i], &v), -1, "%s accepted junk \"%s\"", what, junk[i]);
}

/* int-typed adapters so one checker serves the three enum parsers */
static int gender_int(const char *s, int *v)
{
	cal_gender g;
	int r = cal_quiz_parse_gender(s, &g);

	if (r == 0)
		*v = (int)g;
	return r;
}

static int activity_int(const char *s, int *v)
{
	cal_activity a;
	int r = cal_quiz_parse_activity(s, &a);

	if (r == 0)
		*v = (int)a;
	return r;
}

static int goal_int(const char *s, int *v)
{
	cal_goal g;
	int r = cal_quiz_parse_goal(s, &g);

	if (r == 0)
		*v = (int)g;
	return r;
}

Test(quiz, gender)
{
	check_enum("gender", gender_cases, N(gender_cases), gender_int);
}

Test(quiz, activity)
{
	check_enum("activity", activity_cases, N(activity_cases), activity_int);
}

Test(quiz, goal)
{
	check_enum("goal", goal_cases, N(goal_cases), goal_int);
}

static const struct enum_case age_cases[] = {
	{"13", 13}, {"100", 100}, {"30", 30}, {" 30 ", 30}, {"30 años", 30}, {"30 AÑOS", 30}, {"30 anos", 30},
	{"30años", 30}, {"30 years", 30}, {"30 years old", 30}, {"30 year old", 30}, {"tengo 30", 30},
	{"Tengo 30 años", 30}, {"I'm 45", 45}, {"i am 45 years old", 45}, {"030", 30}, {"30.", 30},
	{"99 yrs", 99},
	/* SPEC §6.1: numbers in words */
	{"treinta", 30}, {"treinta y cinco", 35}, {"Treinta y Cinco", 35}, {"tengo treinta y cinco años", 35},
	{"veintiocho", 28}, {"thirty-five", 35}, {"thirty five years", 35}, {"I'm forty two", 42},
	{"cien", 100}, {"cinco", 0}, {"treinta y", 0}, {"ciento uno", 0}, {"treinta cuarenta", 0},
	{"12", 0}, {"101", 0}, {"0", 0}, {"-30", 0}, {"30.5", 0}, {"30,5", 0}, {"30 meses", 0},
	{"30 años y medio", 0}, {"30 40", 0}, {"1e2", 0}, {"3O", 0}, {"30kg", 0}, {"1000000", 0},
	{"4294967326", 0}, {"18446744073709551646", 0}, {"tengo", 0}, {"años", 0}, {"30 años 😀", 0},
};

Test(quiz, age)
{
	size_t i;
	int v, r;

	for (i = 0; i < N(age_cases); i++) {
		v = -1;
		r = cal_quiz_parse_age(age_cases[i].text, &v);
		if (age_cases[i].want == 0) {
			cr_expect_eq(r, -1, "age accepted \"%s\" as %d", age_cases[i].text, v);
		} else {
			cr_expect_eq(r, 0, "age rejected \"%s\"", age_cases[i].text);
			cr_expect_eq(v, age_cases[i].want, "age(\"%s\") = %d", age_cases[i].text, v);
		}
	}
	for (i = 0; i < N(junk); i++)
		cr_expect_eq(cal_quiz_parse_age(junk[i], &v), -1, "age accepted junk \"%s\"", junk[i]);
}

struct num_case {
	const char *text;
	double want; /* < 0 = must be rejected */
};

static void check_num(const char *what, const struct num_case *c, size_t n, int (*parse)(const char *, double *))
{
	size_t i;
	double v;
	int r;

	for (i = 0; i < n; i++) {
		v = -1;
		r = parse(c[i].text, &v);
		if (c[i].want < 0) {
			cr_expect_eq(r, -1, "%s accepted \"%s\" as %.4f", what, c[i].text, v);
		} else {
			cr_expect_eq(r, 0, "%s rejected \"%s\"", what, c[i].text);
			cr_expect(fabs(v - c[i].want) < 1e-9, "%s(\"%s\") = %.4f, want %.1f", what, c[i].text, v,
				  c[i].want);
		}
	}
	for (i = 0; i < N(junk); i++)
		cr_expect_eq(parse(junk[i], &v), -1, "%s accepted junk \"%s\"", what, junk[i]);
}

static const struct num_case weight_cases[] = {
	{"70", 70}, {"70,5", 70.5}, {"70.5", 70.5}, {"70.5 kg", 70.5}, {"70.5kg", 70.5}, {"70 KG", 70},
	{"70 kilos", 70}, {"70 kgs", 70}, {"70 kilogramos", 70}, {" 70 ", 70}, {"70 kg.", 70}, {"peso 70", 70},
	{"30", 30}, {"300", 300}, {"30.0", 30}, {"300.0", 300}, {"300,00", 300}, {"70.55", 70.6}, {"70.54", 70.5},
	{"70.25", 70.3}, {"70.249", 70.2}, {"070", 70},
	/* 154 lb × 0.45359237 = 69.853 → 69.9 */
	{"154 lb", 69.9}, {"154 lbs", 69.9}, {"154lbs", 69.9}, {"154 libras", 69.9}, {"154 pounds", 69.9},
	/* 66.2 lb = 30.028 kg (in range) → 30.0; 66.1 lb = 29.982 kg (below 30) */
	{"66.2 lb", 30.0}, {"66.1 lb", -1},
	/* 661.3 lb = 299.961 → 300.0; 661.4 lb = 300.006 kg (above 300) */
	{"661.3 lb", 300.0}, {"661.4 lb", -1},
	/* 220 lb = 99.790 → 99.8 */
	{"220 lbs", 99.8},
	{"setenta", 70}, {"ochenta kilos", 80}, {"seventy kg", 70}, {"ciento cincuenta y cuatro libras", 69.9},
	{"setenta y dos", 72}, {"veinte", -1}, {"setenta setenta", -1},
	{"29.9", -1}, {"300.1", -1}, {"29", -1}, {"301", -1}, {"29.99", -1}, {"300.01", -1}, {"0", -1},
	{"-70", -1}, {"70abc", -1}, {"70kg extra words", -1}, {"70 kg 5", -1}, {"70 stone", -1}, {"70 g", -1},
	{"1e2", -1}, {"0x50", -1}, {"70.5.5", -1}, {"70,", -1}, {".5", -1}, {"70. 5", -1}, {"70 . 5", -1},
	{"1234567", -1}, {"70.12345", -1}, {"70 80", -1}, {"kg", -1}, {"lb 154", -1},
	{"70 kg 154 lb", -1}, {"100000000000000000000", -1}, {"inf kg", -1},
};

Test(quiz, weight)
{
	check_num("weight", weight_cases, N(weight_cases), cal_quiz_parse_weight);
}

static const struct num_case height_cases[] = {
	{"175", 175}, {"175 cm", 175}, {"175cm", 175}, {"175 CM", 175}, {"175.5 cm", 175.5}, {"175,5", 175.5},
	{"1.75", 175}, {"1,75", 175}, {"1,75 m", 175}, {"1.75m", 175}, {"1.75 metros", 175}, {"1.755", 175.5},
	{"1m75", 175}, {"1 m 75", 175}, {"1 metro 75", 175}, {"1m75cm", 175}, {"1m05", 105}, {"2", 200},
	{"100", 100}, {"250", 250}, {"1", 100}, {"2.5", 250}, {"2,50 m", 250}, {"100 cm", 100}, {"250cm", 250},
	{"175 centímetros", 175}, {"mido 1.80", 180}, {"mido 180 cm", 180}, {"175.", 175},
	{"uno setenta", 170}, {"un metro setenta", 170}, {"one seventy", 170}, {"ciento setenta", 170},
	{"mido uno ochenta y dos", 182}, {"1 70", 170}, {"uno con setenta", 170}, {"ciento setenta cm", 170},
	{"tres setenta", -1}, {"uno setenta y", -1},
	/* 5 ft 9 in = 69 in × 2.54 = 175.26 → 175.3 */
	{"5'9\"", 175.3}, {"5'9", 175.3}, {"5' 9\"", 175.3}, {"5 ' 9 \"", 175.3}, {"5'9''", 175.3},
	{"5 ft 9 in", 175.3}, {"5ft 9in", 175.3}, {"5ft9in", 175.3}, {"5 feet 9 inches", 175.3},
	{"5’9”", 175.3}, {"5’ 9″", 175.3}, {"5 ft 9", 175.3}, {"5 FT 9 IN", 175.3},
	/* 6 ft = 72 in = 182.88 → 182.9; 5'0" = 152.4; 5'11.5" = 71.5 in = 181.61 → 181.6 */
	{"6 ft", 182.9}, {"6'", 182.9}, {"5'0\"", 152.4}, {"5'11.5\"", 181.6},
	/* 3'4" = 40 in = 101.6; 8'2" = 98 in = 248.92 → 248.9; 3'3" = 99.06 (too short); 8'3" = 251.46 */
	{"3'4\"", 101.6}, {"8'2\"", 248.9}, {"3'3\"", -1}, {"8'3\"", -1},
	{"99", -1}, {"251", -1}, {"99.9", -1}, {"250.1", -1}, {"250.1 cm", -1}, {"0.99 m", -1}, {"2.51", -1},
	{"2.51 m", -1}, {"3", -1}, {"10", -1}, {"99 cm", -1}, {"0", -1}, {"-175", -1}, {"175abc", -1},
	{"175 cm tall", -1}, {"1.75 cm", -1}, {"175 m", -1}, {"5'12\"", -1}, {"5'9\" extra", -1},
	{"5 9", -1}, {"5'-9\"", -1}, {"1e2", -1}, {"0x50", -1}, {"1m7", -1}, {"1m750", -1}, {"1.5m75", -1},
	{"5.5'", -1}, {"1 m 75 m", -1}, {"10'", -1}, {"175 175", -1}, {"1234567", -1}, {"\"5'9", -1},
	{"5 ft 9 cm", -1}, {"cm", -1}, {"5'9\"9", -1},
};

Test(quiz, height)
{
	check_num("height", height_cases, N(height_cases), cal_quiz_parse_height);
}

/* A 10,000-character answer and a long run of digits are refused quickly by every parser. */
Test(quiz, huge_inputs)
{
	static char big[10001], digits[10001], spaced[10001];
	cal_gender g;
	cal_activity a;
	cal_goal goal;
	int age;
	double d;

	memset(big, 'a', sizeof(big) - 1);
	memset(digits, '7', sizeof(digits) - 1);
	memset(spaced, ' ', sizeof(spaced) - 1);
	spaced[0] = '1'; /* "1" then 9,999 spaces: too long to be an answer, even if it folds to "1" */
	for (const char *s = big; s != NULL; s = (s == big ? digits : s == digits ? spaced : NULL)) {
		cr_expect_eq(cal_quiz_parse_gender(s, &g), -1);
		cr_expect_eq(cal_quiz_parse_age(s, &age), -1);
		cr_expect_eq(cal_quiz_parse_weight(s, &d), -1);
		cr_expect_eq(cal_quiz_parse_height(s, &d), -1);
		cr_expect_eq(cal_quiz_parse_activity(s, &a), -1);
		cr_expect_eq(cal_quiz_parse_goal(s, &goal), -1);
	}
	cr_expect_eq(cal_quiz_parse_gender(NULL, &g), -1);
	cr_expect_eq(cal_quiz_parse_weight(NULL, &d), -1);
}

Test(quiz, apply_answer)
{
	cal_profile p = {0};

	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_GENDER, "mujer"), 0);
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_AGE, "34 años"), 0);
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_WEIGHT, "62,5 kg"), 0);
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_HEIGHT, "1,64"), 0);
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_ACTIVITY, "moderado"), 0);
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_GOAL, "bajar"), 0);
	cr_expect_eq(p.gender, CAL_GENDER_FEMALE);
	cr_expect_eq(p.age, 34);
	cr_expect_float_eq(p.weight_kg, 62.5, 1e-9);
	cr_expect_float_eq(p.height_cm, 164.0, 1e-9);
	cr_expect_eq(p.activity, CAL_ACTIVITY_MODERATE);
	cr_expect_eq(p.goal, CAL_GOAL_LOSE);

	/* an invalid answer leaves the field as it was */
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_AGE, "200"), -1);
	cr_expect_eq(p.age, 34);
	cr_expect_eq(cal_quiz_apply_answer(&p, CAL_QUIZ_WEIGHT, "pesado"), -1);
	cr_expect_float_eq(p.weight_kg, 62.5, 1e-9);
	cr_expect_eq(cal_quiz_apply_answer(&p, (cal_quiz_field)0, "1"), -1);
	cr_expect_eq(cal_quiz_apply_answer(&p, (cal_quiz_field)7, "1"), -1);
}

/* ---- form (§6.2) ---- */

static int form_from(const char *json, cal_quiz_form *f, struct json_object **bad)
{
	struct json_object *o = json_tokener_parse(json);
	int r;

	cr_assert_not_null(o, "test JSON does not parse: %s", json);
	r = cal_quiz_parse_form(o, f, bad);
	json_object_put(o);
	return r;
}

/* "gender:missing,age:invalid" from *bad, for compact assertions. */
static void bad_str(struct json_object *bad, char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; bad != NULL && i < json_object_array_length(bad); i++) {
		struct json_object *e = json_object_array_get_idx(bad, i), *fld, *rsn;

		cr_assert(json_object_object_get_ex(e, "field", &fld));
		cr_assert(json_object_object_get_ex(e, "reason", &rsn));
		len += (size_t)snprintf(out + len, n - len, "%s%s:%s", i ? "," : "", json_object_get_string(fld),
					json_object_get_string(rsn));
		cr_assert_lt(len, n);
	}
}

Test(quiz, form_valid_strings_and_numbers)
{
	cal_quiz_form f;
	struct json_object *bad = (struct json_object *)1;

	cr_assert_eq(form_from("{\"gender\": \"Mujer\", \"age\": \"29 años\", \"weight\": \"61,5\", \"height\": \"1.68\","
			       "\"activity_level\": \"light\", \"goal\": \"maintain_weight\", \"first_name\": \" Ana \","
			       "\"target_weight_kg\": 58, \"meals_per_day\": \"4\"}", &f, &bad), 0);
	cr_expect_null(bad);
	cr_expect_eq(f.profile.gender, CAL_GENDER_FEMALE);
	cr_expect_eq(f.profile.age, 29);
	cr_expect_float_eq(f.profile.weight_kg, 61.5, 1e-9);
	cr_expect_float_eq(f.profile.height_cm, 168.0, 1e-9);
	cr_expect_eq(f.profile.activity, CAL_ACTIVITY_LIGHT);
	cr_expect_eq(f.profile.goal, CAL_GOAL_MAINTAIN);
	cr_expect_str_eq(f.first_name, "Ana");
	cr_expect_float_eq(f.target_weight_kg, 58.0, 1e-9);
	cr_expect_eq(f.meals_per_day, 4);

	cr_assert_eq(form_from("{\"gender\": 1, \"age\": 40.0, \"weight_kg\": 80.25, \"height_cm\": 180,"
			       "\"activity_level\": \"moderately_active\", \"goal\": \"lose_weight\"}", &f, &bad), 0);
	cr_expect_eq(f.profile.gender, CAL_GENDER_MALE);
	cr_expect_eq(f.profile.age, 40);
	cr_expect_float_eq(f.profile.weight_kg, 80.3, 1e-9);
	cr_expect_float_eq(f.profile.height_cm, 180.0, 1e-9);
	cr_expect_eq(f.profile.activity, CAL_ACTIVITY_MODERATE);
	cr_expect_eq(f.profile.goal, CAL_GOAL_LOSE);
	cr_expect_str_eq(f.first_name, "");
	cr_expect_float_eq(f.target_weight_kg, 0.0, 1e-9);
	cr_expect_eq(f.meals_per_day, 0);

	/* numbers for the enum fields, "moderate", stored names; weight wins over weight_kg */
	cr_assert_eq(form_from("{\"gender\": \"other\", \"age\": 100, \"weight\": 300, \"weight_kg\": \"junk\","
			       "\"height\": \"5'9\\\"\", \"activity_level\": 5, \"goal\": 4, \"first_name\": \"José Ñandú\"}",
			       &f, &bad), 0);
	cr_expect_eq(f.profile.gender, CAL_GENDER_OTHER);
	cr_expect_float_eq(f.profile.height_cm, 175.3, 1e-9);
	cr_expect_eq(f.profile.activity, CAL_ACTIVITY_EXTRA);
	cr_expect_eq(f.profile.goal, CAL_GOAL_MUSCLE);
	cr_expect_str_eq(f.first_name, "José Ñandú");
}

Test(quiz, form_errors_in_question_order)
{
	cal_quiz_form f, before;
	struct json_object *bad = NULL;
	char s[512];

	memset(&f, 0x5a, sizeof(f));
	before = f;
	cr_assert_eq(form_from("{}", &f, &bad), -1);
	bad_str(bad, s, sizeof(s));
	cr_expect_str_eq(s, "gender:missing,age:missing,weight:missing,height:missing,activity_level:missing,"
			    "goal:missing");
	json_object_put(bad);
	cr_expect_eq(memcmp(&f, &before, sizeof(f)), 0, "out changed on failure");

	cr_assert_eq(form_from("{\"goal\": \"fly\", \"gender\": \"m\", \"age\": 12, \"weight\": \"70kg extra\","
			       "\"height\": null, \"activity_level\": true, \"first_name\": \"\","
			       "\"target_weight_kg\": \"-5\", \"meals_per_day\": 11}", &f, &bad), -1);
	bad_str(bad, s, sizeof(s));
	cr_expect_str_eq(s, "age:invalid,weight:invalid,height:missing,activity_level:invalid,goal:invalid,"
			    "target_weight_kg:invalid,meals_per_day:invalid");
	json_object_put(bad);

	cr_assert_eq(form_from("{\"gender\": [1], \"age\": {\"v\": 30}, \"weight\": 1e308, \"height\": -175,"
			       "\"activity_level\": \"\", \"goal\": 2.5, \"meals_per_day\": 0}", &f, &bad), -1);
	bad_str(bad, s, sizeof(s));
	cr_expect_str_eq(s, "gender:invalid,age:invalid,weight:invalid,height:invalid,activity_level:missing,"
			    "goal:invalid,meals_per_day:invalid");
	json_object_put(bad);

	/* an embedded NUL would hide junk behind a valid answer */
	cr_assert_eq(form_from("{\"gender\": \"hombre\\u0000junk\", \"age\": 30, \"weight\": 60, \"height\": 165,"
			       "\"activity_level\": 1, \"goal\": 2, \"first_name\": \"Ana\\u0000x\"}", &f, &bad), -1);
	bad_str(bad, s, sizeof(s));
	cr_expect_str_eq(s, "gender:invalid,first_name:invalid");
	json_object_put(bad);

	/* only the optional fields wrong */
	cr_assert_eq(form_from("{\"gender\": \"f\", \"age\": 30, \"weight\": 60, \"height\": 165, \"activity_level\": 1,"
			       "\"goal\": 2, \"first_name\": \"a\\u0001b\", \"meals_per_day\": \"3.5\"}", &f, &bad), -1);
	bad_str(bad, s, sizeof(s));
	cr_expect_str_eq(s, "first_name:invalid,meals_per_day:invalid");
	json_object_put(bad);
}

Test(quiz, form_first_name_limits)
{
	cal_quiz_form f;
	struct json_object *o, *bad = NULL;
	char name[512];
	size_t i;

	o = json_tokener_parse("{\"gender\": 1, \"age\": 30, \"weight\": 70, \"height\": 170, \"activity_level\": 1,"
			       "\"goal\": 1}");
	cr_assert_not_null(o);
	/* 100 two-byte characters: 200 bytes, accepted */
	for (i = 0; i < 100; i++)
		memcpy(name + 2 * i, "ñ", 2);
	name[200] = '\0';
	json_object_object_add(o, "first_name", json_object_new_string(name));
	cr_expect_eq(cal_quiz_parse_form(o, &f, &bad), 0);
	cr_expect_str_eq(f.first_name, name);
	/* 101 characters: refused */
	memcpy(name + 200, "x", 2);
	json_object_object_add(o, "first_name", json_object_new_string(name));
	cr_expect_eq(cal_quiz_parse_form(o, &f, &bad), -1);
	json_object_put(bad);
	/* invalid UTF-8: refused */
	json_object_object_add(o, "first_name", json_object_new_string("Ana\xff"));
	cr_expect_eq(cal_quiz_parse_form(o, &f, &bad), -1);
	json_object_put(bad);
	json_object_put(o);

	/* not an object */
	o = json_object_new_array();
	cr_expect_eq(cal_quiz_parse_form(o, &f, &bad), -1);
	cr_expect_not_null(bad);
	json_object_put(bad);
	json_object_put(o);
	cr_expect_eq(cal_quiz_parse_form(NULL, &f, &bad), -1);
	json_object_put(bad);
}

Test(quiz, numbers_in_words)
{
	static const struct {
		const char *text;
		int want; /* -1 rejected */
	} cases[] = {
		{"cero", 0}, {"uno", 1}, {"quince", 15}, {"veintitres", 23}, {"treinta y cinco", 35},
		{"noventa y nueve", 99}, {"cien", 100}, {"ciento setenta", 170}, {"ciento setenta y cinco", 175},
		{"doscientos", 200}, {"quinientos cinco", 505}, {"thirty-five", 35}, {"one hundred", 100},
		{"one hundred and seventy", 170}, {"a", -1}, {"", -1}, {"treinta y", -1}, {"y cinco", -1},
		{"cinco treinta", -1}, {"quince cinco", -1}, {"diez diez", -1}, {"treinta kilos", -1},
		{"35", -1}, {"5454", -1}, {"treinta 5454", -1},
	};

	for (size_t i = 0; i < N(cases); i++) {
		int v = -7, r = cal_quiz_words_number(cases[i].text, &v);
		if (cases[i].want < 0) {
			cr_expect_eq(r, -1, "\"%s\" read as %d", cases[i].text, v);
		} else {
			cr_expect_eq(r, 0, "\"%s\" rejected", cases[i].text);
			cr_expect_eq(v, cases[i].want, "\"%s\" = %d", cases[i].text, v);
		}
	}
}

Test(quiz, timezone)
{
	static const struct {
		const char *text;
		int want; /* minutes; 9999 = rejected */
	} cases[] = {
		{"Argentina", -180}, {"argentina", -180}, {"Buenos Aires", -180}, {"México", -360},
		{"Ciudad de México", -360}, {"España", 60}, {"Madrid", 60}, {"estoy en Madrid", 60},
		{"vivo en Bogotá", -300}, {"Perú", -300}, {"United States", -300}, {"New York", -300},
		{"I'm in London", 0}, {"Los Angeles", -480}, {"Chile", -180}, {"UTC-3", -180}, {"utc -3", -180},
		{"-3", -180}, {"-03:00", -180}, {"GMT+1", 60}, {"+5:30", 330}, {"UTC", 0}, {"+14", 840},
		{"-12", -720}, {"+15", 9999}, {"-13", 9999}, {"Narnia", 9999}, {"3", 9999}, {"", 9999},
		{"2 huevos", 9999}, {"utc-3 y algo", 9999},
	};

	for (size_t i = 0; i < N(cases); i++) {
		int v = 12345, r = cal_quiz_parse_timezone(cases[i].text, &v);
		if (cases[i].want == 9999) {
			cr_expect_eq(r, -1, "\"%s\" read as %d", cases[i].text, v);
		} else {
			cr_expect_eq(r, 0, "\"%s\" rejected", cases[i].text);
			cr_expect_eq(v, cases[i].want, "\"%s\" = %d", cases[i].text, v);
		}
	}
}
