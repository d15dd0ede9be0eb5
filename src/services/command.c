/*
 * Conversation commands (SPEC §5.3): the button/quick-reply payloads and the whole-message text commands
 * in Spanish and English. Only the words of §5.3 are commands, and only when they are the entire message,
 * so a food description that starts with "hoy" is still food.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

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
	{"reset_confirm", CAL_CMD_RESET_CONFIRM, -1}, {"reset_cancel", CAL_CMD_RESET_CANCEL, -1},
	{NULL, CAL_CMD_NONE, -1},
};

/* The explicit answer to the reset question: stateless, so it works on every channel. */
static const struct cmd_word reset_words[] = {
	{"si reiniciar", CAL_CMD_RESET_CONFIRM, -1}, {"reiniciar si", CAL_CMD_RESET_CONFIRM, -1},
	{"si reinicia", CAL_CMD_RESET_CONFIRM, -1}, {"yes reset", CAL_CMD_RESET_CONFIRM, -1},
	{"reset yes", CAL_CMD_RESET_CONFIRM, -1}, {NULL, CAL_CMD_NONE, -1},
};

/* Small talk: whole messages only (folded; emoji are kept as their bytes, without variation selectors). */
static const struct cmd_word small_words[] = {
	{"gracias", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, {"muchas gracias", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS},
	{"mil gracias", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, {"gracias genio", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS},
	{"genial gracias", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, {"ok gracias", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS},
	{"thanks", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, {"thank you", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS},
	{"thanks a lot", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, {"thx", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS},
	{"ty", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, {"ok thanks", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS},
	{"\xf0\x9f\x99\x8f", CAL_CMD_SMALL_TALK, CAL_SMALL_THANKS}, /* 🙏 */
	{"ok", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"okay", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"oki", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"okey", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"dale", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"listo", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"perfecto", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"genial", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"buenisimo", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"bueno", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"joya", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"si", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"no", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"cool", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"great", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"nice", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"got it", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, {"yes", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},
	{"\xf0\x9f\x91\x8d", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, /* 👍 */
	{"\xf0\x9f\x91\x8c", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, /* 👌 */
	{"\xf0\x9f\x98\x8a", CAL_CMD_SMALL_TALK, CAL_SMALL_OK}, /* 😊 */
	{"\xe2\x9d\xa4", CAL_CMD_SMALL_TALK, CAL_SMALL_OK},      /* ❤ */
	{"hola", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"holis", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"buenas", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"buen dia", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"buenos dias", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"buenas tardes", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"buenas noches", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"hola caloria", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"hi", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"hello", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"hey", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"hi there", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"good morning", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO}, {"good afternoon", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"good evening", CAL_CMD_SMALL_TALK, CAL_SMALL_HELLO},
	{"chau", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE}, {"chao", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE},
	{"adios", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE}, {"hasta luego", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE},
	{"hasta manana", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE}, {"nos vemos", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE},
	{"bye", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE}, {"goodbye", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE},
	{"see you", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE}, {"good night", CAL_CMD_SMALL_TALK, CAL_SMALL_BYE},
	{NULL, CAL_CMD_NONE, -1},
};

/* "borrar 2", "borra la 2", "eliminar comida 2", "delete 2", "delete meal #2": the verb, fillers, a number. */
static const char *const delete_verbs[] = {"borrar ", "borra ", "elimina ", "eliminar ", "delete ", "remove ",
					   NULL};
static const char *const delete_fillers[] = {"la ", "el ", "comida ", "registro ", "numero ", "nro ", "n ",
					     "meal ", "entry ", "number ", "no ", NULL};

static const char *const command_names[CAL_CMD__MAX] = {
	[CAL_CMD_NONE] = "none", [CAL_CMD_HELP] = "help", [CAL_CMD_QUIZ_START] = "quiz_start",
	[CAL_CMD_RESET] = "reset", [CAL_CMD_TODAY] = "today", [CAL_CMD_WEEK] = "week", [CAL_CMD_UNDO] = "undo",
	[CAL_CMD_LANGUAGE] = "language", [CAL_CMD_SUBSCRIBE] = "subscribe", [CAL_CMD_STATUS] = "status",
	[CAL_CMD_NEW_FOOD_LOG] = "new_food_log", [CAL_CMD_CONFIRM] = "confirm", [CAL_CMD_CANCEL] = "cancel",
	[CAL_CMD_DELETE_DATA] = "delete_data", [CAL_CMD_DELETE_CONFIRM] = "delete_confirm",
	[CAL_CMD_DELETE] = "delete", [CAL_CMD_RESET_CONFIRM] = "reset_confirm", [CAL_CMD_RESET_CANCEL] = "reset_cancel",
	[CAL_CMD_SMALL_TALK] = "small_talk", [CAL_CMD_EDIT] = "edit",
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

/* s after the longest of prefixes it starts with (each ends in a space), or NULL. */
static const char *after_word(const char *s, const char *const *prefixes)
{
	for (size_t i = 0; prefixes[i] != NULL; i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return s + strlen(prefixes[i]);
	return NULL;
}

/* "borrar 2" and its variants (folded, punctuation as spaces) → 1 and *number = 2 (1 … 99). */
static int delete_number(const char *s, int *number)
{
	const char *p = after_word(s, delete_verbs), *q;
	int n = 0;

	if (p == NULL)
		return 0;
	while ((q = after_word(p, delete_fillers)) != NULL)
		p = q;
	if (p[0] < '1' || p[0] > '9')
		return 0;
	n = p[0] - '0';
	if (p[1] >= '0' && p[1] <= '9') {
		n = n * 10 + (p[1] - '0');
		p++;
	}
	if (p[1] != '\0')
		return 0;
	*number = n;
	return 1;
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
	if (delete_number(buf, &arg->number))
		return CAL_CMD_DELETE;
	if ((w = find_word(reset_words, buf)) != NULL)
		return w->cmd;
	if (rest == NULL && (w = find_word(small_words, buf)) != NULL) {
		arg->small = (cal_small_talk)w->lang;
		return w->cmd;
	}
	w = find_word(rest != NULL ? lang_words : text_words, rest != NULL ? rest : buf);
	if (w == NULL)
		return CAL_CMD_NONE;
	if (w->lang >= 0)
		arg->lang = (cal_lang)w->lang;
	return w->cmd;
}

/* s after prefix, compared without case (ASCII), or NULL. */
static const char *after_ci(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < n; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		if (c != prefix[i])
			return NULL;
	}
	return s + n;
}

/*
 * "cambiar 2 por 3 huevos", "corregir 2: 3 huevos", "editar la 2 = milanesa", "change 2 to 3 eggs": a verb, an
 * entry number 1–99, a separator, and the new description, which is read from the message as written (it
 * may be long and is analysed as food, so it is not folded here).
 */
static cal_command match_edit(const char *text, cal_command_arg *arg)
{
	static const char *const verbs[] = {"cambiar ", "cambia ", "corregir ", "corregi ", "editar ", "edita ",
					    "reemplazar ", "change ", "edit ", "replace ", "fix ", NULL};
	static const char *const fillers[] = {"la ", "el ", "comida ", "meal ", "entry ", "#", NULL};
	static const char *const seps[] = {" por ", " to ", " with ", " con ", ": ", " = ", " - ", ", ", ":", " ", NULL};
	const char *p = text + strspn(text, " \t"), *q = NULL;
	int n;

	for (size_t i = 0; verbs[i] != NULL && q == NULL; i++)
		q = after_ci(p, verbs[i]);
	if (q == NULL)
		return CAL_CMD_NONE;
	for (size_t i = 0; fillers[i] != NULL; i++)
		if ((p = after_ci(q, fillers[i])) != NULL) {
			q = p;
			i = (size_t)-1; /* fillers may repeat: "la comida 2" */
		}
	if (*q < '1' || *q > '9')
		return CAL_CMD_NONE;
	n = *q++ - '0';
	if (*q >= '0' && *q <= '9')
		n = n * 10 + (*q++ - '0');
	for (size_t i = 0; seps[i] != NULL; i++) {
		if ((p = after_ci(q, seps[i])) != NULL) {
			p += strspn(p, " \t");
			/* nothing after the separator, or only the separator word itself: "cambiar 2 por" */
			if (*p == '\0' || strcasecmp(p, "por") == 0 || strcasecmp(p, "to") == 0 ||
			    strcasecmp(p, "con") == 0 || strcasecmp(p, "with") == 0)
				return CAL_CMD_NONE;
			arg->number = n;
			arg->text = p;
			return CAL_CMD_EDIT;
		}
	}
	return CAL_CMD_NONE;
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
	if (c == CAL_CMD_NONE && text != NULL)
		c = match_edit(text, arg);
	return c;
}

cal_command cal_command_match(const char *text, const char *payload, cal_lang *lang_arg)
{
	cal_command_arg arg = {.lang = CAL_LANG_ES};
	cal_command c = cal_command_match_arg(text, payload, &arg);

	if (c == CAL_CMD_LANGUAGE && lang_arg != NULL)
		*lang_arg = arg.lang;
	return c;
}
