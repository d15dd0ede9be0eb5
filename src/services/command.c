/*
 * Conversation commands (SPEC §5.3): the button/quick-reply payloads and the whole-message text commands
 * in Spanish and English. Only the words of §5.3 are commands, and only when they are the entire message,
 * so a food description that starts with "hoy" is still food.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "caloria/command.h"
#include "caloria/quiz.h"

/* No command or payload is longer; anything longer is not one, and is not even folded. */
#define CMD_TEXT_MAX 64

struct cmd_word {
	const char *text; /* folded, punctuation replaced by spaces */
	cal_command cmd;
	int lang;         /* for CAL_CMD_LANGUAGE, else -1 */
};

static const struct cmd_word text_words[] = {
	{"ayuda", CAL_CMD_HELP, -1}, {"help", CAL_CMD_HELP, -1},
	{"quiz", CAL_CMD_QUIZ_START, -1}, {"empezar", CAL_CMD_QUIZ_START, -1}, {"start", CAL_CMD_QUIZ_START, -1},
	{"reiniciar", CAL_CMD_RESET, -1}, {"reset", CAL_CMD_RESET, -1},
	{"hoy", CAL_CMD_TODAY, -1}, {"today", CAL_CMD_TODAY, -1}, {"resumen", CAL_CMD_TODAY, -1},
	{"summary", CAL_CMD_TODAY, -1},
	{"semana", CAL_CMD_WEEK, -1}, {"week", CAL_CMD_WEEK, -1},
	{"deshacer", CAL_CMD_UNDO, -1}, {"undo", CAL_CMD_UNDO, -1}, {"borrar", CAL_CMD_UNDO, -1},
	{"english", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"espanol", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"premium", CAL_CMD_SUBSCRIBE, -1}, {"suscribirme", CAL_CMD_SUBSCRIBE, -1},
	{"subscribe", CAL_CMD_SUBSCRIBE, -1},
	{"estado", CAL_CMD_STATUS, -1}, {"status", CAL_CMD_STATUS, -1}, {"mi plan", CAL_CMD_STATUS, -1},
	{"borrar mis datos", CAL_CMD_DELETE_DATA, -1}, {"eliminar mis datos", CAL_CMD_DELETE_DATA, -1},
	{"delete my data", CAL_CMD_DELETE_DATA, -1},
	{"confirmar borrado", CAL_CMD_DELETE_CONFIRM, -1}, {"confirm delete", CAL_CMD_DELETE_CONFIRM, -1},
	{NULL, CAL_CMD_NONE, -1},
};

/* "idioma <x>" / "language <x>": the languages a user may name after the keyword. */
static const struct cmd_word lang_words[] = {
	{"es", CAL_CMD_LANGUAGE, CAL_LANG_ES}, {"espanol", CAL_CMD_LANGUAGE, CAL_LANG_ES},
	{"spanish", CAL_CMD_LANGUAGE, CAL_LANG_ES}, {"en", CAL_CMD_LANGUAGE, CAL_LANG_EN},
	{"english", CAL_CMD_LANGUAGE, CAL_LANG_EN}, {"ingles", CAL_CMD_LANGUAGE, CAL_LANG_EN},
	{NULL, CAL_CMD_NONE, -1},
};

static const struct cmd_word payload_words[] = {
	{"set_language:es", CAL_CMD_LANGUAGE, CAL_LANG_ES}, {"set_language:en", CAL_CMD_LANGUAGE, CAL_LANG_EN},
	{"new_food_log", CAL_CMD_NEW_FOOD_LOG, -1}, {"start_quiz", CAL_CMD_QUIZ_START, -1},
	{"subscribe", CAL_CMD_SUBSCRIBE, -1}, {"undo", CAL_CMD_UNDO, -1}, {"today", CAL_CMD_TODAY, -1},
	{"delete_my_data", CAL_CMD_DELETE_DATA, -1}, {"delete_my_data:confirm", CAL_CMD_DELETE_CONFIRM, -1},
	{NULL, CAL_CMD_NONE, -1},
};

static const char *const command_names[CAL_CMD__MAX] = {
	[CAL_CMD_NONE] = "none", [CAL_CMD_HELP] = "help", [CAL_CMD_QUIZ_START] = "quiz_start",
	[CAL_CMD_RESET] = "reset", [CAL_CMD_TODAY] = "today", [CAL_CMD_WEEK] = "week", [CAL_CMD_UNDO] = "undo",
	[CAL_CMD_LANGUAGE] = "language", [CAL_CMD_SUBSCRIBE] = "subscribe", [CAL_CMD_STATUS] = "status",
	[CAL_CMD_NEW_FOOD_LOG] = "new_food_log", [CAL_CMD_CONFIRM] = "confirm", [CAL_CMD_CANCEL] = "cancel",
	[CAL_CMD_DELETE_DATA] = "delete_data", [CAL_CMD_DELETE_CONFIRM] = "delete_confirm",
};

const char *cal_command_name(cal_command c)
{
	return ((int)c >= 0 && c < CAL_CMD__MAX) ? command_names[c] : NULL;
}

static const struct cmd_word *find_word(const struct cmd_word *table, const char *s)
{
	for (; table->text != NULL; table++)
		if (strcmp(table->text, s) == 0)
			return table;
	return NULL;
}

static int is_punct(char c)
{
	return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
	       (c >= 0x7B && c <= 0x7E);
}

/* Positive decimal id of at most 19 digits without overflow; 0 and -1 on anything else. */
static int parse_id(const char *s, int64_t *id)
{
	int64_t v = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (n == 0 || *s != '\0' || v == 0)
		return -1;
	*id = v;
	return 0;
}

/* The payload trimmed and lower-cased into buf; -1 when empty or too long to be a known payload. */
static int payload_norm(const char *payload, char *buf, size_t n)
{
	size_t len;

	while (*payload == ' ' || *payload == '\t' || *payload == '\n' || *payload == '\r')
		payload++;
	len = strlen(payload);
	while (len > 0 && (payload[len - 1] == ' ' || payload[len - 1] == '\t' || payload[len - 1] == '\n' ||
			   payload[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= n)
		return -1;
	for (size_t i = 0; i < len; i++)
		buf[i] = (payload[i] >= 'A' && payload[i] <= 'Z') ? (char)(payload[i] - 'A' + 'a') : payload[i];
	buf[len] = '\0';
	return 0;
}

static cal_command match_payload(const char *payload, cal_command_arg *arg)
{
	char buf[CMD_TEXT_MAX];
	const struct cmd_word *w;

	if (payload_norm(payload, buf, sizeof(buf)) < 0)
		return CAL_CMD_NONE;
	if (strncmp(buf, "confirm:", 8) == 0 && parse_id(buf + 8, &arg->analysis_id) == 0)
		return CAL_CMD_CONFIRM;
	if (strncmp(buf, "cancel:", 7) == 0 && parse_id(buf + 7, &arg->analysis_id) == 0)
		return CAL_CMD_CANCEL;
	w = find_word(payload_words, buf);
	if (w == NULL)
		return CAL_CMD_NONE;
	if (w->lang >= 0)
		arg->lang = (cal_lang)w->lang;
	return w->cmd;
}

/* "?", "¿?", "??": a message made only of question marks asks for help. */
static int only_question_marks(const char *s)
{
	int seen = 0;

	for (; *s != '\0'; s++) {
		if (*s == '?')
			seen = 1;
		else if (strncmp(s, "\xc2\xbf", 2) == 0)
			s++;
		else if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	}
	return seen;
}

static cal_command match_text(const char *text, cal_command_arg *arg)
{
	char buf[CMD_TEXT_MAX * 2];
	const struct cmd_word *w;
	const char *rest = NULL;
	size_t i, j = 0;

	if (strlen(text) > CMD_TEXT_MAX)
		return CAL_CMD_NONE;
	if (only_question_marks(text))
		return CAL_CMD_HELP;
	cal_quiz_fold(text, buf, sizeof(buf));
	/* Punctuation inside counts as a space: "mi-plan", "idioma: en", "/start". */
	for (i = 0; buf[i] != '\0'; i++) {
		char c = is_punct(buf[i]) ? ' ' : buf[i];

		if (c != ' ' || (j > 0 && buf[j - 1] != ' '))
			buf[j++] = c;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';

	if (strncmp(buf, "idioma ", 7) == 0)
		rest = buf + 7;
	else if (strncmp(buf, "language ", 9) == 0)
		rest = buf + 9;
	w = find_word(rest != NULL ? lang_words : text_words, rest != NULL ? rest : buf);
	if (w == NULL)
		return CAL_CMD_NONE;
	if (w->lang >= 0)
		arg->lang = (cal_lang)w->lang;
	return w->cmd;
}

cal_command cal_command_match_arg(const char *text, const char *payload, cal_command_arg *arg)
{
	cal_command_arg scratch;
	cal_command c = CAL_CMD_NONE;

	if (arg == NULL)
		arg = &scratch;
	if (payload != NULL)
		c = match_payload(payload, arg);
	if (c == CAL_CMD_NONE && text != NULL)
		c = match_text(text, arg);
	return c;
}

cal_command cal_command_match(const char *text, const char *payload, cal_lang *lang_arg)
{
	cal_command_arg arg = {CAL_LANG_ES, 0};
	cal_command c = cal_command_match_arg(text, payload, &arg);

	if (c == CAL_CMD_LANGUAGE && lang_arg != NULL)
		*lang_arg = arg.lang;
	return c;
}
