/*
 * Text food analysis (SPEC §7.2): turns "2 huevos revueltos y una tostada con manteca" into items with
 * grams and nutrients from the loaded tables. Pure computation: no I/O, no globals, results in the arena.
 *
 * The text is first cut into tokens (folded words, numbers, hard separators such as , ; + & and new
 * lines). Then each run between hard separators is read left to right; at every word the longest alias
 * match is tried first, so connector words that belong to a dish ("café con leche", "mac and cheese")
 * stay inside it, and only then do "y", "e", "con", "and", "with" split items ("milanesa con puré" is two
 * items because no alias spans it). Before a food the reader accepts a quantity (digits, decimals with
 * '.' or ',', fractions, ½ ¼ ¾, number words) and a unit, optionally followed by "de"/"of".
 *
 * Matching folds plurals and diminutives per word (huevos → huevo, limones → limon, tostadita → tostada,
 * cafecito → cafe); a variant is only tried when the alias vocabulary contains it, which keeps the number
 * of hash lookups small.
 *
 * Words that match nothing: right after a food they are taken as its description ("pollo grillado") and
 * ignored; elsewhere a run of them becomes an unmatched item only if it holds a content word — at least
 * three letters and not in the stop-word list below (articles, prepositions, meal names, "comí", "hoy",
 * "mucho", "amor" …), so "con mucho amor" or "hoy al mediodía comí" add nothing.
 *
 * Units → grams: g, kg, oz, lb exact; ml and l through the food's density (cup_g / 240 when the alias gives
 * cup_g, else an SR24 cup measure / 240, else 1 for drinks; a guessed density for a solid marks the item
 * approximate); cup from cup_g or an SR24 cup measure, else 240 ml for drinks, else the item is refused
 * (unmatched, "cup of what weight?"); tbsp/tsp/fl oz from SR24 measures or 15/5/29.57 ml; slice from an
 * SR24 slice measure or the default portion; glass 250 ml; can and bottle from an SR24 can/bottle measure,
 * else 355/500 ml; handful 30 g; serving, plate,
 * unit, piece = the alias's default portion (a plate is one serving of that dish: portions in aliases.csv
 * are already plate-sized for dishes). Size words ("grande", "small") are read and ignored.
 *
 * Confidence (SPEC §7.1): each matched item weighs 1.0 with an explicit quantity, 0.8 with the default
 * portion, 0.6 when its grams rest on a guessed density; the sum is divided by the number of items
 * (matched or not), so unmatched items pull it down; 0 when nothing matched.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caloria/foodparse.h"

#define MAX_TOKENS 1024
#define MAX_VARIANTS 4
#define MAX_CANDIDATE 256
#define MAX_COMBOS 64
#define MAX_ITEM_GRAMS 5000.0
#define MAX_QTY 1000.0
#define UNMATCHED_NAME_MAX 80
#define MAX_CONTENT_WORD 31   /* longer "words" are noise, not food */

typedef enum tkind { T_WORD, T_NUM, T_SEP } tkind;

typedef struct tok {
	tkind kind;
	const char *raw;      /* span in the original text */
	size_t rawlen;
	const char *w;        /* folded word (T_WORD) */
	size_t wlen;
	double num;           /* T_NUM */
	bool frac;            /* T_NUM that was a fraction below 1 (1/2, ½) */
	size_t nvar;          /* alias-vocabulary variants of the word, computed on first use */
	bool var_done;
	const char *var[MAX_VARIANTS];
	size_t varlen[MAX_VARIANTS];
} tok;

typedef enum unit_kind {
	U_NONE, U_G, U_KG, U_OZ, U_LB, U_ML, U_L, U_CUP, U_TBSP, U_TSP, U_SLICE, U_SERVING, U_PLATE, U_GLASS,
	U_CAN, U_BOTTLE, U_UNIT, U_HANDFUL, U_FLOZ, U__MAX
} unit_kind;

static const char *const unit_name[U__MAX] = {
	[U_NONE] = "unit", [U_G] = "g", [U_KG] = "kg", [U_OZ] = "oz", [U_LB] = "lb", [U_ML] = "ml", [U_L] = "l",
	[U_CUP] = "cup", [U_TBSP] = "tbsp", [U_TSP] = "tsp", [U_SLICE] = "slice", [U_SERVING] = "serving",
	[U_PLATE] = "plate", [U_GLASS] = "glass", [U_CAN] = "can", [U_BOTTLE] = "bottle", [U_UNIT] = "unit",
	[U_HANDFUL] = "handful", [U_FLOZ] = "fl oz",
};

typedef struct word_unit {
	const char *w;
	unit_kind u;
	bool bare; /* may stand without a number when followed by de/of ("taza de café") */
} word_unit;

static const word_unit units[] = {
	{ "g", U_G, false }, { "gr", U_G, false }, { "grs", U_G, false }, { "gm", U_G, false },
	{ "gramo", U_G, false }, { "gramos", U_G, false }, { "gram", U_G, false }, { "grams", U_G, false },
	{ "grammes", U_G, false }, { "kg", U_KG, false }, { "kgs", U_KG, false }, { "kilo", U_KG, true },
	{ "kilos", U_KG, false }, { "kilogramo", U_KG, false }, { "kilogramos", U_KG, false },
	{ "kilogram", U_KG, false }, { "kilograms", U_KG, false }, { "oz", U_OZ, false }, { "onza", U_OZ, false },
	{ "onzas", U_OZ, false }, { "ounce", U_OZ, false }, { "ounces", U_OZ, false }, { "lb", U_LB, false },
	{ "lbs", U_LB, false }, { "libra", U_LB, false }, { "libras", U_LB, false }, { "pound", U_LB, false },
	{ "pounds", U_LB, false }, { "ml", U_ML, false }, { "cc", U_ML, false }, { "mililitro", U_ML, false },
	{ "mililitros", U_ML, false }, { "milliliter", U_ML, false }, { "milliliters", U_ML, false },
	{ "millilitre", U_ML, false }, { "millilitres", U_ML, false }, { "l", U_L, false }, { "lt", U_L, false },
	{ "lts", U_L, false }, { "litro", U_L, true }, { "litros", U_L, false }, { "liter", U_L, true },
	{ "liters", U_L, false }, { "litre", U_L, true }, { "litres", U_L, false }, { "taza", U_CUP, true },
	{ "tazas", U_CUP, false }, { "tazon", U_CUP, true }, { "tazones", U_CUP, false }, { "cup", U_CUP, true },
	{ "cups", U_CUP, false }, { "cucharada", U_TBSP, true }, { "cucharadas", U_TBSP, false },
	{ "cda", U_TBSP, false }, { "cdas", U_TBSP, false }, { "tbsp", U_TBSP, false }, { "tbs", U_TBSP, false },
	{ "tablespoon", U_TBSP, true }, { "tablespoons", U_TBSP, false }, { "cucharadita", U_TSP, true },
	{ "cucharaditas", U_TSP, false }, { "cdita", U_TSP, false }, { "cditas", U_TSP, false },
	{ "tsp", U_TSP, false }, { "teaspoon", U_TSP, true }, { "teaspoons", U_TSP, false },
	{ "rebanada", U_SLICE, true }, { "rebanadas", U_SLICE, false }, { "feta", U_SLICE, true },
	{ "fetas", U_SLICE, false }, { "tajada", U_SLICE, true }, { "tajadas", U_SLICE, false },
	{ "rodaja", U_SLICE, true }, { "rodajas", U_SLICE, false }, { "slice", U_SLICE, true },
	{ "slices", U_SLICE, false }, { "porcion", U_SERVING, true }, { "porciones", U_SERVING, false },
	{ "racion", U_SERVING, true }, { "raciones", U_SERVING, false }, { "serving", U_SERVING, true },
	{ "servings", U_SERVING, false }, { "portion", U_SERVING, true }, { "portions", U_SERVING, false },
	{ "copa", U_SERVING, true }, { "copas", U_SERVING, false }, { "plato", U_PLATE, true },
	{ "platos", U_PLATE, false }, { "plate", U_PLATE, true }, { "plates", U_PLATE, false },
	{ "bowl", U_PLATE, true }, { "bowls", U_PLATE, false }, { "vaso", U_GLASS, true },
	{ "vasos", U_GLASS, false }, { "glass", U_GLASS, true }, { "glasses", U_GLASS, false },
	{ "lata", U_CAN, true }, { "latas", U_CAN, false }, { "can", U_CAN, false }, { "cans", U_CAN, false },
	{ "botella", U_BOTTLE, true }, { "botellas", U_BOTTLE, false }, { "bottle", U_BOTTLE, true },
	{ "bottles", U_BOTTLE, false }, { "unidad", U_UNIT, true }, { "unidades", U_UNIT, false },
	{ "pieza", U_UNIT, true }, { "piezas", U_UNIT, false }, { "piece", U_UNIT, true },
	{ "pieces", U_UNIT, false }, { "punado", U_HANDFUL, true }, { "punados", U_HANDFUL, false },
	{ "handful", U_HANDFUL, true }, { "handfuls", U_HANDFUL, false },
};

typedef struct word_num {
	const char *w;
	double v;
} word_num;

static const word_num numbers[] = {
	{ "un", 1 }, { "una", 1 }, { "uno", 1 }, { "dos", 2 }, { "tres", 3 }, { "cuatro", 4 }, { "cinco", 5 },
	{ "seis", 6 }, { "siete", 7 }, { "ocho", 8 }, { "nueve", 9 }, { "diez", 10 }, { "once", 11 },
	{ "doce", 12 }, { "medio", 0.5 }, { "media", 0.5 }, { "docena", 12 }, { "a", 1 }, { "an", 1 },
	{ "one", 1 }, { "two", 2 }, { "three", 3 }, { "four", 4 }, { "five", 5 }, { "six", 6 }, { "seven", 7 },
	{ "eight", 8 }, { "nine", 9 }, { "ten", 10 }, { "eleven", 11 }, { "twelve", 12 }, { "half", 0.5 },
	{ "dozen", 12 },
};

/* Multi-word quantities, tried before single words (longest first). */
typedef struct phrase_num {
	const char *w[4];
	double v;
} phrase_num;

static const phrase_num phrases[] = {
	{ { "half", "a", "dozen", NULL }, 6 }, { { "a", "couple", "of", NULL }, 2 },
	{ { "un", "par", "de", NULL }, 2 }, { { "media", "docena", NULL, NULL }, 6 },
	{ { "una", "docena", NULL, NULL }, 12 }, { { "a", "dozen", NULL, NULL }, 12 },
	{ { "couple", "of", NULL, NULL }, 2 }, { { "par", "de", NULL, NULL }, 2 },
	{ { "a", "half", NULL, NULL }, 0.5 },
};

static const char *const connectors[] = { "y", "e", "con", "and", "with", "n", "plus", "mas" };

/* Read between a quantity/unit and the food, and ignored. */
static const char *const fillers[] = {
	"de", "del", "of", "grande", "grandes", "chico", "chica", "chicos", "chicas", "pequeno", "pequena",
	"pequenos", "pequenas", "mediano", "mediana", "medianos", "medianas", "big", "small", "large", "medium",
	"generoso", "generosa", "generosos", "generosas", "abundante", "abundantes", "buen", "buena", "llena",
	"lleno", "full", "extra", "the", "some", "la", "el", "los", "las", "a", "an",
};

/* "ensalada de lechuga, tomate y palta" lists the salad's parts: the container word is dropped. */
static const char *const containers[] = { "ensalada", "ensaladas", "salad", "salads" };

/* Words that never make an unknown run worth reporting (see the file comment). */
static const char *const stopwords[] = {
	"about", "after", "ahora", "al", "algo", "algun", "alguna", "algunas", "algunos", "almorce",
	"almorzamos", "almorzar", "almuerzo", "also", "amor", "and", "anotar", "another", "antes", "ate",
	"ayer", "beber", "bebi", "bebimos", "before", "bien", "bit", "breakfast", "brunch", "casera",
	"casero", "cena", "cenamos", "cenar", "cene", "comer", "comi", "comida", "comiendo", "comimos",
	"como", "con", "cosa", "cosas", "de", "del", "deliciosa", "delicioso", "delicious", "desayunamos",
	"desayunar", "desayune", "desayuno", "despues", "dessert", "dia", "dinner", "drank", "drink",
	"drinking", "eat", "eating", "el", "en", "entrada", "eso", "esta", "este", "esto", "for", "fue",
	"fui", "ganas", "had", "hambre", "have", "having", "homemade", "hoy", "hungry", "just", "la",
	"las", "little", "log", "los", "love", "luego", "lunch", "manana", "mas", "me", "meal", "medio",
	"mediodia", "menos", "merendar", "merende", "merienda", "mi", "mis", "morning", "mucha", "muchas",
	"mucho", "muchos", "muy", "nada", "night", "noche", "now", "onda", "only", "otra", "otro", "para",
	"pero", "picada", "picoteo", "plus", "poca", "poco", "por", "porque", "postre", "que", "quiero",
	"registrar", "rica", "rico", "riquisima", "riquisimo", "sin", "snack", "solo", "some", "supper",
	"tambien", "tarde", "that", "the", "then", "this", "tipo", "today", "todo", "tomamos", "tomar",
	"tome", "tomo", "tonight", "unas", "unos", "vamos", "veces", "very", "vez", "voy", "was", "with",
	"yesterday",
};

static bool word_is(const tok *t, const char *w)
{
	return t->kind == T_WORD && t->wlen == strlen(w) && memcmp(t->w, w, t->wlen) == 0;
}

static bool word_in(const tok *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (word_is(t, list[i]))
			return true;
	}
	return false;
}

#define NELEM(a) (sizeof(a) / sizeof(*(a)))

static bool is_content(const tok *t)
{
	if (t->kind != T_WORD || t->wlen < 3 || t->wlen > MAX_CONTENT_WORD)
		return false;
	for (size_t i = 0; i < t->wlen; i++) {
		if (t->w[i] < 'a' || t->w[i] > 'z')
			return false;
	}
	if (word_in(t, stopwords, NELEM(stopwords)))
		return false;
	for (size_t i = 0; i < NELEM(numbers); i++) {
		if (word_is(t, numbers[i].w))
			return false;
	}
	return true;
}

/* ---- tokenizer -------------------------------------------------------------------------------------- */

static double unicode_fraction(unsigned cp)
{
	switch (cp) {
	case 0xBD: return 0.5;
	case 0xBC: return 0.25;
	case 0xBE: return 0.75;
	case 0x2153: return 1.0 / 3;
	case 0x2154: return 2.0 / 3;
	case 0x215B: return 0.125;
	default: return 0;
	}
}

static bool is_hard_sep(int c)
{
	return c == ',' || c == ';' || c == '+' || c == '\n' || c == '\r' || c == '&' || c == '.' || c == '!' ||
	       c == '?' || c == '(' || c == ')' || c == ':' || c == '|' || c == '/' || c == '[' || c == ']' ||
	       c == '{' || c == '}' || c == '*' || c == '=' || c == '<' || c == '>';
}

typedef struct lexer {
	const char *p, *end;
	char *fold;     /* folded words are written here, NUL-separated */
	size_t foldlen;
	tok *toks;
	size_t ntoks;
} lexer;

/* Peeks the folded character at p without consuming it. */
static int peek(const lexer *lx, const char *p, unsigned *cp)
{
	if (p >= lx->end)
		return 0;
	const char *q = p;
	return cal_fooddb_fold_next(&q, lx->end, cp);
}

static double read_digits(const char **p, const char *end, size_t *ndig)
{
	double v = 0;
	*ndig = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (*ndig < 15)
			v = v * 10 + (**p - '0');
		(*ndig)++;
		(*p)++;
	}
	return v;
}

static void lex_number(lexer *lx, tok *t)
{
	const char *p = lx->p;
	size_t nd;
	double v = read_digits(&p, lx->end, &nd);
	if (nd > 9)
		v = 1e9; /* absurd quantities are refused later; keep the arithmetic finite */
	if (p + 1 < lx->end && (*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
		p++;
		size_t fd;
		double f = read_digits(&p, lx->end, &fd);
		if (fd > 15)
			fd = 15;
		v += f / pow(10, (double)fd);
	} else if (p + 1 < lx->end && *p == '/' && p[1] >= '1' && p[1] <= '9') {
		p++;
		size_t dd;
		double d = read_digits(&p, lx->end, &dd);
		if (d > 0) {
			v = v / d;
			t->frac = v < 1;
		}
	}
	unsigned cp;
	const char *q = p;
	if (q < lx->end && (cal_fooddb_fold_next(&q, lx->end, &cp), unicode_fraction(cp) > 0)) {
		v += unicode_fraction(cp); /* "1½" */
		p = q;
	}
	t->kind = T_NUM;
	t->num = v;
	t->rawlen = (size_t)(p - t->raw);
	lx->p = p;
}

static void lex_word(lexer *lx, tok *t)
{
	const char *p = lx->p;
	t->kind = T_WORD;
	t->w = lx->fold + lx->foldlen;
	for (;;) {
		unsigned cp;
		const char *q = p;
		if (q >= lx->end)
			break;
		int c = cal_fooddb_fold_next(&q, lx->end, &cp);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			break;
		lx->fold[lx->foldlen++] = (char)c;
		p = q;
	}
	t->wlen = (size_t)(lx->fold + lx->foldlen - t->w);
	lx->fold[lx->foldlen++] = '\0';
	t->rawlen = (size_t)(p - t->raw);
	lx->p = p;
}

static void lex(lexer *lx)
{
	while (lx->p < lx->end && lx->ntoks < MAX_TOKENS) {
		unsigned cp;
		int c = peek(lx, lx->p, &cp);
		tok *t = &lx->toks[lx->ntoks];
		memset(t, 0, sizeof *t);
		t->raw = lx->p;
		if (c >= '0' && c <= '9') {
			lex_number(lx, t);
		} else if (c >= 'a' && c <= 'z') {
			lex_word(lx, t);
		} else if (unicode_fraction(cp) > 0) {
			cal_fooddb_fold_next(&lx->p, lx->end, &cp);
			*t = (tok){ .kind = T_NUM, .raw = t->raw, .rawlen = (size_t)(lx->p - t->raw),
				    .num = unicode_fraction(cp), .frac = true };
		} else {
			cal_fooddb_fold_next(&lx->p, lx->end, &cp);
			if (!is_hard_sep(c))
				continue;
			if (lx->ntoks > 0 && lx->toks[lx->ntoks - 1].kind == T_SEP)
				continue;
			t->kind = T_SEP;
			t->rawlen = (size_t)(lx->p - t->raw);
		}
		lx->ntoks++;
	}
}

/* ---- word variants (plurals, diminutives) ----------------------------------------------------------- */

typedef struct varbuf {
	char s[MAX_VARIANTS * 2][48];
	size_t len[MAX_VARIANTS * 2];
	size_t n;
} varbuf;

static void var_add(varbuf *vb, const char *stem, size_t stemlen, const char *suffix)
{
	size_t sl = strlen(suffix);
	if (vb->n >= NELEM(vb->s) || stemlen < 2 || stemlen + sl >= sizeof vb->s[0])
		return;
	memcpy(vb->s[vb->n], stem, stemlen);
	memcpy(vb->s[vb->n] + stemlen, suffix, sl);
	vb->len[vb->n] = stemlen + sl;
	vb->s[vb->n][stemlen + sl] = '\0';
	vb->n++;
}

static bool ends_with(const char *w, size_t n, const char *suf)
{
	size_t sl = strlen(suf);
	return n > sl && memcmp(w + n - sl, suf, sl) == 0;
}

/* Diminutive forms: -ito/-ita → -o/-a, -cito → '' (cafecito), -ecito → '' (panecito), -quito → -co … */
static void diminutives(varbuf *vb, const char *w, size_t n)
{
	static const struct { const char *suf, *rep; } rules[] = {
		{ "ecito", "" }, { "ecita", "" }, { "cito", "" }, { "cita", "" }, { "quito", "co" }, { "quita", "ca" },
		{ "guito", "go" }, { "guita", "ga" }, { "ito", "o" }, { "ita", "a" },
	};
	for (size_t i = 0; i < NELEM(rules); i++) {
		if (ends_with(w, n, rules[i].suf))
			var_add(vb, w, n - strlen(rules[i].suf), rules[i].rep);
	}
}

/* Singular forms, es and en: -ces → -z, -ies → -y, -ves → -f, -es → '', -s → ''. */
static void singulars(varbuf *vb, const char *w, size_t n)
{
	if (n < 3 || w[n - 1] != 's')
		return;
	if (ends_with(w, n, "ces"))
		var_add(vb, w, n - 3, "z");
	if (ends_with(w, n, "ies"))
		var_add(vb, w, n - 3, "y");
	if (ends_with(w, n, "ves"))
		var_add(vb, w, n - 3, "f");
	if (ends_with(w, n, "es"))
		var_add(vb, w, n - 2, "");
	if (!ends_with(w, n, "ss"))
		var_add(vb, w, n - 1, "");
}

/* Fills t->var with the forms of the word that occur in some alias, exact form first. */
static void word_variants(const cal_fooddb *db, tok *t, cal_arena *arena)
{
	t->var_done = true;
	if (t->kind != T_WORD || t->wlen == 0 || t->wlen >= 48)
		return;
	varbuf vb = { .n = 0 };
	var_add(&vb, t->w, t->wlen, "");
	if (t->wlen < 2) { /* var_add refuses stems under 2 letters; single letters ("a", "y") stay exact */
		memcpy(vb.s[0], t->w, t->wlen);
		vb.s[0][t->wlen] = '\0';
		vb.len[0] = t->wlen;
		vb.n = 1;
	}
	singulars(&vb, t->w, t->wlen);
	size_t nplain = vb.n;
	diminutives(&vb, t->w, t->wlen);
	for (size_t i = 1; i < nplain; i++)
		diminutives(&vb, vb.s[i], vb.len[i]);
	for (size_t i = 0; i < vb.n && t->nvar < MAX_VARIANTS; i++) {
		if (!cal_fooddb_has_word(db, vb.s[i], vb.len[i]))
			continue;
		bool dup = false;
		for (size_t k = 0; k < t->nvar; k++)
			dup = dup || (t->varlen[k] == vb.len[i] && memcmp(t->var[k], vb.s[i], vb.len[i]) == 0);
		if (dup)
			continue;
		t->var[t->nvar] = cal_arena_strndup(arena, vb.s[i], vb.len[i]);
		t->varlen[t->nvar] = vb.len[i];
		t->nvar++;
	}
}

/* ---- alias matching --------------------------------------------------------------------------------- */

typedef struct parser {
	const cal_fooddb *db;
	cal_arena *arena;
	tok *toks;
	size_t ntoks;
	cal_food_analysis *out;
	size_t cap_items;
} parser;

static size_t var_count(parser *ps, size_t i)
{
	tok *t = &ps->toks[i];
	if (!t->var_done)
		word_variants(ps->db, t, ps->arena);
	return t->nvar;
}

/* Longest alias starting at token i (never crossing end); returns its word count, 0 when none. */
static size_t match_at(parser *ps, size_t i, size_t end, const cal_food_alias **found)
{
	size_t maxw = cal_fooddb_max_alias_words(ps->db);
	size_t avail = 0;
	while (i + avail < end && avail < maxw && ps->toks[i + avail].kind == T_WORD && var_count(ps, i + avail) > 0)
		avail++;
	for (size_t len = avail; len > 0; len--) {
		size_t combos = 1;
		for (size_t k = 0; k < len && combos <= MAX_COMBOS; k++)
			combos *= ps->toks[i + k].nvar;
		if (combos > MAX_COMBOS)
			combos = MAX_COMBOS;
		for (size_t c = 0; c < combos; c++) {
			char cand[MAX_CANDIDATE];
			size_t n = 0;
			size_t rest = c;
			bool fits = true;
			for (size_t k = 0; k < len && fits; k++) {
				tok *t = &ps->toks[i + k];
				size_t vi = rest % t->nvar;
				rest /= t->nvar;
				if (n + t->varlen[vi] + 2 > sizeof cand) {
					fits = false;
					break;
				}
				if (k > 0)
					cand[n++] = ' ';
				memcpy(cand + n, t->var[vi], t->varlen[vi]);
				n += t->varlen[vi];
			}
			if (!fits)
				continue;
			const cal_food_alias *a = cal_fooddb_alias(ps->db, cand, n);
			if (a != NULL) {
				*found = a;
				return len;
			}
		}
	}
	return 0;
}

/* ---- quantities and units --------------------------------------------------------------------------- */

static bool word_number(const tok *t, double *v)
{
	for (size_t i = 0; i < NELEM(numbers); i++) {
		if (word_is(t, numbers[i].w)) {
			*v = numbers[i].v;
			return true;
		}
	}
	return false;
}

/* A quantity at token i; returns tokens consumed (0 = none). */
static size_t parse_qty(parser *ps, size_t i, size_t end, double *qty)
{
	tok *t = ps->toks;
	for (size_t p = 0; p < NELEM(phrases); p++) {
		size_t k = 0;
		while (k < 4 && phrases[p].w[k] != NULL && i + k < end && word_is(&t[i + k], phrases[p].w[k]))
			k++;
		if (k > 0 && (k == 4 || phrases[p].w[k] == NULL)) {
			*qty = phrases[p].v;
			return k;
		}
	}
	size_t used = 0;
	double v;
	if (t[i].kind == T_NUM) {
		v = t[i].num;
		used = 1;
		if (i + 1 < end && t[i + 1].kind == T_NUM && t[i + 1].frac && !t[i].frac) {
			v += t[i + 1].num; /* "1 1/2", "1 ½" */
			used = 2;
		}
	} else if (word_number(&t[i], &v)) {
		used = 1;
		if (v == 0.5 && i + 1 < end && (word_is(&t[i + 1], "docena") || word_is(&t[i + 1], "dozen"))) {
			*qty = 6;
			return 2;
		}
	} else {
		return 0;
	}
	/* "2 y medio", "one and a half" */
	if (i + used + 1 < end && (word_is(&t[i + used], "y") || word_is(&t[i + used], "and"))) {
		size_t j = i + used + 1;
		if (word_is(&t[j], "medio") || word_is(&t[j], "media")) {
			v += 0.5;
			used += 2;
		} else if (j + 1 < end && word_is(&t[j], "a") && word_is(&t[j + 1], "half")) {
			v += 0.5;
			used += 3;
		}
	}
	*qty = v;
	return used;
}

static size_t parse_unit(parser *ps, size_t i, size_t end, bool need_bare, unit_kind *u)
{
	tok *t = &ps->toks[i];
	if (i >= end || t->kind != T_WORD)
		return 0;
	/* "fl oz" */
	if (word_is(t, "fl") && i + 1 < end && word_is(&ps->toks[i + 1], "oz")) {
		*u = U_FLOZ;
		return 2;
	}
	for (size_t k = 0; k < NELEM(units); k++) {
		if (!word_is(t, units[k].w))
			continue;
		if (need_bare) {
			/* Without a number a unit word must be followed by de/of: "taza de café". */
			if (!units[k].bare || i + 1 >= end ||
			    !(word_is(&t[1], "de") || word_is(&t[1], "of") || word_is(&t[1], "del")))
				return 0;
		}
		*u = units[k].u;
		return 1;
	}
	return 0;
}

/* ---- grams ------------------------------------------------------------------------------------------ */

/* Grams of one unit named by keyword in the SR24 measures ("1 cup, chopped=128" → 128); 0 if none. */
static double measure_grams(const cal_food *f, const char *const *keys, size_t nkeys)
{
	double best = 0;
	bool exact = false;
	for (size_t i = 0; i < f->nmeasures; i++) {
		const char *d = f->measures[i].desc;
		char *end = NULL;
		double n = strtod(d, &end);
		if (end == d || !(n > 0))
			continue;
		while (*end == ' ')
			end++;
		for (size_t k = 0; k < nkeys; k++) {
			size_t kl = strlen(keys[k]);
			if (strncmp(end, keys[k], kl) != 0)
				continue;
			size_t after = end[kl] == 's' ? kl + 1 : kl; /* "6 slices=170" */
			if (end[after] != '\0' && end[after] != ',' && end[after] != ' ')
				continue;
			bool is_exact = end[kl] == '\0' && n == 1;
			if (best == 0 || (is_exact && !exact)) {
				best = f->measures[i].grams / n;
				exact = is_exact;
			}
		}
	}
	return best;
}

/* Grams per ml; *guessed when nothing in the tables tells. */
static double density(const cal_food_alias *a, bool *guessed)
{
	static const char *const cup[] = { "cup" };
	*guessed = false;
	if (a->cup_g > 0)
		return a->cup_g / 240.0;
	if (a->food->flags & CAL_FOOD_LIQUID)
		return 1.0;
	double g = measure_grams(a->food, cup, 1);
	if (g > 0)
		return g / 240.0;
	*guessed = true;
	return 1.0;
}

/* Grams of one unit of u for alias a; 0 when the unit cannot apply (cup of a solid without cup data). */
static double unit_grams(const cal_food_alias *a, unit_kind u, bool *approx)
{
	static const char *const cup[] = { "cup" };
	static const char *const tbsp[] = { "tbsp", "tablespoon" };
	static const char *const tsp[] = { "tsp", "teaspoon" };
	static const char *const slice[] = { "slice" };
	static const char *const can[] = { "can" };
	static const char *const bottle[] = { "bottle" };
	static const char *const floz[] = { "fl oz" };
	double g;
	*approx = false;
	switch (u) {
	case U_G: return 1;
	case U_KG: return 1000;
	case U_OZ: return 28.3495;
	case U_LB: return 453.592;
	case U_ML: return density(a, approx);
	case U_L: return 1000 * density(a, approx);
	case U_GLASS: return 250 * density(a, approx);
	case U_CAN:
		if ((g = measure_grams(a->food, can, 1)) > 0)
			return g;
		return 355 * density(a, approx);
	case U_BOTTLE:
		if ((g = measure_grams(a->food, bottle, 1)) > 0)
			return g;
		return 500 * density(a, approx);
	case U_FLOZ:
		if ((g = measure_grams(a->food, floz, 1)) > 0)
			return g;
		return 29.5735 * density(a, approx);
	case U_HANDFUL: return 30;
	case U_CUP:
		if (a->cup_g > 0)
			return a->cup_g;
		if ((g = measure_grams(a->food, cup, 1)) > 0)
			return g;
		return (a->food->flags & CAL_FOOD_LIQUID) ? 240 : 0;
	case U_TBSP:
		if ((g = measure_grams(a->food, tbsp, 2)) > 0)
			return g;
		return 15 * density(a, approx);
	case U_TSP:
		if ((g = measure_grams(a->food, tsp, 2)) > 0)
			return g;
		return 5 * density(a, approx);
	case U_SLICE:
		if ((g = measure_grams(a->food, slice, 1)) > 0)
			return g;
		return a->portion_g;
	case U_NONE:
	case U_SERVING:
	case U_PLATE:
	case U_UNIT:
	case U__MAX:
		break;
	}
	return a->portion_g;
}

/* ---- items ------------------------------------------------------------------------------------------ */

typedef struct pending {
	bool has_qty;
	double qty;
	unit_kind unit;
	size_t start; /* first token of the quantity */
} pending;

static cal_food_item *new_item(parser *ps)
{
	if (ps->out->nitems >= ps->cap_items)
		return NULL;
	cal_food_item *it = &ps->out->items[ps->out->nitems++];
	memset(it, 0, sizeof *it);
	return it;
}

static void add_matched(parser *ps, const cal_food_alias *a, const pending *pq)
{
	cal_food_item *it = new_item(ps);
	if (it == NULL)
		return;
	double qty = pq->has_qty ? pq->qty : 1;
	unit_kind u = pq->unit;
	bool approx = false;
	double per = unit_grams(a, u, &approx);
	it->name = a->display;
	it->ref = a->ref;
	it->quantity = qty;
	it->unit = unit_name[u == U_NONE && !pq->has_qty ? U_SERVING : u];
	it->explicit_qty = pq->has_qty || u != U_NONE;
	it->approx = approx;
	it->grams = qty * per;
	if (!(per > 0) || !(qty > 0) || qty > MAX_QTY || !(it->grams <= MAX_ITEM_GRAMS)) {
		/* A cup of something without cup data, a zero or an absurd amount: not guessed, reported. */
		it->grams = 0;
		it->matched = false;
		it->ref = NULL;
		return;
	}
	it->matched = true;
	const double *src = &a->food->per100.kcal;
	double *dst = &it->n.kcal;
	double *tot = &ps->out->total.kcal;
	for (size_t k = 0; k < 8; k++) {
		dst[k] = src[k] * it->grams / 100.0;
		tot[k] += dst[k];
	}
	ps->out->nmatched++;
}

/* Copies a span of the user's text as an item name: valid UTF-8 only, control bytes as spaces, bounded. */
static const char *clean_name(parser *ps, const char *s, size_t len)
{
	char *out = cal_arena_alloc(ps->arena, UNMATCHED_NAME_MAX + 4);
	size_t n = 0;
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *q = p;
		unsigned cp;
		cal_fooddb_fold_next(&q, end, &cp);
		size_t cl = (size_t)(q - p);
		if (n + cl > UNMATCHED_NAME_MAX)
			break;
		if (cp == 0xFFFD && !(cl == 3 && (unsigned char)p[0] == 0xEF)) {
			out[n++] = '?';
		} else if (cp < 0x20 || cp == 0x7F) {
			out[n++] = ' ';
		} else {
			memcpy(out + n, p, cl);
			n += cl;
		}
		p = q;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static void add_unmatched(parser *ps, size_t from, size_t to, const pending *pq)
{
	cal_food_item *it = new_item(ps);
	if (it == NULL)
		return;
	const tok *a = &ps->toks[from], *b = &ps->toks[to - 1];
	it->name = clean_name(ps, a->raw, (size_t)(b->raw + b->rawlen - a->raw));
	it->quantity = pq->has_qty ? pq->qty : 1;
	it->unit = unit_name[pq->unit == U_NONE && !pq->has_qty ? U_SERVING : pq->unit];
	it->explicit_qty = pq->has_qty;
	it->matched = false;
}

/* ---- the reader ------------------------------------------------------------------------------------- */

typedef struct run {
	bool open;
	size_t start, end;
	bool content;
	pending pq; /* a quantity that found no food and starts the run */
} run;

static void flush_run(parser *ps, run *r)
{
	if (r->open && r->content)
		add_unmatched(ps, r->start, r->end, &r->pq);
	memset(r, 0, sizeof *r);
}

static void run_add(run *r, size_t i, const tok *t)
{
	bool content = is_content(t);
	if (!r->open || (!r->content && content)) {
		r->open = true;
		r->start = i; /* the reported name starts at the first content word ("comí choclo" → "choclo") */
		r->end = i + 1;
	}
	if (content)
		r->end = i + 1; /* … and ends at the last one ("guiso de" → "guiso") */
	r->content = r->content || content;
}

/* Skips fillers between a quantity/unit and the food ("2 tazas grandes de …"). */
static size_t skip_fillers(parser *ps, size_t i, size_t end)
{
	while (i < end && word_in(&ps->toks[i], fillers, NELEM(fillers)))
		i++;
	return i;
}

static void read_segment(parser *ps, size_t i, size_t end)
{
	pending pq = { 0 };
	run r = { 0 };
	bool after_food = false;
	while (i < end) {
		tok *t = &ps->toks[i];
		if (word_in(t, connectors, NELEM(connectors))) {
			const cal_food_alias *a = NULL;
			size_t m = match_at(ps, i, end, &a); /* an alias may start with a connector word */
			if (m == 0) {
				flush_run(ps, &r);
				pq = (pending){ 0 };
				after_food = false;
				i++;
				continue;
			}
		}
		if (word_in(t, containers, NELEM(containers)) && i + 2 < end &&
		    (word_is(&t[1], "de") || word_is(&t[1], "of") || word_is(&t[1], "con") || word_is(&t[1], "with"))) {
			const cal_food_alias *a = NULL;
			const cal_food_alias *whole = NULL;
			if (match_at(ps, i, end, &whole) < 3 && match_at(ps, i + 2, end, &a) > 0) {
				i += 2; /* "ensalada de lechuga": the salad is its parts */
				continue;
			}
		}
		const cal_food_alias *a = NULL;
		size_t m = match_at(ps, i, end, &a);
		if (m > 0) {
			flush_run(ps, &r);
			add_matched(ps, a, &pq);
			pq = (pending){ 0 };
			after_food = true;
			i += m;
			continue;
		}
		double qty;
		size_t q = pq.has_qty || pq.unit != U_NONE ? 0 : parse_qty(ps, i, end, &qty);
		if (q > 0) {
			flush_run(ps, &r);
			after_food = false;
			pq = (pending){ .has_qty = true, .qty = qty, .unit = U_NONE, .start = i };
			i += q;
			unit_kind u;
			size_t ul = parse_unit(ps, i, end, false, &u);
			if (ul > 0) {
				pq.unit = u;
				i += ul;
			}
			i = skip_fillers(ps, i, end);
			continue;
		}
		unit_kind u;
		size_t ul = pq.has_qty || pq.unit != U_NONE ? 0 : parse_unit(ps, i, end, true, &u);
		if (ul > 0) {
			flush_run(ps, &r);
			after_food = false;
			pq = (pending){ .has_qty = true, .qty = 1, .unit = u, .start = i };
			i = skip_fillers(ps, i + ul, end);
			continue;
		}
		if (pq.has_qty) {
			/* A quantity with no known food after it opens an unknown run ("2 choclos"): the name is the
			 * food words, the quantity travels in r.pq. A number word there was likely no quantity at all
			 * ("voy a comer", "una vez"), so the run only opens if a content word follows. */
			if (ps->toks[pq.start].kind == T_NUM || is_content(t)) {
				r.open = true;
				r.start = i;
				r.pq = pq;
			}
			pq = (pending){ 0 };
			after_food = false;
		}
		if (!after_food || r.open)
			run_add(&r, i, t);
		i++;
	}
	flush_run(ps, &r);
}

static void read_all(parser *ps)
{
	size_t start = 0;
	for (size_t i = 0; i <= ps->ntoks; i++) {
		if (i == ps->ntoks || ps->toks[i].kind == T_SEP) {
			if (i > start)
				read_segment(ps, start, i);
			start = i + 1;
		}
	}
}

/* ---- public API ------------------------------------------------------------------------------------- */

static double confidence(const cal_food_analysis *a)
{
	if (a->nmatched == 0 || a->nitems == 0)
		return 0;
	double sum = 0;
	for (size_t i = 0; i < a->nitems; i++) {
		const cal_food_item *it = &a->items[i];
		if (!it->matched)
			continue;
		sum += it->approx ? 0.6 : it->explicit_qty ? 1.0 : 0.8;
	}
	return round(sum / (double)a->nitems * 100.0) / 100.0;
}

cal_err cal_foodparse_analyze(const cal_fooddb *db, const char *text, cal_arena *arena, cal_food_analysis *out)
{
	memset(out, 0, sizeof *out);
	out->provider = "table";
	out->items = cal_arena_alloc(arena, CAL_FOOD_MAX_ITEMS * sizeof *out->items);
	out->normalized = "";
	if (db == NULL || text == NULL)
		return CAL_ERR_VALIDATION;
	size_t len = strnlen(text, CAL_FOOD_MAX_TEXT + 1);
	if (len > CAL_FOOD_MAX_TEXT)
		return CAL_ERR_VALIDATION;
	char *norm = cal_arena_alloc(arena, len + 1);
	cal_fooddb_fold(text, len, norm, len + 1);
	out->normalized = norm;

	lexer lx = { .p = text, .end = text + len };
	lx.fold = cal_arena_alloc(arena, 2 * len + 2);
	lx.toks = cal_arena_alloc(arena, (len + 1) * sizeof *lx.toks);
	lex(&lx);

	parser ps = { .db = db, .arena = arena, .toks = lx.toks, .ntoks = lx.ntoks, .out = out,
		      .cap_items = CAL_FOOD_MAX_ITEMS };
	read_all(&ps);
	out->confidence = confidence(out);
	return CAL_OK;
}

double cal_foodparse_round1(double v)
{
	if (!isfinite(v))
		return 0;
	double r = round(v * 10.0) / 10.0;
	return r == 0 ? 0 : r; /* no "-0" in replies */
}

/* A number with its text fixed at one decimal, so JSON shows 143.3 and not 143.30000000000001. */
static struct json_object *num1(double v)
{
	char buf[48];
	double r = cal_foodparse_round1(v);
	snprintf(buf, sizeof buf, "%.1f", r);
	return json_object_new_double_s(r, buf);
}

static void put_num(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, num1(v));
}

static struct json_object *nutrients_json(struct json_object *o, const cal_nutrients *n)
{
	put_num(o, "kcal", n->kcal);
	put_num(o, "protein_g", n->protein_g);
	put_num(o, "carbs_g", n->carbs_g);
	put_num(o, "fat_g", n->fat_g);
	put_num(o, "fiber_g", n->fiber_g);
	return o;
}

struct json_object *cal_foodparse_to_json(const cal_food_analysis *a, const char *source)
{
	struct json_object *root = json_object_new_object();
	struct json_object *items = json_object_new_array();
	json_object_object_add(root, "source", json_object_new_string(source ? source : "text"));
	json_object_object_add(root, "provider", json_object_new_string(a->provider ? a->provider : "table"));
	char conf[16];
	double c = round(a->confidence * 100.0) / 100.0;
	snprintf(conf, sizeof conf, "%.2f", c);
	json_object_object_add(root, "confidence", json_object_new_double_s(c, conf));
	for (size_t i = 0; i < a->nitems; i++) {
		const cal_food_item *it = &a->items[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(it->name ? it->name : ""));
		put_num(o, "quantity", it->quantity);
		json_object_object_add(o, "unit", json_object_new_string(it->unit ? it->unit : "serving"));
		put_num(o, "grams", it->grams);
		nutrients_json(o, &it->n);
		json_object_object_add(o, "matched", json_object_new_boolean(it->matched));
		json_object_array_add(items, o);
	}
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "total", nutrients_json(json_object_new_object(), &a->total));
	return root;
}
