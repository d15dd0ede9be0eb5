/*
 * Unit tests for src/services/i18n.c: every message exists in both languages, the printf conversions of
 * es and en match the documented signature, no text can exceed the ManyChat limit with worst-case
 * arguments, the examples the texts give are really accepted by the parsers and commands, locales map.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "caloria/command.h"
#include "caloria/i18n.h"
#include "caloria/quiz.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The conversions of a template as letters ('s', 'd', 'f'); only %s, %d, %.0f, %.1f and %% are allowed.
 * Returns 0, or -1 on any other conversion.
 */
static int conversions(const char *t, char *out, size_t n)
{
	size_t k = 0;

	for (; *t != '\0'; t++) {
		if (*t != '%')
			continue;
		t++;
		if (*t == '%')
			continue;
		cr_assert_lt(k + 1, n);
		if (*t == 's' || *t == 'd') {
			out[k++] = *t;
		} else if (strncmp(t, ".0f", 3) == 0 || strncmp(t, ".1f", 3) == 0) {
			out[k++] = 'f';
			t += 2;
		} else {
			return -1;
		}
	}
	out[k] = '\0';
	return 0;
}

Test(i18n, every_message_in_both_languages)
{
	int m, l;

	for (m = 0; m < CAL_MSG__MAX; m++) {
		for (l = 0; l < CAL_LANG__MAX; l++) {
			const char *t = cal_i18n((cal_msg)m, (cal_lang)l);

			cr_assert_not_null(t);
			cr_expect_gt(strlen(t), 1, "message %d lang %d empty", m, l);
			cr_expect_str_neq(t, "…", "message %d lang %d missing", m, l);
		}
		/* two lines are only a name and numbers, the same in both languages */
		if (m != CAL_MSG_FOOD_ITEM && m != CAL_MSG_WEEK_LINE && m != CAL_MSG_TODAY_ENTRY)
			cr_expect_str_neq(cal_i18n((cal_msg)m, CAL_LANG_ES), cal_i18n((cal_msg)m, CAL_LANG_EN),
					  "message %d is not translated", m);
	}
	/* out of range never crashes and never returns NULL */
	cr_expect_not_null(cal_i18n(CAL_MSG__MAX, CAL_LANG_ES));
	cr_expect_not_null(cal_i18n((cal_msg)-1, CAL_LANG_EN));
	cr_expect_str_eq(cal_i18n(CAL_MSG_HELP, (cal_lang)7), cal_i18n(CAL_MSG_HELP, CAL_LANG_ES));
	cr_expect_str_eq(cal_i18n_args(CAL_MSG__MAX), "");
}

Test(i18n, placeholders_match_between_languages)
{
	char es[32], en[32];
	int m;

	for (m = 0; m < CAL_MSG__MAX; m++) {
		cr_expect_eq(conversions(cal_i18n((cal_msg)m, CAL_LANG_ES), es, sizeof(es)), 0, "msg %d es: bad %%", m);
		cr_expect_eq(conversions(cal_i18n((cal_msg)m, CAL_LANG_EN), en, sizeof(en)), 0, "msg %d en: bad %%", m);
		cr_expect_str_eq(es, en, "msg %d: es takes \"%s\", en takes \"%s\"", m, es, en);
		cr_expect_str_eq(es, cal_i18n_args((cal_msg)m), "msg %d: takes \"%s\", documented \"%s\"", m, es,
				 cal_i18n_args((cal_msg)m));
	}
	/* the signatures the handlers rely on (enum comments in i18n.h) */
	cr_expect_str_eq(cal_i18n_args(CAL_MSG_QUIZ_DONE), "ddddd");
	cr_expect_str_eq(cal_i18n_args(CAL_MSG_TRIAL_STARTED), "s");
	cr_expect_str_eq(cal_i18n_args(CAL_MSG_QUIZ_INVALID), "s");
	cr_expect_str_eq(cal_i18n_args(CAL_MSG_FORM_INVALID), "s");
	cr_expect_str_eq(cal_i18n_args(CAL_MSG_STATUS), "sdssssddddds");
	cr_expect_str_eq(cal_i18n_args(CAL_MSG_HELP), "");
}

/* Formats a template with worst-case values: the longest string s_arg, INT_MIN, a 7-digit double. */
static size_t worst_len(const char *t, const char *s_arg)
{
	char out[8192], num[64];
	size_t k = 0;

	for (; *t != '\0'; t++) {
		const char *piece = num;

		if (*t != '%') {
			num[0] = *t;
			num[1] = '\0';
		} else if (t[1] == '%') {
			strcpy(num, "%");
			t++;
		} else if (t[1] == 's') {
			piece = s_arg;
			t++;
		} else if (t[1] == 'd') {
			snprintf(num, sizeof(num), "%d", INT_MIN);
			t++;
		} else {
			snprintf(num, sizeof(num), "%.1f", -9999999.9);
			t += 3;
		}
		cr_assert_lt(k + strlen(piece), sizeof(out));
		memcpy(out + k, piece, strlen(piece));
		k += strlen(piece);
	}
	return k;
}

Test(i18n, worst_case_length)
{
	char name[401], fields[256];
	const char *longest_accept = "";
	int m, l, s;

	/* a %s argument: a 100-character name of 4-byte characters, the biggest thing a handler passes */
	memset(name, 'W', 400);
	name[400] = '\0';
	snprintf(fields, sizeof(fields), "gender, age, weight, height, activity_level, goal, first_name, "
					 "target_weight_kg, meals_per_day");
	for (l = 0; l < CAL_LANG__MAX; l++) {
		for (s = 1; s <= CAL_QUIZ_STEPS; s++) {
			const char *a = cal_i18n(cal_i18n_quiz_accept(s), (cal_lang)l);

			if (strlen(a) > strlen(longest_accept))
				longest_accept = a;
		}
	}
	for (m = 0; m < CAL_MSG__MAX; m++) {
		for (l = 0; l < CAL_LANG__MAX; l++) {
			/* the profile's strings are labels and numbers, never a user's text */
			const char *arg = m == CAL_MSG_QUIZ_INVALID ? longest_accept
					  : m == CAL_MSG_FORM_INVALID ? fields
					  : m == CAL_MSG_STATUS ? name + 300
					  : name;
			size_t len = worst_len(cal_i18n((cal_msg)m, (cal_lang)l), arg);

			cr_expect_leq(len, CAL_I18N_TEXT_MAX, "msg %d lang %d: %zu bytes with worst-case args", m, l, len);
		}
	}
}

Test(i18n, printf_formats_and_caps)
{
	cal_arena a;
	char *s, big[5001];
	size_t i;

	cal_arena_init(&a, 4096);
	s = cal_i18n_printf(&a, CAL_MSG_QUIZ_DONE, CAL_LANG_ES, 1780, 2260, 128, 295, 63);
	cr_expect_not_null(strstr(s, "1780 kcal"), "%s", s);
	cr_expect_not_null(strstr(s, "2260 kcal"));
	cr_expect_not_null(strstr(s, "Proteínas 128 g · Carbohidratos 295 g · Grasas 63 g"), "%s", s);
	cr_expect_null(strstr(s, "prueba"), "the plan alone says nothing of a trial: %s", s);
	s = cal_i18n_printf(&a, CAL_MSG_TRIAL_STARTED, CAL_LANG_ES, cal_i18n_count(&a, CAL_LANG_ES, 1, CAL_NOUN_DAY));
	cr_expect_str_eq(s, "Tu prueba gratis de 1 día ya empezó.");
	s = cal_i18n_printf(&a, CAL_MSG_QUIZ_DONE, CAL_LANG_EN, 1345, 1610, 96, 205, 45);
	cr_expect_not_null(strstr(s, "1345 kcal"), "%s", s);
	cr_expect_not_null(strstr(s, "Protein 96 g · Carbs 205 g · Fat 45 g"), "%s", s);
	s = cal_i18n_printf(&a, CAL_MSG_TRIAL_STARTED, CAL_LANG_EN, cal_i18n_count(&a, CAL_LANG_EN, 7, CAL_NOUN_DAY));
	cr_expect_str_eq(s, "Your free trial of 7 days has started.");

	s = cal_i18n_printf(&a, CAL_MSG_STATUS, CAL_LANG_EN, cal_i18n_gender_label(CAL_GENDER_FEMALE, CAL_LANG_EN),
			    25, cal_i18n_decimal(&a, CAL_LANG_EN, 60.0), cal_i18n_decimal(&a, CAL_LANG_EN, 165.5),
			    cal_i18n_activity_label(CAL_ACTIVITY_LIGHT, CAL_LANG_EN),
			    cal_i18n_goal_label(CAL_GOAL_LOSE, CAL_LANG_EN), 1345, 1610, 96, 205, 45,
			    cal_i18n_subscription_label("trial", CAL_LANG_EN));
	cr_expect_not_null(strstr(s, "Female, 25 years, 60 kg, 165.5 cm"), "%s", s);
	cr_expect_not_null(strstr(s, "Activity: lightly active"), "%s", s);
	cr_expect_not_null(strstr(s, "Goal: lose weight"), "%s", s);
	cr_expect_not_null(strstr(s, "Plan: free trial"), "%s", s);

	s = cal_i18n_printf(&a, CAL_MSG_QUIZ_INVALID, CAL_LANG_ES, cal_i18n(CAL_MSG_ACCEPT_AGE, CAL_LANG_ES));
	cr_expect_not_null(strstr(s, "13 a 100"), "%s", s);
	s = cal_i18n_printf(&a, CAL_MSG_HELP, CAL_LANG_EN);
	cr_expect_str_eq(s, cal_i18n(CAL_MSG_HELP, CAL_LANG_EN));

	/* a 5000-byte transcript of 2-byte characters is cut at a character boundary and ends with "…" */
	for (i = 0; i + 2 <= 5000; i += 2)
		memcpy(big + i, "ñ", 2);
	big[i] = '\0';
	s = cal_i18n_printf(&a, CAL_MSG_TRANSCRIPT, CAL_LANG_ES, big);
	cr_expect_leq(strlen(s), CAL_I18N_TEXT_MAX);
	cr_expect_geq(strlen(s), CAL_I18N_TEXT_MAX - 4);
	cr_expect_eq(strcmp(s + strlen(s) - 3, "…"), 0);
	/* still valid UTF-8: the cut did not split a ñ */
	{
		char folded[4096];

		cal_quiz_fold(s, folded, sizeof(folded));
		cr_expect_null(strstr(folded, "\xef\xbf\xbd"), "cut split a character");
	}
	cal_arena_free(&a);
}

Test(i18n, questions_and_accepts)
{
	int s;

	for (s = 1; s <= CAL_QUIZ_STEPS; s++) {
		cr_expect_eq(cal_i18n_quiz_question(s), CAL_MSG_Q_GENDER + (s - 1));
		cr_expect_eq(cal_i18n_quiz_accept(s), CAL_MSG_ACCEPT_GENDER + (s - 1));
	}
	cr_expect_eq(cal_i18n_quiz_question(0), CAL_MSG__MAX);
	cr_expect_eq(cal_i18n_quiz_question(7), CAL_MSG_Q_TIMEZONE);
	cr_expect_eq(cal_i18n_quiz_accept(7), CAL_MSG_ACCEPT_TIMEZONE);
	cr_expect_eq(cal_i18n_quiz_question(8), CAL_MSG__MAX);
	cr_expect_eq(cal_i18n_quiz_accept(-1), CAL_MSG__MAX);

	/* the option lists are numbered as the parsers number them */
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_GENDER, CAL_LANG_ES), "3️⃣ Otro"));
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_ACTIVITY, CAL_LANG_ES), "5️⃣ Muy activo"));
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_ACTIVITY, CAL_LANG_EN), "4️⃣ Very active"));
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_GOAL, CAL_LANG_EN), "4️⃣ Build muscle"));
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_GOAL, CAL_LANG_ES), "1️⃣ Perder peso"));
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_GENDER, CAL_LANG_ES), "1/6"));
	cr_expect_not_null(strstr(cal_i18n(CAL_MSG_Q_GOAL, CAL_LANG_EN), "6/6"));
}

/* The examples a text gives must be answers the parser accepts: the catalogue never promises more. */
Test(i18n, examples_in_texts_are_accepted)
{
	static const struct {
		cal_msg msg;
		cal_lang lang;
		cal_quiz_field field;
		const char *example;
	} ex[] = {
		{CAL_MSG_ACCEPT_GENDER, CAL_LANG_ES, CAL_QUIZ_GENDER, "hombre"},
		{CAL_MSG_ACCEPT_GENDER, CAL_LANG_ES, CAL_QUIZ_GENDER, "femenino"},
		{CAL_MSG_ACCEPT_GENDER, CAL_LANG_EN, CAL_QUIZ_GENDER, "woman"},
		{CAL_MSG_ACCEPT_AGE, CAL_LANG_ES, CAL_QUIZ_AGE, "30 años"},
		{CAL_MSG_ACCEPT_AGE, CAL_LANG_EN, CAL_QUIZ_AGE, "30 years"},
		{CAL_MSG_ACCEPT_WEIGHT, CAL_LANG_ES, CAL_QUIZ_WEIGHT, "70,5"},
		{CAL_MSG_ACCEPT_WEIGHT, CAL_LANG_EN, CAL_QUIZ_WEIGHT, "70.5 kg"},
		{CAL_MSG_ACCEPT_WEIGHT, CAL_LANG_EN, CAL_QUIZ_WEIGHT, "154 lb"},
		{CAL_MSG_Q_WEIGHT, CAL_LANG_ES, CAL_QUIZ_WEIGHT, "154 lb"},
		{CAL_MSG_ACCEPT_HEIGHT, CAL_LANG_ES, CAL_QUIZ_HEIGHT, "1,75"},
		{CAL_MSG_ACCEPT_HEIGHT, CAL_LANG_ES, CAL_QUIZ_HEIGHT, "1.75 m"},
		{CAL_MSG_ACCEPT_HEIGHT, CAL_LANG_EN, CAL_QUIZ_HEIGHT, "5'9\""},
		{CAL_MSG_ACCEPT_HEIGHT, CAL_LANG_EN, CAL_QUIZ_HEIGHT, "5 ft 9 in"},
		{CAL_MSG_Q_HEIGHT, CAL_LANG_EN, CAL_QUIZ_HEIGHT, "1.75"},
		{CAL_MSG_ACCEPT_ACTIVITY, CAL_LANG_ES, CAL_QUIZ_ACTIVITY, "muy activo"},
		{CAL_MSG_ACCEPT_ACTIVITY, CAL_LANG_EN, CAL_QUIZ_ACTIVITY, "extra active"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_EN, CAL_QUIZ_ACTIVITY, "Moderately active"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_ES, CAL_QUIZ_ACTIVITY, "Sedentario"},
		{CAL_MSG_ACCEPT_GOAL, CAL_LANG_ES, CAL_QUIZ_GOAL, "ganar peso"},
		{CAL_MSG_ACCEPT_GOAL, CAL_LANG_EN, CAL_QUIZ_GOAL, "lose weight"},
		{CAL_MSG_Q_GOAL, CAL_LANG_ES, CAL_QUIZ_GOAL, "Ganar músculo"},
		{CAL_MSG_Q_GOAL, CAL_LANG_EN, CAL_QUIZ_GOAL, "Maintain my weight"},
		/* every numbered option line, as a user would copy it */
		{CAL_MSG_Q_GENDER, CAL_LANG_ES, CAL_QUIZ_GENDER, "2️⃣ Mujer"},
		{CAL_MSG_Q_GENDER, CAL_LANG_EN, CAL_QUIZ_GENDER, "3️⃣ Other"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_ES, CAL_QUIZ_ACTIVITY, "2️⃣ Ligero"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_ES, CAL_QUIZ_ACTIVITY, "3️⃣ Moderado"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_ES, CAL_QUIZ_ACTIVITY, "4️⃣ Activo"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_ES, CAL_QUIZ_ACTIVITY, "5️⃣ Muy activo"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_EN, CAL_QUIZ_ACTIVITY, "1️⃣ Sedentary"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_EN, CAL_QUIZ_ACTIVITY, "2️⃣ Lightly active"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_EN, CAL_QUIZ_ACTIVITY, "4️⃣ Very active"},
		{CAL_MSG_Q_ACTIVITY, CAL_LANG_EN, CAL_QUIZ_ACTIVITY, "5️⃣ Extra active"},
		{CAL_MSG_Q_GOAL, CAL_LANG_ES, CAL_QUIZ_GOAL, "2️⃣ Mantener mi peso"},
		{CAL_MSG_Q_GOAL, CAL_LANG_ES, CAL_QUIZ_GOAL, "3️⃣ Ganar peso"},
		{CAL_MSG_Q_GOAL, CAL_LANG_EN, CAL_QUIZ_GOAL, "1️⃣ Lose weight"},
		{CAL_MSG_Q_GOAL, CAL_LANG_EN, CAL_QUIZ_GOAL, "3️⃣ Gain weight"},
		{CAL_MSG_Q_GOAL, CAL_LANG_EN, CAL_QUIZ_GOAL, "4️⃣ Build muscle"},
	};
	size_t i;

	for (i = 0; i < N(ex); i++) {
		cal_profile p = {0};

		cr_expect_not_null(strstr(cal_i18n(ex[i].msg, ex[i].lang), ex[i].example), "\"%s\" not in msg %d",
				   ex[i].example, ex[i].msg);
		cr_expect_eq(cal_quiz_apply_answer(&p, ex[i].field, ex[i].example), 0, "\"%s\" is not accepted",
			     ex[i].example);
	}
}

/* Every command the help text names is a command, in the language the help is written in. */
Test(i18n, help_names_real_commands)
{
	static const char *const es[] = {"hoy", "semana", "deshacer", "borrar 2", "estado", "quiz", "reiniciar",
					 "premium", "english", "ayuda"};
	static const char *const en[] = {"today", "week", "undo", "delete 2", "status", "quiz", "reset",
					 "subscribe", "español", "help"};
	char line[64];
	size_t i;

	for (i = 0; i < N(es); i++) {
		snprintf(line, sizeof(line), "• %s:", es[i]);
		cr_expect_not_null(strstr(cal_i18n(CAL_MSG_HELP, CAL_LANG_ES), line), "es help lacks %s", es[i]);
		cr_expect_neq(cal_command_match(es[i], NULL, NULL), CAL_CMD_NONE, "%s is not a command", es[i]);
	}
	for (i = 0; i < N(en); i++) {
		snprintf(line, sizeof(line), "• %s:", en[i]);
		cr_expect_not_null(strstr(cal_i18n(CAL_MSG_HELP, CAL_LANG_EN), line), "en help lacks %s", en[i]);
		cr_expect_neq(cal_command_match(en[i], NULL, NULL), CAL_CMD_NONE, "%s is not a command", en[i]);
	}
}

Test(i18n, lang_from_locale)
{
	static const struct {
		const char *in;
		int want; /* -1 rejected */
	} cases[] = {
		{"es", CAL_LANG_ES}, {"ES", CAL_LANG_ES}, {"es_AR", CAL_LANG_ES}, {"es-MX", CAL_LANG_ES},
		{"es_ES", CAL_LANG_ES}, {"es-419", CAL_LANG_ES}, {"es_AR.UTF-8", CAL_LANG_ES}, {"Spanish", CAL_LANG_ES},
		{"spanish", CAL_LANG_ES}, {"español", CAL_LANG_ES}, {"Español", CAL_LANG_ES}, {"espanol", CAL_LANG_ES},
		{"castellano", CAL_LANG_ES},
		{"en", CAL_LANG_EN}, {"EN", CAL_LANG_EN}, {"en_US", CAL_LANG_EN}, {"en-GB", CAL_LANG_EN},
		{"English", CAL_LANG_EN}, {"ENGLISH", CAL_LANG_EN}, {"inglés", CAL_LANG_EN},
		{"", -1}, {"e", -1}, {"fr", -1}, {"fr_FR", -1}, {"pt-BR", -1}, {"French", -1}, {"esperanto", -1},
		{"eng", -1}, {"esp", -1}, {"es_", CAL_LANG_ES}, {"es AR", -1}, {"en_US;DROP", -1}, {"español!", CAL_LANG_ES},
		{"\xff", -1}, {"enxx", -1},
		{"es_AR_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", -1},
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		cal_lang l = (cal_lang)42;
		int r = cal_i18n_lang_from_locale(cases[i].in, &l);

		if (cases[i].want < 0) {
			cr_expect_eq(r, -1, "\"%s\" accepted", cases[i].in);
			cr_expect_eq((int)l, 42);
		} else {
			cr_expect_eq(r, 0, "\"%s\" rejected", cases[i].in);
			cr_expect_eq((int)l, cases[i].want, "\"%s\" → %d", cases[i].in, l);
		}
	}
	cr_expect_eq(cal_i18n_lang_from_locale(NULL, NULL), -1);
	cr_expect_str_eq(cal_i18n_lang_code(CAL_LANG_ES), "es");
	cr_expect_str_eq(cal_i18n_lang_code(CAL_LANG_EN), "en");
	cr_expect_str_eq(cal_i18n_lang_code((cal_lang)9), "es");
}

Test(i18n, labels)
{
	static const char *const statuses[] = {"none", "trial", "trial_expired", "pending", "active", "paused",
					       "cancelled", "payment_failed"};
	int i, l;

	for (l = 0; l < CAL_LANG__MAX; l++) {
		for (i = CAL_GENDER_MALE; i < CAL_GENDER__MAX; i++)
			cr_expect_str_neq(cal_i18n_gender_label((cal_gender)i, (cal_lang)l), "?");
		for (i = CAL_ACTIVITY_SEDENTARY; i < CAL_ACTIVITY__MAX; i++)
			cr_expect_str_neq(cal_i18n_activity_label((cal_activity)i, (cal_lang)l), "?");
		for (i = CAL_GOAL_LOSE; i < CAL_GOAL__MAX; i++)
			cr_expect_str_neq(cal_i18n_goal_label((cal_goal)i, (cal_lang)l), "?");
		for (i = 0; i < (int)N(statuses); i++)
			cr_expect_str_neq(cal_i18n_subscription_label(statuses[i], (cal_lang)l), "?", "%s", statuses[i]);
	}
	cr_expect_str_eq(cal_i18n_gender_label(CAL_GENDER_NONE, CAL_LANG_ES), "?");
	cr_expect_str_eq(cal_i18n_activity_label(CAL_ACTIVITY__MAX, CAL_LANG_EN), "?");
	cr_expect_str_eq(cal_i18n_goal_label((cal_goal)-3, CAL_LANG_EN), "?");
	cr_expect_str_eq(cal_i18n_subscription_label("bogus", CAL_LANG_ES), "?");
	cr_expect_str_eq(cal_i18n_subscription_label(NULL, CAL_LANG_ES), "?");
	cr_expect_str_eq(cal_i18n_activity_label(CAL_ACTIVITY_EXTRA, CAL_LANG_ES), "muy activo");
	cr_expect_str_eq(cal_i18n_goal_label(CAL_GOAL_MUSCLE, CAL_LANG_EN), "build muscle");
}

/* Counts say their noun in the right number, never "(s)". */
Test(i18n, counts_and_plurals)
{
	cal_arena a;

	cal_arena_init(&a, 4096);
	cr_expect_str_eq(cal_i18n_count(&a, CAL_LANG_ES, 1, CAL_NOUN_MEAL), "1 comida");
	cr_expect_str_eq(cal_i18n_count(&a, CAL_LANG_ES, 3, CAL_NOUN_MEAL), "3 comidas");
	cr_expect_str_eq(cal_i18n_count(&a, CAL_LANG_ES, 0, CAL_NOUN_DAY), "0 días");
	cr_expect_str_eq(cal_i18n_count(&a, CAL_LANG_EN, 1, CAL_NOUN_DAY), "1 day");
	cr_expect_str_eq(cal_i18n_count(&a, CAL_LANG_EN, 2, CAL_NOUN_MEAL), "2 meals");
	static const struct {
		cal_lang lang;
		const char *one, *many;
	} names[] = {
		{CAL_LANG_ES, "huevo revuelto", "huevos revueltos"}, {CAL_LANG_ES, "medialuna", "medialunas"},
		{CAL_LANG_ES, "ensalada de lechuga", "ensaladas de lechuga"}, {CAL_LANG_ES, "pan", "panes"},
		{CAL_LANG_ES, "café con leche", "cafés con leche"}, {CAL_LANG_ES, "melón", "melones"},
		{CAL_LANG_ES, "nuez", "nueces"}, {CAL_LANG_ES, "empanada de carne", "empanadas de carne"},
		{CAL_LANG_ES, "papas fritas", "papas fritas"}, {CAL_LANG_ES, "pollo a la plancha", "pollos a la plancha"},
		{CAL_LANG_EN, "scrambled egg", "scrambled eggs"}, {CAL_LANG_EN, "peach", "peaches"},
		{CAL_LANG_EN, "cherry", "cherries"}, {CAL_LANG_EN, "potato", "potatoes"}, {CAL_LANG_EN, "fries", "fries"},
		{CAL_LANG_EN, "slice of toast", "slices of toast"},
		/* the name's own language wins over the user's */
		{CAL_LANG_ES, "scrambled egg", "scrambled eggs"}, {CAL_LANG_EN, "huevo revuelto", "huevos revueltos"},
		{CAL_LANG_ES, "oatmeal", "oatmeals"},
	};
	for (size_t i = 0; i < N(names); i++)
		cr_expect_str_eq(cal_i18n_plural(&a, names[i].lang, names[i].one), names[i].many, "%s", names[i].one);
	cal_arena_free(&a);
}

/* Items say count and natural unit, rounded grams (or ml for drinks) in brackets; measures are not repeated. */
Test(i18n, items_in_words)
{
	static const struct {
		cal_lang lang;
		const char *name;
		double qty;
		const char *unit;
		double grams, ml; /* ml > 0: what is drunk, said in ml whatever the unit */
		bool with_amount;
		const char *want;
	} items[] = {
		{CAL_LANG_ES, "huevo revuelto", 2, "unit", 122.0, 0, true, "2 huevos revueltos (122 g)"},
		{CAL_LANG_ES, "coca-cola", 1, "can", 368.0, 354.9, true, "1 lata de coca-cola (355 ml)"},
		{CAL_LANG_ES, "pollo a la plancha", 200, "g", 200, 0, true, "200 g de pollo a la plancha"},
		{CAL_LANG_ES, "palta", 0.5, "unit", 100.5, 0, true, "½ palta (101 g)"},
		{CAL_LANG_ES, "milanesa", 1, "serving", 150, 0, true, "milanesa (150 g)"},
		{CAL_LANG_ES, "pizza", 3, "slice", 321, 0, true, "3 porciones de pizza (321 g)"},
		{CAL_LANG_EN, "oatmeal", 1, "cup", 234, 0, true, "1 cup of oatmeal (234 g)"},
		{CAL_LANG_EN, "banana", 1.5, "unit", 177, 0, false, "1½ bananas"},
		{CAL_LANG_ES, "leche", 2.3, "cup", 561, 552, true, "2,3 tazas de leche (552 ml)"},
		{CAL_LANG_EN, "milk", 2.5, "cup", 610, 600, true, "2½ cups of milk (600 ml)"},
		{CAL_LANG_EN, NULL, 1, NULL, 0, 0, true, "1 ?"},
		{CAL_LANG_ES, "huevo", 0, NULL, 100, 0, true, "huevo (100 g)"},
		{CAL_LANG_EN, "coke", 1, "can", 368.0, 354.9, true, "1 can of coke (355 ml)"},
		{CAL_LANG_ES, "vino", 2, "glass", 296, 296, true, "2 vasos de vino (296 ml)"},
		{CAL_LANG_ES, "cerveza", 1, "pint", 475.2, 473.2, true, "1 pinta de cerveza (473 ml)"},
		{CAL_LANG_EN, "beer", 2, "caña", 401.6, 400, true, "2 cañas of beer (400 ml)"},
		{CAL_LANG_EN, "coke", 1, "serving", 245.6, 236.6, true, "coke (237 ml)"},
		{CAL_LANG_ES, "leche", 200, "ml", 205, 200, true, "200 ml de leche"},
		{CAL_LANG_ES, "leche", 1, "glass", 244, 240, false, "1 vaso de leche"},
	};
	cal_arena a;

	cal_arena_init(&a, 4096);
	for (size_t i = 0; i < sizeof items / sizeof *items; i++)
		cr_expect_str_eq(cal_i18n_item(&a, items[i].lang, items[i].name, items[i].qty, items[i].unit, items[i].grams,
					       items[i].ml, items[i].with_amount),
				 items[i].want, "item %zu", i);
	cr_expect_str_eq(cal_i18n_decimal(&a, CAL_LANG_ES, 70.0), "70");
	cr_expect_str_eq(cal_i18n_decimal(&a, CAL_LANG_ES, 70.5), "70,5");
	cr_expect_str_eq(cal_i18n_decimal(&a, CAL_LANG_EN, 175.3), "175.3");
	cal_arena_free(&a);
}

/* Dates are said in words, never ISO. */
Test(i18n, dates_in_words)
{
	cal_arena a;
	char d[11];

	cal_arena_init(&a, 4096);
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_ES, "2026-12-03", CAL_DATE_FULL), "jueves 3 de diciembre");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_EN, "2026-12-03", CAL_DATE_FULL), "Thursday, December 3");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_ES, "2026-12-10", CAL_DATE_DAY_MONTH), "10 de diciembre");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_EN, "2026-12-10", CAL_DATE_DAY_MONTH), "December 10");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_ES, "2026-11-30", CAL_DATE_WEEKDAY_DAY), "lunes 30");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_EN, "2027-01-02", CAL_DATE_WEEKDAY_DAY), "Saturday 2");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_ES, "2028-02-29", CAL_DATE_FULL), "martes 29 de febrero");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_ES, "2026-02-30", CAL_DATE_FULL), "");
	cr_expect_str_eq(cal_i18n_date(&a, CAL_LANG_ES, "junk", CAL_DATE_FULL), "");
	cr_expect_eq(cal_i18n_weekday("1970-01-01"), 4);
	cr_expect_eq(cal_i18n_local_date("2026-12-10T02:00:00Z", -180, d), 0);
	cr_expect_str_eq(d, "2026-12-09");
	cr_expect_eq(cal_i18n_local_date("2026-12-31T23:30:00Z", 60, d), 0);
	cr_expect_str_eq(d, "2027-01-01");
	cr_expect_eq(cal_i18n_local_date("yesterday", 0, d), -1);
	cal_arena_free(&a);
}

Test(i18n, guess_language_of_a_first_message)
{
	cal_lang l = CAL_LANG__MAX;

	cr_expect_eq(cal_i18n_guess_lang("hi", &l), 0);
	cr_expect_eq(l, CAL_LANG_EN);
	cr_expect_eq(cal_i18n_guess_lang("Hello!", &l), 0);
	cr_expect_eq(l, CAL_LANG_EN);
	cr_expect_eq(cal_i18n_guess_lang("I had 2 scrambled eggs and a toast", &l), 0);
	cr_expect_eq(l, CAL_LANG_EN);
	cr_expect_eq(cal_i18n_guess_lang("hola", &l), 0);
	cr_expect_eq(l, CAL_LANG_ES);
	cr_expect_eq(cal_i18n_guess_lang("comí 2 huevos con tostadas", &l), 0);
	cr_expect_eq(l, CAL_LANG_ES);
	cr_expect_eq(cal_i18n_guess_lang("2", &l), -1);
	cr_expect_eq(cal_i18n_guess_lang("😀", &l), -1);
	cr_expect_eq(cal_i18n_guess_lang(NULL, &l), -1);
}

/* No catalogue text says "(s)": counts go through cal_i18n_count. */
Test(i18n, no_parenthesised_plurals)
{
	for (int m = 0; m < CAL_MSG__MAX; m++)
		for (int l = 0; l < CAL_LANG__MAX; l++)
			cr_expect_null(strstr(cal_i18n((cal_msg)m, (cal_lang)l), "(s)"), "msg %d lang %d", m, l);
}
