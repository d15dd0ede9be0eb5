/*
 * Unit tests for src/services/command.c (SPEC §5.3): every command word in both languages, the payloads,
 * and the texts that must NOT be commands (food descriptions, near misses, junk).
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "caloria/command.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct text_case {
	const char *text;
	cal_command want;
	int lang; /* expected language for CAL_CMD_LANGUAGE */
};

static const struct text_case text_cases[] = {
	{"ayuda", CAL_CMD_HELP, -1}, {"Ayuda", CAL_CMD_HELP, -1}, {"¿Ayuda?", CAL_CMD_HELP, -1},
	{"AYUDA!!", CAL_CMD_HELP, -1}, {"help", CAL_CMD_HELP, -1}, {"/help", CAL_CMD_HELP, -1},
	{"?", CAL_CMD_HELP, -1}, {" ? ", CAL_CMD_HELP, -1}, {"¿?", CAL_CMD_HELP, -1}, {"???", CAL_CMD_HELP, -1},
	{"quiz", CAL_CMD_QUIZ_START, -1}, {"Quiz", CAL_CMD_QUIZ_START, -1}, {"empezar", CAL_CMD_QUIZ_START, -1},
	{"start", CAL_CMD_QUIZ_START, -1}, {"/start", CAL_CMD_QUIZ_START, -1}, {"Empezar.", CAL_CMD_QUIZ_START, -1},
	{"reiniciar", CAL_CMD_RESET, -1}, {"reset", CAL_CMD_RESET, -1}, {"RESET", CAL_CMD_RESET, -1},
	{"hoy", CAL_CMD_TODAY, -1}, {"Hoy", CAL_CMD_TODAY, -1}, {"¡Hoy!", CAL_CMD_TODAY, -1},
	{"  hoy  ", CAL_CMD_TODAY, -1}, {"today", CAL_CMD_TODAY, -1}, {"resumen", CAL_CMD_TODAY, -1},
	{"Summary", CAL_CMD_TODAY, -1}, {"hoy?", CAL_CMD_TODAY, -1},
	{"semana", CAL_CMD_WEEK, -1}, {"week", CAL_CMD_WEEK, -1}, {"Semana.", CAL_CMD_WEEK, -1},
	{"deshacer", CAL_CMD_UNDO, -1}, {"undo", CAL_CMD_UNDO, -1}, {"borrar", CAL_CMD_UNDO, -1},
	{"Borrar!", CAL_CMD_UNDO, -1},
	{"idioma en", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"idioma es", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"Idioma: EN", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"idioma inglés", CAL_CMD_LANGUAGE, CAL_LANG_EN},
	{"idioma español", CAL_CMD_LANGUAGE, CAL_LANG_ES}, {"language es", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"language en", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"Language Spanish", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"language english", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"english", CAL_CMD_LANGUAGE, CAL_LANG_EN},
	{"English", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"español", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"Español", CAL_CMD_LANGUAGE, CAL_LANG_ES}, {"ESPAÑOL", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"espanol", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"premium", CAL_CMD_SUBSCRIBE, -1}, {"suscribirme", CAL_CMD_SUBSCRIBE, -1},
	{"subscribe", CAL_CMD_SUBSCRIBE, -1}, {"Premium!", CAL_CMD_SUBSCRIBE, -1},
	{"estado", CAL_CMD_STATUS, -1}, {"status", CAL_CMD_STATUS, -1}, {"mi plan", CAL_CMD_STATUS, -1},
	{"Mi Plan", CAL_CMD_STATUS, -1}, {"mi   plan", CAL_CMD_STATUS, -1}, {"¿Mi plan?", CAL_CMD_STATUS, -1},
	{"mi-plan", CAL_CMD_STATUS, -1},

	/* not commands: only whole messages are */
	{"hoy comí 2 huevos", CAL_CMD_NONE, -1}, {"hoy almorcé milanesa", CAL_CMD_NONE, -1},
	{"resumen de la semana", CAL_CMD_NONE, -1}, {"help me", CAL_CMD_NONE, -1},
	{"borrar todo", CAL_CMD_NONE, -1}, {"start now", CAL_CMD_NONE, -1}, {"mi", CAL_CMD_NONE, -1},
	{"plan", CAL_CMD_NONE, -1}, {"idioma", CAL_CMD_NONE, -1}, {"language", CAL_CMD_NONE, -1},
	{"idioma fr", CAL_CMD_NONE, -1}, {"language french", CAL_CMD_NONE, -1}, {"ingles", CAL_CMD_NONE, -1},
	{"spanish", CAL_CMD_NONE, -1}, {"es", CAL_CMD_NONE, -1}, {"en", CAL_CMD_NONE, -1},
	{"idioma en es", CAL_CMD_NONE, -1}, {"hoyy", CAL_CMD_NONE, -1}, {"h o y", CAL_CMD_NONE, -1},
	{"2 huevos", CAL_CMD_NONE, -1}, {"1", CAL_CMD_NONE, -1}, {"hombre", CAL_CMD_NONE, -1},
	{"new_food_log", CAL_CMD_NONE, -1}, {"start_quiz", CAL_CMD_NONE, -1}, {"confirm:12", CAL_CMD_NONE, -1},
	{"set_language:en", CAL_CMD_NONE, -1}, {"?!", CAL_CMD_NONE, -1}, {"!!!", CAL_CMD_NONE, -1},
	{"hoy 😀", CAL_CMD_NONE, -1}, {"😀", CAL_CMD_NONE, -1}, {"", CAL_CMD_NONE, -1}, {"   ", CAL_CMD_NONE, -1},
	{"'; DROP TABLE users; --", CAL_CMD_NONE, -1}, {"<script>alert(1)</script>", CAL_CMD_NONE, -1},
	{"hoy\xff", CAL_CMD_NONE, -1}, {"\xff\xfe", CAL_CMD_NONE, -1}, {"h\xc3y", CAL_CMD_NONE, -1},
	{"¿qué comí hoy?", CAL_CMD_NONE, -1}, {"ayuda por favor", CAL_CMD_NONE, -1},
};

Test(command, text_words)
{
	size_t i;

	for (i = 0; i < N(text_cases); i++) {
		cal_lang lang = (cal_lang)99;
		cal_command c = cal_command_match(text_cases[i].text, NULL, &lang);

		cr_expect_eq(c, text_cases[i].want, "\"%s\" → %s, want %s", text_cases[i].text, cal_command_name(c),
			     cal_command_name(text_cases[i].want));
		if (text_cases[i].lang >= 0)
			cr_expect_eq((int)lang, text_cases[i].lang, "\"%s\": language %d", text_cases[i].text, lang);
		else
			cr_expect_eq((int)lang, 99, "\"%s\": language written", text_cases[i].text);
	}
}

Test(command, payloads)
{
	cal_command_arg arg;
	cal_lang lang = (cal_lang)99;

	cr_expect_eq(cal_command_match(NULL, "set_language:es", &lang), CAL_CMD_LANGUAGE);
	cr_expect_eq(lang, CAL_LANG_ES);
	cr_expect_eq(cal_command_match(NULL, " SET_LANGUAGE:EN ", &lang), CAL_CMD_LANGUAGE);
	cr_expect_eq(lang, CAL_LANG_EN);
	cr_expect_eq(cal_command_match(NULL, "new_food_log", NULL), CAL_CMD_NEW_FOOD_LOG);
	cr_expect_eq(cal_command_match(NULL, "start_quiz", NULL), CAL_CMD_QUIZ_START);
	cr_expect_eq(cal_command_match(NULL, "subscribe", NULL), CAL_CMD_SUBSCRIBE);
	cr_expect_eq(cal_command_match(NULL, "undo", NULL), CAL_CMD_UNDO);
	cr_expect_eq(cal_command_match(NULL, "today", NULL), CAL_CMD_TODAY);

	memset(&arg, 0, sizeof(arg));
	cr_expect_eq(cal_command_match_arg(NULL, "confirm:42", &arg), CAL_CMD_CONFIRM);
	cr_expect_eq(arg.analysis_id, 42);
	cr_expect_eq(cal_command_match_arg(NULL, "cancel:9223372036854775807", &arg), CAL_CMD_CANCEL);
	cr_expect_eq(arg.analysis_id, INT64_MAX);
	cr_expect_eq(cal_command_match_arg("hoy", "confirm:7", &arg), CAL_CMD_CONFIRM, "payload wins");
	cr_expect_eq(arg.analysis_id, 7);
	cr_expect_eq(cal_command_match(NULL, "confirm:7", NULL), CAL_CMD_CONFIRM, "NULL arg is fine");

	/* the payload wins over the text */
	cr_expect_eq(cal_command_match("ayuda", "undo", NULL), CAL_CMD_UNDO);
	/* unknown or malformed payloads are ignored and the text decides */
	cr_expect_eq(cal_command_match("hoy", "something_else", NULL), CAL_CMD_TODAY);
	cr_expect_eq(cal_command_match("2 huevos", "confirm:", NULL), CAL_CMD_NONE);

	static const char *const bad[] = {
		"", "   ", "confirm:", "confirm:0", "confirm:-1", "confirm:abc", "confirm:12x", "confirm: 12",
		"confirm:9223372036854775808", "confirm:99999999999999999999999", "cancel:", "cancel:1.5",
		"set_language:fr", "set_language:", "set_language:es-AR", "start", "help", "ayuda", "new food log",
		"undo:1", "today!", "'; DROP TABLE users; --", "\xff", "confirm:1\xff",
	};
	for (size_t i = 0; i < N(bad); i++) {
		memset(&arg, 0, sizeof(arg));
		cr_expect_eq(cal_command_match_arg(NULL, bad[i], &arg), CAL_CMD_NONE, "payload \"%s\" matched", bad[i]);
		cr_expect_eq(arg.analysis_id, 0, "payload \"%s\" wrote an id", bad[i]);
	}
}

Test(command, no_input_and_huge_input)
{
	static char big[10001];

	cr_expect_eq(cal_command_match(NULL, NULL, NULL), CAL_CMD_NONE);
	memset(big, 'a', sizeof(big) - 1);
	cr_expect_eq(cal_command_match(big, big, NULL), CAL_CMD_NONE);
	/* "hoy" padded far beyond any command is not a command (and is not folded at all) */
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "hoy", 3);
	cr_expect_eq(cal_command_match(big, NULL, NULL), CAL_CMD_NONE);
	memset(big, '?', sizeof(big) - 1);
	cr_expect_eq(cal_command_match(big, NULL, NULL), CAL_CMD_NONE);
}

Test(command, names)
{
	int i;

	for (i = 0; i < CAL_CMD__MAX; i++)
		cr_expect_not_null(cal_command_name((cal_command)i), "command %d has no name", i);
	cr_expect_str_eq(cal_command_name(CAL_CMD_NONE), "none");
	cr_expect_str_eq(cal_command_name(CAL_CMD_QUIZ_START), "quiz_start");
	cr_expect_null(cal_command_name(CAL_CMD__MAX));
}

Test(command, delete_by_number_small_talk_and_reset_answers)
{
	static const struct {
		const char *text;
		cal_command want;
		int number;
	} cases[] = {
		{"borrar 2", CAL_CMD_DELETE, 2}, {"Borrar 2", CAL_CMD_DELETE, 2}, {"borrá la 3", CAL_CMD_DELETE, 3},
		{"eliminar comida 12", CAL_CMD_DELETE, 12}, {"delete 1", CAL_CMD_DELETE, 1},
		{"delete meal #4", CAL_CMD_DELETE, 4}, {"remove 2", CAL_CMD_DELETE, 2}, {"borrar", CAL_CMD_UNDO, 0},
		{"borrar 0", CAL_CMD_NONE, 0}, {"borrar 100", CAL_CMD_NONE, 0}, {"borrar 2 huevos", CAL_CMD_NONE, 0},
		{"sí, reiniciar", CAL_CMD_RESET_CONFIRM, 0}, {"Si reiniciar", CAL_CMD_RESET_CONFIRM, 0},
		{"yes, reset", CAL_CMD_RESET_CONFIRM, 0}, {"reiniciar", CAL_CMD_RESET, 0},
		{"gracias", CAL_CMD_SMALL_TALK, 0}, {"¡Gracias!", CAL_CMD_SMALL_TALK, 0}, {"thanks", CAL_CMD_SMALL_TALK, 0},
		{"ok", CAL_CMD_SMALL_TALK, 0}, {"👍", CAL_CMD_SMALL_TALK, 0}, {"hola", CAL_CMD_SMALL_TALK, 0},
		{"Hi!", CAL_CMD_SMALL_TALK, 0}, {"chau", CAL_CMD_SMALL_TALK, 0},
		{"hola comí 2 huevos", CAL_CMD_NONE, 0}, {"ok 2 huevos", CAL_CMD_NONE, 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		cal_command_arg arg = {.number = 0};
		cal_command c = cal_command_match_arg(cases[i].text, NULL, &arg);
		cr_expect_eq(c, cases[i].want, "\"%s\": %s", cases[i].text, cal_command_name(c));
		if (c == CAL_CMD_DELETE)
			cr_expect_eq(arg.number, cases[i].number, "\"%s\": %d", cases[i].text, arg.number);
	}
	cal_command_arg arg = {.number = 0};
	cr_expect_eq(cal_command_match_arg("gracias", NULL, &arg), CAL_CMD_SMALL_TALK);
	cr_expect_eq(arg.small, CAL_SMALL_THANKS);
	cr_expect_eq(cal_command_match_arg("buen día", NULL, &arg), CAL_CMD_SMALL_TALK);
	cr_expect_eq(arg.small, CAL_SMALL_HELLO);
	cr_expect_eq(cal_command_match_arg(NULL, "reset_confirm", &arg), CAL_CMD_RESET_CONFIRM);
	cr_expect_eq(cal_command_match_arg(NULL, "RESET_CANCEL", &arg), CAL_CMD_RESET_CANCEL);
	cr_expect_str_eq(cal_command_name(CAL_CMD_SMALL_TALK), "small_talk");
}

Test(command, edit_by_number)
{
	static const struct {
		const char *text;
		int number;      /* 0: not an edit */
		const char *rest;
	} cases[] = {
		{"cambiar 2 por 3 huevos revueltos", 2, "3 huevos revueltos"}, {"Cambiar la 1 por milanesa", 1, "milanesa"},
		{"corregir 12: una banana", 12, "una banana"}, {"editar la comida 3 = 200 g de arroz", 3, "200 g de arroz"},
		{"change 2 to 3 scrambled eggs", 2, "3 scrambled eggs"}, {"Edit meal #4: an apple", 4, "an apple"},
		{"cambiar 2 por", 0, NULL}, {"cambiar por 2 huevos", 0, NULL}, {"cambiar 0 por huevo", 0, NULL},
		{"cambiar de idea", 0, NULL}, {"2 huevos", 0, NULL},
	};

	for (size_t i = 0; i < N(cases); i++) {
		cal_command_arg arg = {.number = 0};
		cal_command c = cal_command_match_arg(cases[i].text, NULL, &arg);
		if (cases[i].number == 0) {
			cr_expect_neq(c, CAL_CMD_EDIT, "\"%s\"", cases[i].text);
			continue;
		}
		cr_expect_eq(c, CAL_CMD_EDIT, "\"%s\": %s", cases[i].text, cal_command_name(c));
		cr_expect_eq(arg.number, cases[i].number, "\"%s\"", cases[i].text);
		cr_expect_str_eq(arg.text != NULL ? arg.text : "", cases[i].rest, "\"%s\"", cases[i].text);
	}
}
