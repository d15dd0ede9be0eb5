/*
 * The onboarding quiz (SPEC §6.1, §6.2): folding of free text, the six answer parsers and the validation of
 * the whole-profile form. Pure functions over text: no allocation, no I/O, no state.
 *
 * Every parser works on a folded copy of the answer (lower case, accents stripped, whitespace collapsed,
 * typographic quotes made ASCII) and accepts only whole answers from a closed grammar: "70 kg" is a weight,
 * "70kg extra words" is not. Numbers are read by hand from a bounded number of digits, so no input can
 * overflow, and "1e3", "0x50", "-70" or "nan" are simply not numbers here.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "caloria/conf.h"
#include "caloria/quiz.h"

/* No accepted answer is anywhere near this long; longer input is refused before folding. */
#define ANSWER_MAX 256
/* Folded buffer: folding never grows ASCII, and replaces at most 4 bytes with 3 (U+FFFD). */
#define FOLD_BUF (ANSWER_MAX * 2)
/* Bounds on hand-parsed numbers: 6 integer digits, 4 decimals; far beyond every range, far from overflow. */
#define NUM_INT_DIGITS 6
#define NUM_DEC_DIGITS 4

static const char *const field_names[CAL_QUIZ_LAST_STEP + 1] = {
	[CAL_QUIZ_GENDER] = "gender", [CAL_QUIZ_AGE] = "age", [CAL_QUIZ_WEIGHT] = "weight",
	[CAL_QUIZ_HEIGHT] = "height", [CAL_QUIZ_ACTIVITY] = "activity_level", [CAL_QUIZ_GOAL] = "goal",
	[CAL_QUIZ_TIMEZONE] = "timezone",
};

const char *cal_quiz_field_name(cal_quiz_field step)
{
	if ((int)step < CAL_QUIZ_GENDER || (int)step > CAL_QUIZ_TIMEZONE)
		return NULL;
	return field_names[step];
}

/* ---------------------------------------------------------------------------------------------------- */
/* Folding                                                                                              */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII replacement of U+00C0..U+00FF; NULL keeps the character as it is (×, ÷). */
static const char *const latin1_fold[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
};

/*
 * Decodes one UTF-8 sequence at s (n bytes available). Returns its length and sets *cp, or 0 when the bytes
 * are not valid UTF-8 (stray continuation, truncated, overlong, surrogate, above U+10FFFF).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2; c = s[0] & 0x1F; min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3; c = s[0] & 0x0F; min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

static int is_space_cp(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0D) || c < 0x20 || c == 0x7F || c == 0xA0 ||
	       (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F || c == 0x3000;
}

/*
 * The ASCII text a code point folds to, or NULL to copy its bytes unchanged. Emoji presentation selector
 * and the keycap mark fold to "" so "1️⃣" (as shown in the questions) reads as "1".
 */
static const char *fold_cp(uint32_t c, char ascii[2])
{
	if (c < 0x80) {
		ascii[0] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
		ascii[1] = '\0';
		return ascii;
	}
	if (c >= 0xC0 && c <= 0xFF)
		return latin1_fold[c - 0xC0];
	switch (c) {
	case 0xA1: return "!";
	case 0xBF: return "?";
	case 0xAB: case 0xBB: case 0x201C: case 0x201D: case 0x201E: case 0x2033: return "\"";
	case 0xB4: case 0x2018: case 0x2019: case 0x201A: case 0x2032: return "'";
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212: return "-";
	case 0x2026: return "...";
	case 0xFE0F: case 0x20E3: return "";
	default: return NULL;
	}
}

struct fold_out {
	char *p;
	size_t len, cap; /* cap excludes the NUL */
	int truncated;
};

static void put(struct fold_out *o, const char *s, size_t n)
{
	if (o->truncated || n > o->cap - o->len) {
		o->truncated = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static int is_ascii_punct(char c)
{
	return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
	       (c >= 0x7B && c <= 0x7E);
}

/*
 * Removes ASCII punctuation and spaces from both ends of out[0..*len). A sign in front of a digit is part
 * of a number, not decoration: "-1" stays "-1" and is then refused, rather than becoming the answer "1".
 */
static void trim_punct(char *out, size_t *len)
{
	size_t start = 0, end = *len;

	while (start < end && (is_ascii_punct(out[start]) || out[start] == ' ')) {
		if ((out[start] == '-' || out[start] == '+') && start + 1 < end && is_digit(out[start + 1]))
			break;
		start++;
	}
	while (end > start && (is_ascii_punct(out[end - 1]) || out[end - 1] == ' '))
		end--;
	memmove(out, out + start, end - start);
	*len = end - start;
}

/*
 * The folding behind cal_quiz_fold. Returns the length written, or -1 when out was too small (out then
 * holds a valid, truncated prefix). Invalid UTF-8 becomes U+FFFD so the output is always valid UTF-8.
 */
static int fold_text(const char *in, char *out, size_t outlen, int trim)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n, k;
	uint32_t c;
	char ascii[2];
	const char *rep;
	int pending_space = 0;
	struct fold_out o = {out, 0, outlen - 1, 0};

	if (outlen == 0)
		return -1;
	n = in != NULL ? strlen(in) : 0;
	while (n > 0 && !o.truncated) {
		k = utf8_decode(s, n, &c);
		if (k == 0) {
			c = 0xFFFD;
			k = 1;
			rep = "\xEF\xBF\xBD";
		} else if (is_space_cp(c)) {
			pending_space = 1;
			s += k;
			n -= k;
			continue;
		} else {
			rep = fold_cp(c, ascii);
		}
		if (rep == NULL || *rep != '\0') {
			if (pending_space && o.len > 0)
				put(&o, " ", 1);
			pending_space = 0;
			if (rep != NULL)
				put(&o, rep, strlen(rep));
			else
				put(&o, (const char *)s, k);
		}
		s += k;
		n -= k;
	}
	if (trim)
		trim_punct(out, &o.len);
	out[o.len] = '\0';
	return o.truncated ? -1 : (int)o.len;
}

void cal_quiz_fold(const char *in, char *out, size_t outlen)
{
	(void)fold_text(in, out, outlen, 1);
}

/* Folds an answer for word matching: punctuation inside becomes a space ("lightly_active", "i'm"). */
static int prep_words(const char *text, char *buf, size_t n)
{
	size_t i, j = 0;
	int len;

	if (text == NULL || strlen(text) > ANSWER_MAX)
		return -1;
	len = fold_text(text, buf, n, 1);
	if (len < 0)
		return -1;
	for (i = 0; i < (size_t)len; i++) {
		char c = is_ascii_punct(buf[i]) ? ' ' : buf[i];

		/* a signed number is never an option number: "-1" must not become "1" */
		if ((buf[i] == '-' || buf[i] == '+') && is_digit(buf[i + 1]) && (i == 0 || buf[i - 1] == ' '))
			return -1;
		if (c == ' ' && (j == 0 || buf[j - 1] == ' '))
			continue;
		buf[j++] = c;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
	return j > 0 ? 0 : -1;
}

static int number_words(char *buf, size_t n, size_t len);

/* Folds an answer for number parsing: signs and quotes matter, only trailing ".", "!" and "?" go; numbers
 * written in words become digits. */
static int prep_number(const char *text, char *buf, size_t n)
{
	int len;

	if (text == NULL || strlen(text) > ANSWER_MAX)
		return -1;
	len = fold_text(text, buf, n, 0);
	if (len < 0)
		return -1;
	while (len > 0 && (buf[len - 1] == '.' || buf[len - 1] == '!' || buf[len - 1] == '?' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	if (len > 0 && strpbrk(buf, "abcdefghijklmnopqrstuvwxyz") != NULL)
		len = number_words(buf, n, (size_t)len);
	return len > 0 ? 0 : -1;
}

/* If s starts with one of prefixes, returns the rest; else s. */
static const char *skip_prefix(const char *s, const char *const *prefixes)
{
	size_t i, n;

	for (i = 0; prefixes[i] != NULL; i++) {
		n = strlen(prefixes[i]);
		if (strncmp(s, prefixes[i], n) == 0 && s[n] != '\0')
			return s + n;
	}
	return s;
}

static int in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Word answers: gender, activity, goal                                                                 */

struct word {
	const char *text;
	int value;
};

/*
 * Exact match of s in a table; also "<n> <word>" when the option number and the word agree, which is what
 * a user sends after copying a line of the question ("2 mujer", "3 moderado").
 */
static int match_words(const char *s, const struct word *table, int *out)
{
	const struct word *w;
	int numbered = -1;

	for (w = table; w->text != NULL; w++) {
		if (strcmp(s, w->text) == 0) {
			*out = w->value;
			return 0;
		}
	}
	if (s[0] >= '1' && s[0] <= '9' && s[1] == ' ') {
		char digit[2] = {s[0], '\0'};

		for (w = table; w->text != NULL; w++)
			if (strcmp(digit, w->text) == 0)
				numbered = w->value;
		for (w = table; numbered >= 0 && w->text != NULL; w++) {
			if (w->value == numbered && strcmp(s + 2, w->text) == 0) {
				*out = numbered;
				return 0;
			}
		}
	}
	return -1;
}

static const struct word gender_words[] = {
	{"1", CAL_GENDER_MALE}, {"hombre", CAL_GENDER_MALE}, {"masculino", CAL_GENDER_MALE},
	{"male", CAL_GENDER_MALE}, {"man", CAL_GENDER_MALE}, {"m", CAL_GENDER_MALE}, {"varon", CAL_GENDER_MALE},
	{"2", CAL_GENDER_FEMALE}, {"mujer", CAL_GENDER_FEMALE}, {"femenino", CAL_GENDER_FEMALE},
	{"female", CAL_GENDER_FEMALE}, {"woman", CAL_GENDER_FEMALE}, {"f", CAL_GENDER_FEMALE},
	{"3", CAL_GENDER_OTHER}, {"otro", CAL_GENDER_OTHER}, {"otra", CAL_GENDER_OTHER},
	{"other", CAL_GENDER_OTHER}, {"no binario", CAL_GENDER_OTHER}, {"no binaria", CAL_GENDER_OTHER},
	{"non binary", CAL_GENDER_OTHER}, {"nonbinary", CAL_GENDER_OTHER},
	{"prefiero no decir", CAL_GENDER_OTHER}, {"prefer not to say", CAL_GENDER_OTHER},
	{NULL, 0},
};

/* "soy hombre", "i'm a woman" (apostrophes are spaces by now: "i m a woman"). */
static const char *const gender_prefixes[] = {
	"soy un ", "soy una ", "soy ", "i am a ", "i am an ", "i am ", "i m a ", "i m an ", "i m ", "im a ",
	"im ", NULL,
};

int cal_quiz_parse_gender(const char *text, cal_gender *out)
{
	char buf[FOLD_BUF];
	int v;

	if (prep_words(text, buf, sizeof(buf)) < 0)
		return -1;
	if (match_words(skip_prefix(buf, gender_prefixes), gender_words, &v) < 0)
		return -1;
	*out = (cal_gender)v;
	return 0;
}

/* SPEC §6.1 table: "activo/active/very active" is very_active, "muy activo/extra/extra active" is extra. */
static const struct word activity_words[] = {
	{"1", CAL_ACTIVITY_SEDENTARY}, {"sedentario", CAL_ACTIVITY_SEDENTARY},
	{"sedentaria", CAL_ACTIVITY_SEDENTARY}, {"sedentary", CAL_ACTIVITY_SEDENTARY},
	{"2", CAL_ACTIVITY_LIGHT}, {"ligero", CAL_ACTIVITY_LIGHT}, {"ligera", CAL_ACTIVITY_LIGHT},
	{"light", CAL_ACTIVITY_LIGHT}, {"lightly active", CAL_ACTIVITY_LIGHT}, {"poco activo", CAL_ACTIVITY_LIGHT},
	{"poco activa", CAL_ACTIVITY_LIGHT}, {"ligeramente activo", CAL_ACTIVITY_LIGHT},
	{"ligeramente activa", CAL_ACTIVITY_LIGHT},
	{"3", CAL_ACTIVITY_MODERATE}, {"moderado", CAL_ACTIVITY_MODERATE}, {"moderada", CAL_ACTIVITY_MODERATE},
	{"moderate", CAL_ACTIVITY_MODERATE}, {"moderately active", CAL_ACTIVITY_MODERATE},
	{"moderadamente activo", CAL_ACTIVITY_MODERATE}, {"moderadamente activa", CAL_ACTIVITY_MODERATE},
	{"4", CAL_ACTIVITY_VERY}, {"activo", CAL_ACTIVITY_VERY}, {"activa", CAL_ACTIVITY_VERY},
	{"active", CAL_ACTIVITY_VERY}, {"very active", CAL_ACTIVITY_VERY},
	{"5", CAL_ACTIVITY_EXTRA}, {"muy activo", CAL_ACTIVITY_EXTRA}, {"muy activa", CAL_ACTIVITY_EXTRA},
	{"extra", CAL_ACTIVITY_EXTRA}, {"extra active", CAL_ACTIVITY_EXTRA}, {"extra activo", CAL_ACTIVITY_EXTRA},
	{"extra activa", CAL_ACTIVITY_EXTRA}, {"extremadamente activo", CAL_ACTIVITY_EXTRA},
	{"extremadamente activa", CAL_ACTIVITY_EXTRA}, {"extremely active", CAL_ACTIVITY_EXTRA},
	{NULL, 0},
};

int cal_quiz_parse_activity(const char *text, cal_activity *out)
{
	char buf[FOLD_BUF];
	int v;

	if (prep_words(text, buf, sizeof(buf)) < 0)
		return -1;
	/* The stored names ("lightly_active") arrive here as "lightly active" and match the table. */
	if (match_words(buf, activity_words, &v) < 0)
		return -1;
	*out = (cal_activity)v;
	return 0;
}

static const struct word goal_words[] = {
	{"1", CAL_GOAL_LOSE}, {"perder peso", CAL_GOAL_LOSE}, {"perder", CAL_GOAL_LOSE},
	{"bajar", CAL_GOAL_LOSE}, {"bajar de peso", CAL_GOAL_LOSE}, {"bajar peso", CAL_GOAL_LOSE},
	{"adelgazar", CAL_GOAL_LOSE}, {"perder grasa", CAL_GOAL_LOSE}, {"lose", CAL_GOAL_LOSE},
	{"lose weight", CAL_GOAL_LOSE}, {"lose fat", CAL_GOAL_LOSE},
	{"2", CAL_GOAL_MAINTAIN}, {"mantener", CAL_GOAL_MAINTAIN}, {"mantenerme", CAL_GOAL_MAINTAIN},
	{"mantener peso", CAL_GOAL_MAINTAIN}, {"mantener el peso", CAL_GOAL_MAINTAIN},
	{"mantener mi peso", CAL_GOAL_MAINTAIN}, {"mantenimiento", CAL_GOAL_MAINTAIN},
	{"maintain", CAL_GOAL_MAINTAIN}, {"maintain weight", CAL_GOAL_MAINTAIN},
	{"maintain my weight", CAL_GOAL_MAINTAIN},
	{"maintenance", CAL_GOAL_MAINTAIN},
	{"3", CAL_GOAL_GAIN}, {"ganar peso", CAL_GOAL_GAIN}, {"ganar", CAL_GOAL_GAIN}, {"subir", CAL_GOAL_GAIN},
	{"subir de peso", CAL_GOAL_GAIN}, {"subir peso", CAL_GOAL_GAIN}, {"engordar", CAL_GOAL_GAIN},
	{"gain", CAL_GOAL_GAIN}, {"gain weight", CAL_GOAL_GAIN},
	{"4", CAL_GOAL_MUSCLE}, {"musculo", CAL_GOAL_MUSCLE}, {"ganar musculo", CAL_GOAL_MUSCLE},
	{"masa muscular", CAL_GOAL_MUSCLE}, {"ganar masa muscular", CAL_GOAL_MUSCLE},
	{"muscle", CAL_GOAL_MUSCLE}, {"build muscle", CAL_GOAL_MUSCLE}, {"gain muscle", CAL_GOAL_MUSCLE},
	{NULL, 0},
};

int cal_quiz_parse_goal(const char *text, cal_goal *out)
{
	char buf[FOLD_BUF];
	int v;

	if (prep_words(text, buf, sizeof(buf)) < 0)
		return -1;
	/* "lose_weight", "gain_weight", "build_muscle" and the form's "maintain_weight" fold into the table. */
	if (match_words(buf, goal_words, &v) < 0)
		return -1;
	*out = (cal_goal)v;
	return 0;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Numbers                                                                                              */

/* A non-negative decimal as mant / 10^dec, read exactly. */
struct decnum {
	uint64_t mant;
	int dec;
};

static const uint64_t pow10_tab[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
	1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
};

/*
 * Reads [0-9]{1,6}([.,][0-9]{1,4})? at *pp (decimals only when allow_dec) and advances *pp. A number that
 * runs straight into more digits is refused, so "1234567" or "1.23456" are not read as a shorter number.
 */
static int read_num(const char **pp, struct decnum *d, int allow_dec)
{
	const char *p = *pp;
	int n = 0;

	d->mant = 0;
	d->dec = 0;
	while (is_digit(*p) && n < NUM_INT_DIGITS) {
		d->mant = d->mant * 10 + (uint64_t)(*p++ - '0');
		n++;
	}
	if (n == 0 || is_digit(*p))
		return -1;
	if (allow_dec && (*p == '.' || *p == ',') && is_digit(p[1])) {
		p++;
		while (is_digit(*p) && d->dec < NUM_DEC_DIGITS) {
			d->mant = d->mant * 10 + (uint64_t)(*p++ - '0');
			d->dec++;
		}
		if (is_digit(*p))
			return -1;
	}
	*pp = p;
	return 0;
}

/* num / den rounded half up; both positive and small enough (callers keep num below 2^62). */
static uint64_t round_div(uint64_t num, uint64_t den)
{
	return (2 * num + den) / (2 * den);
}

/* lo ≤ mant/10^dec·scale ≤ hi, all exact: compared as mant·scale against bound·10^dec. */
static int dec_in_range(const struct decnum *d, uint64_t scale, uint64_t lo, uint64_t hi)
{
	uint64_t v = d->mant * scale, p = pow10_tab[d->dec];

	return v >= lo * p && v <= hi * p;
}

/* s after one optional space: folded text has single spaces and none at the end. */
static const char *after_space(const char *s)
{
	return *s == ' ' ? s + 1 : s;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Numbers in words (SPEC §6.1: "treinta y cinco", "ochenta kilos", "thirty-five", "uno setenta")        */

enum { W_UNIT = 1, W_TENS, W_HUNDREDS, W_TIMES100 };

static const struct num_word {
	const char *text;
	int value, cls;
} num_words[] = {
	{"cero", 0, W_UNIT}, {"uno", 1, W_UNIT}, {"un", 1, W_UNIT}, {"una", 1, W_UNIT}, {"dos", 2, W_UNIT},
	{"tres", 3, W_UNIT}, {"cuatro", 4, W_UNIT}, {"cinco", 5, W_UNIT}, {"seis", 6, W_UNIT},
	{"siete", 7, W_UNIT}, {"ocho", 8, W_UNIT}, {"nueve", 9, W_UNIT},
	{"diez", 10, W_TENS}, {"once", 11, W_TENS}, {"doce", 12, W_TENS}, {"trece", 13, W_TENS},
	{"catorce", 14, W_TENS}, {"quince", 15, W_TENS}, {"dieciseis", 16, W_TENS}, {"diecisiete", 17, W_TENS},
	{"dieciocho", 18, W_TENS}, {"diecinueve", 19, W_TENS}, {"veinte", 20, W_TENS}, {"veintiuno", 21, W_TENS},
	{"veintiun", 21, W_TENS}, {"veintidos", 22, W_TENS}, {"veintitres", 23, W_TENS},
	{"veinticuatro", 24, W_TENS}, {"veinticinco", 25, W_TENS}, {"veintiseis", 26, W_TENS},
	{"veintisiete", 27, W_TENS}, {"veintiocho", 28, W_TENS}, {"veintinueve", 29, W_TENS},
	{"treinta", 30, W_TENS}, {"cuarenta", 40, W_TENS}, {"cincuenta", 50, W_TENS}, {"sesenta", 60, W_TENS},
	{"setenta", 70, W_TENS}, {"ochenta", 80, W_TENS}, {"noventa", 90, W_TENS},
	{"cien", 100, W_HUNDREDS}, {"ciento", 100, W_HUNDREDS}, {"doscientos", 200, W_HUNDREDS},
	{"trescientos", 300, W_HUNDREDS}, {"cuatrocientos", 400, W_HUNDREDS}, {"quinientos", 500, W_HUNDREDS},
	{"zero", 0, W_UNIT}, {"one", 1, W_UNIT}, {"two", 2, W_UNIT}, {"three", 3, W_UNIT}, {"four", 4, W_UNIT},
	{"five", 5, W_UNIT}, {"six", 6, W_UNIT}, {"seven", 7, W_UNIT}, {"eight", 8, W_UNIT},
	{"nine", 9, W_UNIT}, {"ten", 10, W_TENS}, {"eleven", 11, W_TENS}, {"twelve", 12, W_TENS},
	{"thirteen", 13, W_TENS}, {"fourteen", 14, W_TENS}, {"fifteen", 15, W_TENS}, {"sixteen", 16, W_TENS},
	{"seventeen", 17, W_TENS}, {"eighteen", 18, W_TENS}, {"nineteen", 19, W_TENS}, {"twenty", 20, W_TENS},
	{"thirty", 30, W_TENS}, {"forty", 40, W_TENS}, {"fifty", 50, W_TENS}, {"sixty", 60, W_TENS},
	{"seventy", 70, W_TENS}, {"eighty", 80, W_TENS}, {"ninety", 90, W_TENS},
	{"hundred", 100, W_TIMES100},
	{NULL, 0, 0},
};

static const struct num_word *find_num_word(const char *w, size_t n)
{
	for (const struct num_word *e = num_words; e->text != NULL; e++)
		if (strlen(e->text) == n && strncmp(w, e->text, n) == 0)
			return e;
	return NULL;
}

/* A run of number words being read: its value and the class of its last word. */
struct num_run {
	int value, cls; /* cls 0: no run */
};

/* Adds word e to the run when it can continue it ("treinta" + "cinco", "one" + "hundred"); 0 if not. */
static int run_add(struct num_run *r, const struct num_word *e)
{
	int below100 = r->value % 100;

	if (r->cls == 0)
		return 0;
	if (e->cls == W_TIMES100) {
		if (r->cls != W_UNIT || r->value > 9)
			return 0;
		r->value = (r->value == 0 ? 1 : r->value) * 100;
		r->cls = W_HUNDREDS;
		return 1;
	}
	if (e->cls == W_TENS && r->cls == W_HUNDREDS && below100 == 0) {
		r->value += e->value;
		r->cls = W_TENS;
		return 1;
	}
	if (e->cls == W_UNIT && (r->cls == W_HUNDREDS || r->cls == W_TENS) &&
	    (below100 == 0 || (below100 >= 20 && below100 % 10 == 0)) && e->value > 0) {
		r->value += e->value;
		r->cls = W_UNIT;
		return 1;
	}
	return 0;
}

/* "thirty-five" → "thirty five": a hyphen between letters joins words; elsewhere ("-70") it is a sign. */
static void split_hyphens(char *s)
{
	if (s[0] == '\0')
		return;
	for (size_t i = 1; s[i] != '\0'; i++)
		if (s[i] == '-' && s[i - 1] >= 'a' && s[i - 1] <= 'z' && s[i + 1] >= 'a' && s[i + 1] <= 'z')
			s[i] = ' ';
}

/*
 * Rewrites number words in folded text as digits: "treinta y cinco anos" → "35 anos", "uno setenta" → "1 70",
 * "un metro setenta" → "1 metro 70", "thirty-five" → "35". Other words are copied. -1 when out is too small.
 */
static int words_to_digits(const char *in, char *out, size_t n)
{
	struct num_run run = {0, 0};
	size_t len = 0;
	const char *p = in;

#define EMIT(...)                                                                                              \
	do {                                                                                                   \
		int k_ = snprintf(out + len, n - len, __VA_ARGS__);                                            \
		if (k_ < 0 || (size_t)k_ >= n - len)                                                           \
			return -1;                                                                             \
		len += (size_t)k_;                                                                             \
	} while (0)
	out[0] = '\0';
	while (*p != '\0') {
		size_t sp = strspn(p, " "), w;
		const char *word = p + sp;
		const struct num_word *e;

		w = strcspn(word, " ");
		if (w == 0)
			break;
		e = find_num_word(word, w);
		/* "y"/"and" only join two number words: "treinta y cinco", "one hundred and five" */
		if (e == NULL && run.cls != 0 && ((w == 1 && word[0] == 'y') || (w == 3 && strncmp(word, "and", 3) == 0))) {
			const char *next = word + w + strspn(word + w, " ");
			size_t nw = strcspn(next, " ");
			const struct num_word *ne = find_num_word(next, nw);
			struct num_run probe = run;
			if (ne != NULL && run_add(&probe, ne)) {
				p = word + w;
				continue;
			}
		}
		if (e != NULL && run_add(&run, e)) {
			p = word + w;
			continue;
		}
		if (run.cls != 0)
			EMIT("%s%d", len > 0 ? " " : "", run.value);
		run.cls = 0;
		if (e != NULL && e->cls != W_TIMES100) {
			run.value = e->value;
			run.cls = e->cls;
		} else if (e != NULL) {
			run.value = 100;
			run.cls = W_HUNDREDS;
		} else {
			EMIT("%s%.*s", len > 0 ? " " : "", (int)w, word);
		}
		p = word + w;
	}
	if (run.cls != 0)
		EMIT("%s%d", len > 0 ? " " : "", run.value);
#undef EMIT
	return (int)len;
}

/* buf (len bytes) with its number words as digits, in place; the length, or len unchanged when it cannot. */
static int number_words(char *buf, size_t n, size_t len)
{
	char tmp[FOLD_BUF];
	int k;

	split_hyphens(buf);
	k = n <= sizeof tmp ? words_to_digits(buf, tmp, sizeof tmp) : -1;

	if (k < 0 || (size_t)k >= n)
		return (int)len;
	memcpy(buf, tmp, (size_t)k + 1);
	return k;
}

int cal_quiz_words_number(const char *folded, int *out)
{
	char buf[FOLD_BUF];
	const char *p = buf;
	struct decnum d;

	char in[FOLD_BUF];

	/* words only: "35" is a number, but not one written in words */
	if (folded == NULL || strlen(folded) > ANSWER_MAX || strpbrk(folded, "abcdefghijklmnopqrstuvwxyz") == NULL)
		return -1;
	memcpy(in, folded, strlen(folded) + 1);
	split_hyphens(in);
	if (words_to_digits(in, buf, sizeof buf) < 0)
		return -1;
	if (read_num(&p, &d, 0) < 0 || *p != '\0' || d.mant > 999)
		return -1;
	*out = (int)d.mant;
	return 0;
}

static const char *const age_prefixes[] = {"tengo ", "edad ", "age ", "i am ", "i'm ", "im ", NULL};
static const char *const age_suffixes[] = {
	"", "anos", "ano", "anos de edad", "years", "year", "years old", "year old", "yrs", "yrs old", "yo", NULL,
};

int cal_quiz_parse_age(const char *text, int *out)
{
	char buf[FOLD_BUF];
	const char *p;
	struct decnum d;

	if (prep_number(text, buf, sizeof(buf)) < 0)
		return -1;
	p = skip_prefix(buf, age_prefixes);
	if (read_num(&p, &d, 0) < 0)
		return -1;
	if (!in_list(after_space(p), age_suffixes))
		return -1;
	if (d.mant < 13 || d.mant > 100)
		return -1;
	*out = (int)d.mant;
	return 0;
}

static const char *const kg_units[] = {
	"", "kg", "kgs", "k", "kilo", "kilos", "kilogramo", "kilogramos", "kilogram", "kilograms", NULL,
};
static const char *const lb_units[] = {"lb", "lbs", "libra", "libras", "pound", "pounds", NULL};
static const char *const weight_prefixes[] = {
	"peso ", "mi peso es ", "i weigh ", "weight ", "my weight is ", NULL,
};

/* 1 lb = 0.45359237 kg exactly; kept as an integer ratio so conversions round exactly. */
#define LB_NUM 45359237ULL
#define LB_DEN 100000000ULL

int cal_quiz_parse_weight(const char *text, double *kg)
{
	char buf[FOLD_BUF];
	const char *p, *unit;
	struct decnum d;
	uint64_t kg10;

	if (prep_number(text, buf, sizeof(buf)) < 0)
		return -1;
	p = skip_prefix(buf, weight_prefixes);
	if (read_num(&p, &d, 1) < 0)
		return -1;
	unit = after_space(p);
	if (in_list(unit, kg_units)) {
		if (!dec_in_range(&d, 1, 30, 300))
			return -1;
		kg10 = round_div(d.mant * 10, pow10_tab[d.dec]);
	} else if (in_list(unit, lb_units)) {
		/* kg = lb·LB_NUM/LB_DEN, so 30 ≤ kg ≤ 300 ⇔ 30·LB_DEN ≤ lb·LB_NUM ≤ 300·LB_DEN. */
		if (!dec_in_range(&d, LB_NUM, 30 * LB_DEN, 300 * LB_DEN))
			return -1;
		kg10 = round_div(d.mant * LB_NUM, pow10_tab[d.dec] * (LB_DEN / 10));
	} else {
		return -1;
	}
	*kg = (double)kg10 / 10.0;
	return 0;
}

static const char *const cm_units[] = {
	"cm", "cms", "centimetro", "centimetros", "centimeter", "centimeters", "centimetre", "centimetres", NULL,
};
static const char *const m_units[] = {
	"m", "mt", "mts", "metro", "metros", "meter", "meters", "metre", "metres", NULL,
};
static const char *const ft_marks[] = {"'", "ft", "feet", "foot", "pies", "pie", NULL};
static const char *const in_marks[] = {"", "\"", "''", "in", "inch", "inches", "pulgadas", "pulgada", NULL};
static const char *const height_prefixes[] = {"mido ", "altura ", "height ", "i am ", "i'm ", NULL};

/* Stores cm10 (tenths of a cm) if 100.0 ≤ cm ≤ 250.0; the check is done on the exact value first. */
static int height_store(uint64_t exact_num, uint64_t exact_den, double *cm)
{
	/* exact cm = exact_num / exact_den */
	if (exact_num < 100 * exact_den || exact_num > 250 * exact_den)
		return -1;
	*cm = (double)round_div(exact_num * 10, exact_den) / 10.0;
	return 0;
}

/* Length of the longest word of list that s starts with, ending where no letter follows; 0 if none. */
static size_t match_mark(const char *s, const char *const *list)
{
	size_t i, n, best = 0;

	for (i = 0; list[i] != NULL; i++) {
		n = strlen(list[i]);
		if (n > best && strncmp(s, list[i], n) == 0 && !(s[n] >= 'a' && s[n] <= 'z'))
			best = n;
	}
	return best;
}

/* 5'9", 5' 9, 5 ft 9 in, 5 feet 9 inches, 6 ft: p points just after the feet number. */
static int height_feet(const struct decnum *ft, const char *p, double *cm)
{
	struct decnum in = {0, 0};
	uint64_t den;

	if (ft->dec != 0 || ft->mant < 1 || ft->mant > 9)
		return -1;
	p = after_space(p);
	p = after_space(p + match_mark(p, ft_marks));
	if (*p != '\0') {
		if (read_num(&p, &in, 1) < 0 || !in_list(after_space(p), in_marks))
			return -1;
	}
	den = pow10_tab[in.dec];
	if (in.mant >= 12 * den)
		return -1;
	/* cm = (12·ft + inches) · 2.54, with inches = in.mant / den. */
	return height_store((ft->mant * 12 * den + in.mant) * 254, den * 100, cm);
}

/* "1m75", "1 m 75", "1 metro 75 cm": whole metres, a metre word, then exactly two digits of centimetres. */
static int height_m_cm(const struct decnum *m, const char *unit, double *cm)
{
	static const char *const cm_tail[] = {"", "cm", "cms", NULL};
	size_t n = match_mark(unit, m_units);
	const char *q;
	struct decnum c;

	if (m->dec != 0 || n == 0)
		return -1;
	q = after_space(unit + n);
	if (!is_digit(q[0]) || !is_digit(q[1]) || read_num(&q, &c, 0) < 0 || c.mant > 99)
		return -1;
	if (!in_list(after_space(q), cm_tail))
		return -1;
	return height_store(m->mant * 100 + c.mant, 1, cm);
}

int cal_quiz_parse_height(const char *text, double *cm)
{
	char buf[FOLD_BUF];
	const char *p, *unit;
	struct decnum d;
	uint64_t den;

	if (prep_number(text, buf, sizeof(buf)) < 0)
		return -1;
	p = skip_prefix(buf, height_prefixes);
	if (read_num(&p, &d, 1) < 0)
		return -1;
	unit = after_space(p);
	if (match_mark(unit, ft_marks) > 0)
		return height_feet(&d, p, cm);
	den = pow10_tab[d.dec];
	if (in_list(unit, cm_units))
		return height_store(d.mant, den, cm);
	if (in_list(unit, m_units))
		return height_store(d.mant * 100, den, cm);
	if (d.dec == 0 && (d.mant == 1 || d.mant == 2)) {
		/* "uno setenta" (read as "1 70"), "1 con 70": whole metres and two digits of centimetres. */
		const char *c = strncmp(unit, "con ", 4) == 0 ? unit + 4 : unit;
		if (is_digit(c[0]) && is_digit(c[1]) && c[2] == '\0')
			return height_store(d.mant * 100 + (uint64_t)((c[0] - '0') * 10 + (c[1] - '0')), 1, cm);
	}
	if (*unit == '\0')
		/* A bare number up to 2.5 can only be metres ("1.75"); anything else is centimetres ("175"). */
		return height_store(d.mant * 10 <= 25 * den ? d.mant * 100 : d.mant, den, cm);
	return height_m_cm(&d, unit, cm);
}

/* ---------------------------------------------------------------------------------------------------- */
/* One answer, one form                                                                                 */

int cal_quiz_apply_answer(cal_profile *p, cal_quiz_field step, const char *text)
{
	switch (step) {
	case CAL_QUIZ_GENDER: return cal_quiz_parse_gender(text, &p->gender);
	case CAL_QUIZ_AGE: return cal_quiz_parse_age(text, &p->age);
	case CAL_QUIZ_WEIGHT: return cal_quiz_parse_weight(text, &p->weight_kg);
	case CAL_QUIZ_HEIGHT: return cal_quiz_parse_height(text, &p->height_cm);
	case CAL_QUIZ_ACTIVITY: return cal_quiz_parse_activity(text, &p->activity);
	case CAL_QUIZ_GOAL: return cal_quiz_parse_goal(text, &p->goal);
	case CAL_QUIZ_TIMEZONE: return -1; /* not part of the profile: cal_quiz_parse_timezone */
	}
	return -1;
}

/*
 * A form value as text for the §6.1 parsers: strings as they are, integers printed, whole doubles as
 * integers (30.0 is a valid age) and other finite doubles with 4 decimals (so 70.55 stays 70.55 and is
 * rounded by the parser, not by the binary float). Returns 0,
 * 1 when absent (missing or null), -1 when present but of a type no parser accepts.
 */
static int form_text(struct json_object *form, const char *key, const char *alt, char *buf, size_t n)
{
	struct json_object *v = NULL;
	double x;

	if (!json_object_object_get_ex(form, key, &v) || v == NULL) {
		if (alt == NULL || !json_object_object_get_ex(form, alt, &v) || v == NULL)
			return 1;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (json_object_get_string_len(v) == 0)
			return 1;
		/* too long for any answer, or a "\u0000" inside that would hide the rest of the value */
		if ((size_t)json_object_get_string_len(v) >= n ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return -1;
		memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
		return 0;
	case json_type_int:
		snprintf(buf, n, "%lld", (long long)json_object_get_int64(v));
		return 0;
	case json_type_double:
		x = json_object_get_double(v);
		if (!isfinite(x) || x < 0 || x > 1e6)
			return -1;
		if (x == floor(x))
			snprintf(buf, n, "%.0f", x);
		else
			snprintf(buf, n, "%.4f", x);
		return 0;
	case json_type_null:
		return 1;
	default:
		return -1;
	}
}

static void add_bad(struct json_object **bad, const char *field, const char *reason)
{
	struct json_object *o = json_object_new_object();

	if (*bad == NULL)
		*bad = json_object_new_array();
	json_object_object_add(o, "field", json_object_new_string(field));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_array_add(*bad, o);
}

/* One form key through its parser; a missing or invalid field lands in *bad under its SPEC name. */
static void form_field(struct json_object *form, const char *key, const char *alt, int required,
		       int (*parse)(const char *, void *), void *out, struct json_object **bad)
{
	char buf[CAL_QUIZ_NAME_MAX + 1];
	int r = form_text(form, key, alt, buf, sizeof(buf));

	if (r == 1) {
		if (required)
			add_bad(bad, key, "missing");
		return;
	}
	if (r < 0 || parse(buf, out) < 0)
		add_bad(bad, key, "invalid");
}

/* Adapters so one loop drives the typed parsers. */
static int p_gender(const char *s, void *o) { return cal_quiz_parse_gender(s, o); }
static int p_age(const char *s, void *o) { return cal_quiz_parse_age(s, o); }
static int p_weight(const char *s, void *o) { return cal_quiz_parse_weight(s, o); }
static int p_height(const char *s, void *o) { return cal_quiz_parse_height(s, o); }
static int p_activity(const char *s, void *o) { return cal_quiz_parse_activity(s, o); }
static int p_goal(const char *s, void *o) { return cal_quiz_parse_goal(s, o); }

/* meals_per_day: an integer 1–10, nothing else. */
static int p_meals(const char *s, void *o)
{
	char buf[FOLD_BUF];
	const char *p;
	struct decnum d;

	if (prep_number(s, buf, sizeof(buf)) < 0)
		return -1;
	p = buf;
	if (read_num(&p, &d, 0) < 0 || *p != '\0' || d.mant < 1 || d.mant > 10)
		return -1;
	*(int *)o = (int)d.mant;
	return 0;
}

/* first_name: 1–100 characters of valid UTF-8 without control characters, trimmed. */
static int p_name(const char *s, void *o)
{
	char *out = o;
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), k, chars = 0, pos;
	uint32_t c;

	while (n > 0 && (*u == ' ' || *u == '\t')) {
		u++;
		n--;
	}
	while (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	for (pos = 0; pos < n; pos += k) {
		k = utf8_decode(u + pos, n - pos, &c);
		if (k == 0 || c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0))
			return -1;
		if (++chars > 100)
			return -1;
	}
	if (n > CAL_QUIZ_NAME_MAX)
		return -1;
	memcpy(out, u, n);
	out[n] = '\0';
	return 0;
}

int cal_quiz_parse_form(struct json_object *form, cal_quiz_form *out, struct json_object **bad)
{
	cal_quiz_form f;

	*bad = NULL;
	memset(&f, 0, sizeof(f));
	if (form == NULL || !json_object_is_type(form, json_type_object)) {
		add_bad(bad, "quiz", "invalid");
		return -1;
	}
	form_field(form, "gender", NULL, 1, p_gender, &f.profile.gender, bad);
	form_field(form, "age", NULL, 1, p_age, &f.profile.age, bad);
	form_field(form, "weight", "weight_kg", 1, p_weight, &f.profile.weight_kg, bad);
	form_field(form, "height", "height_cm", 1, p_height, &f.profile.height_cm, bad);
	form_field(form, "activity_level", NULL, 1, p_activity, &f.profile.activity, bad);
	form_field(form, "goal", NULL, 1, p_goal, &f.profile.goal, bad);
	form_field(form, "first_name", NULL, 0, p_name, f.first_name, bad);
	form_field(form, "target_weight_kg", NULL, 0, p_weight, &f.target_weight_kg, bad);
	form_field(form, "meals_per_day", NULL, 0, p_meals, &f.meals_per_day, bad);
	if (*bad != NULL)
		return -1;
	*out = f;
	return 0;
}

/* ---------------------------------------------------------------------------------------------------- */
/* The timezone question                                                                                */

/* Countries and big cities, folded, with their main (standard) UTC offset in minutes. */
static const struct word places[] = {
	{"argentina", -180}, {"buenos aires", -180}, {"cordoba", -180}, {"rosario", -180}, {"mendoza", -180},
	{"uruguay", -180}, {"montevideo", -180}, {"paraguay", -180}, {"asuncion", -180}, {"chile", -180},
	{"santiago", -180}, {"santiago de chile", -180}, {"brasil", -180}, {"brazil", -180},
	{"sao paulo", -180}, {"rio de janeiro", -180}, {"bolivia", -240}, {"la paz", -240},
	{"venezuela", -240}, {"caracas", -240}, {"republica dominicana", -240}, {"santo domingo", -240},
	{"puerto rico", -240}, {"peru", -300}, {"lima", -300}, {"ecuador", -300}, {"quito", -300},
	{"guayaquil", -300}, {"colombia", -300}, {"bogota", -300}, {"medellin", -300}, {"panama", -300},
	{"cuba", -300}, {"la habana", -300}, {"mexico", -360}, {"ciudad de mexico", -360}, {"cdmx", -360},
	{"guadalajara", -360}, {"monterrey", -360}, {"mexico city", -360}, {"guatemala", -360},
	{"el salvador", -360}, {"honduras", -360}, {"nicaragua", -360}, {"costa rica", -360},
	{"estados unidos", -300}, {"eeuu", -300}, {"ee uu", -300}, {"usa", -300}, {"us", -300},
	{"united states", -300}, {"new york", -300}, {"nueva york", -300}, {"miami", -300}, {"boston", -300},
	{"washington", -300}, {"atlanta", -300}, {"chicago", -360}, {"houston", -360}, {"dallas", -360},
	{"texas", -360}, {"denver", -420}, {"phoenix", -420}, {"los angeles", -480}, {"california", -480},
	{"san francisco", -480}, {"seattle", -480}, {"las vegas", -480}, {"canada", -300}, {"toronto", -300},
	{"montreal", -300}, {"vancouver", -480}, {"espana", 60}, {"spain", 60}, {"madrid", 60},
	{"barcelona", 60}, {"valencia", 60}, {"sevilla", 60}, {"canarias", 0}, {"portugal", 0}, {"lisboa", 0},
	{"lisbon", 0}, {"reino unido", 0}, {"united kingdom", 0}, {"uk", 0}, {"inglaterra", 0}, {"england", 0},
	{"london", 0}, {"londres", 0}, {"irlanda", 0}, {"ireland", 0}, {"dublin", 0}, {"francia", 60},
	{"france", 60}, {"paris", 60}, {"alemania", 60}, {"germany", 60}, {"berlin", 60}, {"italia", 60},
	{"italy", 60}, {"roma", 60}, {"rome", 60}, {"holanda", 60}, {"paises bajos", 60}, {"netherlands", 60},
	{"amsterdam", 60}, {"belgica", 60}, {"belgium", 60}, {"suiza", 60}, {"switzerland", 60},
	{"austria", 60}, {"polonia", 60}, {"poland", 60}, {"suecia", 60}, {"sweden", 60}, {"noruega", 60},
	{"norway", 60}, {"dinamarca", 60}, {"denmark", 60}, {"marruecos", 60}, {"morocco", 60},
	{"nigeria", 60}, {"grecia", 120}, {"greece", 120}, {"atenas", 120}, {"athens", 120},
	{"finlandia", 120}, {"finland", 120}, {"israel", 120}, {"egipto", 120}, {"egypt", 120},
	{"sudafrica", 120}, {"south africa", 120}, {"turquia", 180}, {"turkey", 180}, {"estambul", 180},
	{"istanbul", 180}, {"rusia", 180}, {"russia", 180}, {"moscu", 180}, {"moscow", 180},
	{"dubai", 240}, {"emiratos arabes", 240}, {"india", 330}, {"china", 480}, {"beijing", 480},
	{"shanghai", 480}, {"filipinas", 480}, {"philippines", 480}, {"japon", 540}, {"japan", 540},
	{"tokio", 540}, {"tokyo", 540}, {"corea", 540}, {"korea", 540}, {"south korea", 540}, {"seul", 540},
	{"seoul", 540}, {"australia", 600}, {"sydney", 600}, {"melbourne", 600}, {"nueva zelanda", 720},
	{"new zealand", 720},
	{NULL, 0},
};

static const char *const place_prefixes[] = {
	"estoy en ", "vivo en ", "soy de ", "desde ", "en ", "i am in ", "i m in ", "im in ", "i live in ",
	"in ", "from ", NULL,
};

/* An offset: "utc-3", "utc -3", "gmt+1", "-3", "+5:30", "-03:00", "utc". */
static int parse_offset(const char *s, int *minutes)
{
	char buf[32];
	size_t j = 0;

	for (; *s != '\0' && j + 1 < sizeof buf; s++)
		if (*s != ' ')
			buf[j++] = *s;
	buf[j] = '\0';
	/* "-3" and "+5:30" are hours; cal_conf_parse_utc_offset reads "-3" as such too. */
	if (cal_conf_parse_utc_offset(buf, minutes) != 0)
		return -1;
	return *minutes >= -12 * 60 && *minutes <= 14 * 60 ? 0 : -1;
}

int cal_quiz_parse_timezone(const char *text, int *offset_min)
{
	char buf[FOLD_BUF], num[FOLD_BUF];
	const char *p;
	int v;

	if (prep_number(text, num, sizeof num) == 0 && parse_offset(num, offset_min) == 0)
		return 0;
	if (prep_words(text, buf, sizeof buf) < 0)
		return -1;
	p = skip_prefix(buf, place_prefixes);
	if (match_words(p, places, &v) < 0)
		return -1;
	*offset_min = v;
	return 0;
}
