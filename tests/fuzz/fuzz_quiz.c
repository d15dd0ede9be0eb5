/*
 * libFuzzer driver for the conversation's pure parsers: cal_quiz_fold, the six quiz answer parsers
 * (src/services/quiz.c), the form validator, cal_command_match (src/services/command.c), the locale
 * mapping and the words of replies (src/services/i18n.c: plurals, items, the first-message language) and the energy targets of any profile the parsers accept
 * (src/services/energy.c). Besides crashes and sanitizer reports it aborts when a parser breaks its
 * contract: a value outside its range, a weight or height with more than one decimal, a fold that is not
 * valid UTF-8, overflows its buffer or is not idempotent, a daily goal outside [1200, 4500].
 *
 * The whole input is tried as every kind of answer; its lines are then tried as the six answers in order,
 * the first line as a payload with the rest as text, and the input as a JSON form.
 *
 * Build and run (seed corpus in tests/fuzz/corpus/quiz/):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I <build dir with config.h> \
 *     $(pkg-config --cflags json-c) tests/fuzz/fuzz_quiz.c src/services/quiz.c src/services/energy.c \
 *     src/services/command.c src/services/i18n.c src/mem.c $(pkg-config --libs json-c) -lm -o fuzz_quiz
 *   ./fuzz_quiz -max_total_time=60 tests/fuzz/corpus/quiz
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "caloria/command.h"
#include "caloria/energy.h"
#include "caloria/i18n.h"
#include "caloria/quiz.h"

#define FUZZ_MAX 4096
/* Room for any fold of FUZZ_MAX bytes (an invalid byte becomes 3), so the full fold is never cut. */
#define FOLD_FULL (FUZZ_MAX * 3 + 4)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Well-formed UTF-8 (the fold replaces every invalid byte, so its output must pass). */
static int valid_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		size_t n = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2 : (*s >> 4) == 14 ? 3 : (*s >> 3) == 30 ? 4 : 0;

		if (n == 0)
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((s[i] & 0xC0) != 0x80)
				return 0;
		s += n;
	}
	return 1;
}

static int one_decimal(double v)
{
	return fabs(v * 10.0 - round(v * 10.0)) < 1e-6;
}

static void fuzz_fold(const char *s, size_t outlen)
{
	char out[FOLD_FULL + 1], again[FOLD_FULL];
	size_t len;

	/* a guard byte after the declared length catches any write past outlen */
	out[outlen] = 'G';
	cal_quiz_fold(s, out, outlen);
	check(out[outlen] == 'G');
	if (outlen == 0)
		return; /* nothing may be written, not even the NUL */
	len = strlen(out);
	check(len < outlen);
	check(valid_utf8((const unsigned char *)out));
	if (outlen == FOLD_FULL) {
		cal_quiz_fold(out, again, sizeof(again));
		check(strcmp(out, again) == 0);
	}
}

static void fuzz_answers(const char *s, cal_profile *p)
{
	cal_gender g;
	cal_activity a;
	cal_goal goal;
	int age;
	double v;

	if (cal_quiz_parse_gender(s, &g) == 0)
		check(g > CAL_GENDER_NONE && g < CAL_GENDER__MAX);
	if (cal_quiz_parse_age(s, &age) == 0)
		check(age >= 13 && age <= 100);
	if (cal_quiz_parse_weight(s, &v) == 0)
		check(v >= 30.0 && v <= 300.0 && one_decimal(v));
	if (cal_quiz_parse_height(s, &v) == 0)
		check(v >= 100.0 && v <= 250.0 && one_decimal(v));
	if (cal_quiz_parse_activity(s, &a) == 0)
		check(a > CAL_ACTIVITY_NONE && a < CAL_ACTIVITY__MAX);
	if (cal_quiz_parse_goal(s, &goal) == 0)
		check(goal > CAL_GOAL_NONE && goal < CAL_GOAL__MAX);
	if (cal_quiz_parse_timezone(s, &age) == 0)
		check(age >= -12 * 60 && age <= 14 * 60);
	if (strlen(s) < 256) {
		char folded[1024];
		cal_quiz_fold(s, folded, sizeof folded);
		if (cal_quiz_words_number(folded, &age) == 0)
			check(age >= 0 && age <= 999);
	}
	for (int step = CAL_QUIZ_GENDER; step <= CAL_QUIZ_GOAL; step++)
		(void)cal_quiz_apply_answer(p, (cal_quiz_field)step, s);
}

static void fuzz_targets(const cal_profile *p)
{
	cal_targets t;

	if (cal_energy_targets(p, &t) != 0)
		return;
	check(t.daily_goal >= 1200 && t.daily_goal <= 4500 && t.daily_goal % 10 == 0);
	check(t.protein_g > 0 && t.fat_g > 0 && t.carbs_g >= 0);
	check(t.bmr > 0 && one_decimal(t.bmr));
}

/* Lines as the six answers in order, as the chat quiz would receive them. */
static void fuzz_lines(char *s)
{
	cal_profile p = {0};
	char *line = s, *nl;
	int step = CAL_QUIZ_GENDER;

	while (line != NULL && step <= CAL_QUIZ_GOAL) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		(void)cal_quiz_apply_answer(&p, (cal_quiz_field)step++, line);
		line = nl != NULL ? nl + 1 : NULL;
	}
	fuzz_targets(&p);
}

/* The words replies are made of: plurals and items of any name, and the language guess, never crash. */
static void fuzz_words(const char *s)
{
	cal_arena a;
	cal_lang lang;

	if (strlen(s) > 1000)
		return;
	cal_arena_init(&a, 0);
	for (int l = 0; l < CAL_LANG__MAX; l++) {
		const char *pl = cal_i18n_plural(&a, (cal_lang)l, s);
		check(pl != NULL && strlen(pl) <= 2 * strlen(s) + 16);
		check(cal_i18n_item(&a, (cal_lang)l, s, 2.5, s, 120.0, 0, true) != NULL);
		check(cal_i18n_item(&a, (cal_lang)l, s, 1, s, 368.0, 354.9, true) != NULL);
	}
	if (cal_i18n_guess_lang(s, &lang) == 0)
		check(lang == CAL_LANG_ES || lang == CAL_LANG_EN);
	cal_arena_free(&a);
}

static void fuzz_command(char *s)
{
	cal_command_arg arg = {.lang = CAL_LANG_ES};
	cal_lang lang = CAL_LANG_ES;
	char *nl = strchr(s, '\n');
	cal_command c;

	c = cal_command_match(s, NULL, &lang);
	check(c >= CAL_CMD_NONE && c < CAL_CMD__MAX && lang < CAL_LANG__MAX);
	c = cal_command_match_arg(NULL, s, &arg);
	check(c >= CAL_CMD_NONE && c < CAL_CMD__MAX);
	if ((c == CAL_CMD_CONFIRM || c == CAL_CMD_CANCEL))
		check(arg.analysis_id > 0);
	c = cal_command_match_arg(s, NULL, &arg);
	if (c == CAL_CMD_DELETE)
		check(arg.number >= 1 && arg.number <= 99);
	if (c == CAL_CMD_EDIT)
		check(arg.number >= 1 && arg.number <= 99 && arg.text != NULL && *arg.text != '\0' &&
		      arg.text >= s && arg.text < s + strlen(s));
	if (c == CAL_CMD_SMALL_TALK)
		check(arg.small <= CAL_SMALL_BYE);
	if (nl != NULL) {
		*nl = '\0';
		c = cal_command_match_arg(nl + 1, s, &arg);
		check(c >= CAL_CMD_NONE && c < CAL_CMD__MAX);
		*nl = '\n';
	}
	if (cal_i18n_lang_from_locale(s, &lang) == 0)
		check(lang == CAL_LANG_ES || lang == CAL_LANG_EN);
}

static void fuzz_form(const char *s, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o, *bad = NULL;
	cal_quiz_form f;

	if (tok == NULL)
		return;
	o = json_tokener_parse_ex(tok, s, (int)size);
	if (o != NULL) {
		if (cal_quiz_parse_form(o, &f, &bad) == 0) {
			check(bad == NULL);
			check(strlen(f.first_name) <= CAL_QUIZ_NAME_MAX);
			check(f.meals_per_day >= 0 && f.meals_per_day <= 10);
			fuzz_targets(&f.profile);
			check(cal_energy_targets(&f.profile, &(cal_targets){0}) == 0);
		} else {
			check(bad != NULL && json_object_array_length(bad) > 0);
		}
		json_object_put(bad);
		json_object_put(o);
	}
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	cal_profile p = {0};

	if (size > FUZZ_MAX)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	fuzz_fold(s, FOLD_FULL);
	fuzz_fold(s, size > 0 ? data[0] % 16 : 0);
	fuzz_answers(s, &p);
	fuzz_targets(&p);
	fuzz_command(s);
	fuzz_words(s);
	fuzz_form(s, strlen(s));
	fuzz_lines(s);

	free(s);
	return 0;
}
