/*
 * Text food analysis (SPEC §7.2): turns "2 huevos revueltos y una tostada con manteca" into items with
 * grams and nutrients from the loaded tables. Pure computation: no I/O, no globals, results in the arena.
 *
 * The text is first cut into tokens (folded words, numbers, hard separators such as , ; + & and new
 * lines). Then each run between hard separators is read left to right; at every word the longest alias
 * match is tried first, so a dish named by its parts ("café con leche", "mac and cheese", "empanada de
 * humita") stays one item, and only then do "y", "e", "con", "and", "with" split items. Before a food the
 * reader accepts a quantity (digits, decimals with '.' or ',', fractions, ½ ¼ ¾, number words), a size
 * word and a unit, optionally followed by "de"/"of"; after a food it accepts the same amount ("queso 50 g",
 * "una leche de 250 ml", "coffee 2 cups") and size words ("una pizza grande"), which then replace the
 * default portion. An article before a number is only an article ("a 16 oz steak"); a size word that
 * starts an alias is part of a name ("a big mac").
 *
 * What follows a matched food X:
 *  - "de Y" (Y a food, no quantity) is X's filling or flavour ("empanada de carne", "helado de chocolate"):
 *    Y is part of X's weight and is not counted again — unless Y alone weighs in more than X would
 *    ("sándwich de milanesa"), then both count. Fillings joined by "y" stay fillings ("de jamón y queso").
 *  - "con Y" / "with Y" is a new item, but a topping of bread, eggs or yogurt gets a topping's portion
 *    (palta on toast ≈ 30 g, see foodportion.c), and milk added to something made with milk ("licuado de
 *    frutilla con leche") is not counted twice.
 *
 * Matching folds plurals and diminutives per word (huevos → huevo, limones → limon, tostadita → tostada,
 * cafecito → cafe); a variant is only tried when the alias vocabulary contains it, which keeps the number
 * of hash lookups small. A word of 5+ letters the vocabulary lacks may be a typo: at the start of an item it
 * is read as the closest vocabulary word within edit distance 1 (2 for 8+ letters), never for shorter
 * words, and the item says what was assumed ("milaneza → milanesa").
 *
 * Words that match nothing: right after a food they are taken as its description ("pollo grillado");
 * elsewhere a run of them becomes an unmatched item only if it holds a content word — at least three
 * letters and not in the stop-word list below (articles, prepositions, meal names, "comí", "hoy", "mucho",
 * "amor" …), so "con mucho amor" or "hoy al mediodía comí" add nothing. A content word after a food that is
 * not a known cooking or style word means the item may be something else: it lowers the confidence.
 *
 * Confidence (SPEC §7.1) is what the reply relies on to ask instead of logging silently: per matched item
 * 1.0 with an explicit weight or volume, 0.95 with a count or a container, 0.85 for the default portion of
 * a countable food (an egg, a slice, a can) and 0.45 for the default portion of food eaten in amounts that
 * vary widely (a plate of pasta, a steak, a salad); at most 0.6 when the grams rest on a guessed density
 * and at most 0.45 after a typo, unknown words in the item or a vague amount ("un poco de"). The meal's
 * confidence is the kcal-weighted mean over matched items; at most 0.45 when a chain is named but the main
 * food read is a generic one, or when a dish at its default plate carries most of a meal that names other
 * foods too; at most 0.40 when some item could not be matched; 0 when nothing matched.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caloria/foodparse.h"
#include "caloria/foodportion.h"

#define MAX_TOKENS 1024
#define MAX_VARIANTS 4
#define MAX_CANDIDATE 256
#define MAX_COMBOS 64
#define MAX_ITEM_GRAMS 5000.0
#define MAX_QTY 1000.0
#define UNMATCHED_NAME_MAX 80
#define MAX_CONTENT_WORD 31   /* longer "words" are noise, not food */
#define FILLING_MAX_RATIO 1.5 /* "X de Y": Y is X's filling unless Y's portion has 1.5× X's kcal */
#define CONF_GUESS 0.45       /* below the 0.5 threshold: the reply asks */
#define CONF_WIDE 0.6         /* default portion of a food eaten in widely varying amounts */
#define PLURAL_COUNT 2        /* "tacos" without a number: two */
#define SMALL_UNIT_G 40.0     /* below this one unit is a berry or a cookie: a plural is a cup of them */

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
	bool typo;            /* var[0] is the vocabulary word nearest to a word the vocabulary lacks */
	const char *var[MAX_VARIANTS];
	size_t varlen[MAX_VARIANTS];
} tok;

typedef struct word_unit {
	const char *w;
	cal_unit u;
	bool bare; /* may stand without a number when followed by de/of ("taza de café") */
} word_unit;

static const word_unit units[] = {
	{ "g", CAL_U_G, false }, { "gr", CAL_U_G, false }, { "grs", CAL_U_G, false }, { "gm", CAL_U_G, false },
	{ "gramo", CAL_U_G, false }, { "gramos", CAL_U_G, false }, { "gram", CAL_U_G, false },
	{ "grams", CAL_U_G, false }, { "grammes", CAL_U_G, false }, { "grm", CAL_U_G, false },
	{ "kg", CAL_U_KG, false }, { "kgs", CAL_U_KG, false }, { "kilo", CAL_U_KG, true },
	{ "kilos", CAL_U_KG, false }, { "kilogramo", CAL_U_KG, false }, { "kilogramos", CAL_U_KG, false },
	{ "kilogram", CAL_U_KG, false }, { "kilograms", CAL_U_KG, false }, { "oz", CAL_U_OZ, false },
	{ "onza", CAL_U_OZ, false }, { "onzas", CAL_U_OZ, false }, { "ounce", CAL_U_OZ, false },
	{ "ounces", CAL_U_OZ, false }, { "lb", CAL_U_LB, false }, { "lbs", CAL_U_LB, false },
	{ "libra", CAL_U_LB, false }, { "libras", CAL_U_LB, false }, { "pound", CAL_U_LB, false },
	{ "pounds", CAL_U_LB, false }, { "ml", CAL_U_ML, false }, { "cc", CAL_U_ML, false },
	{ "mililitro", CAL_U_ML, false }, { "mililitros", CAL_U_ML, false }, { "milliliter", CAL_U_ML, false },
	{ "milliliters", CAL_U_ML, false }, { "millilitre", CAL_U_ML, false }, { "millilitres", CAL_U_ML, false },
	{ "cl", CAL_U_ML, false }, { "l", CAL_U_L, false }, { "lt", CAL_U_L, false }, { "lts", CAL_U_L, false },
	{ "litro", CAL_U_L, true }, { "litros", CAL_U_L, false }, { "liter", CAL_U_L, true },
	{ "liters", CAL_U_L, false }, { "litre", CAL_U_L, true }, { "litres", CAL_U_L, false },
	{ "taza", CAL_U_CUP, true }, { "tazas", CAL_U_CUP, false }, { "tazon", CAL_U_CUP, true },
	{ "tazones", CAL_U_CUP, false }, { "cup", CAL_U_CUP, true }, { "cups", CAL_U_CUP, false },
	{ "mug", CAL_U_CUP, true }, { "mugs", CAL_U_CUP, false }, { "cucharada", CAL_U_TBSP, true },
	{ "cucharadas", CAL_U_TBSP, false }, { "cda", CAL_U_TBSP, false }, { "cdas", CAL_U_TBSP, false },
	{ "tbsp", CAL_U_TBSP, false }, { "tbs", CAL_U_TBSP, false }, { "tablespoon", CAL_U_TBSP, true },
	{ "tablespoons", CAL_U_TBSP, false }, { "cucharadita", CAL_U_TSP, true },
	{ "cucharaditas", CAL_U_TSP, false }, { "cdita", CAL_U_TSP, false }, { "cditas", CAL_U_TSP, false },
	{ "tsp", CAL_U_TSP, false }, { "teaspoon", CAL_U_TSP, true }, { "teaspoons", CAL_U_TSP, false },
	{ "rebanada", CAL_U_SLICE, true }, { "rebanadas", CAL_U_SLICE, false }, { "feta", CAL_U_SLICE, true },
	{ "fetas", CAL_U_SLICE, false }, { "tajada", CAL_U_SLICE, true }, { "tajadas", CAL_U_SLICE, false },
	{ "rodaja", CAL_U_SLICE, true }, { "rodajas", CAL_U_SLICE, false }, { "slice", CAL_U_SLICE, true },
	{ "slices", CAL_U_SLICE, false }, { "loncha", CAL_U_SLICE, true }, { "lonchas", CAL_U_SLICE, false },
	{ "porcion", CAL_U_SERVING, true }, { "porciones", CAL_U_SERVING, false },
	{ "racion", CAL_U_SERVING, true }, { "raciones", CAL_U_SERVING, false },
	{ "serving", CAL_U_SERVING, true }, { "servings", CAL_U_SERVING, false },
	{ "portion", CAL_U_SERVING, true }, { "portions", CAL_U_SERVING, false },
	{ "copa", CAL_U_SERVING, true }, { "copas", CAL_U_SERVING, false }, { "plato", CAL_U_PLATE, true },
	{ "platos", CAL_U_PLATE, false }, { "plate", CAL_U_PLATE, true }, { "plates", CAL_U_PLATE, false },
	{ "platito", CAL_U_PLATE, true }, { "bowl", CAL_U_BOWL, true }, { "bowls", CAL_U_BOWL, false },
	{ "cuenco", CAL_U_BOWL, true }, { "bol", CAL_U_BOWL, true }, { "vaso", CAL_U_GLASS, true },
	{ "vasos", CAL_U_GLASS, false }, { "glass", CAL_U_GLASS, true }, { "glasses", CAL_U_GLASS, false },
	{ "lata", CAL_U_CAN, true }, { "latas", CAL_U_CAN, false }, { "can", CAL_U_CAN, false },
	{ "cans", CAL_U_CAN, false }, { "botella", CAL_U_BOTTLE, true }, { "botellas", CAL_U_BOTTLE, false },
	{ "bottle", CAL_U_BOTTLE, true }, { "bottles", CAL_U_BOTTLE, false }, { "botellita", CAL_U_BOTTLE, true },
	{ "unidad", CAL_U_UNIT, true }, { "unidades", CAL_U_UNIT, false }, { "pieza", CAL_U_UNIT, true },
	{ "piezas", CAL_U_UNIT, false }, { "piece", CAL_U_UNIT, true }, { "pieces", CAL_U_UNIT, false },
	{ "punado", CAL_U_HANDFUL, true }, { "punados", CAL_U_HANDFUL, false }, { "handful", CAL_U_HANDFUL, true },
	{ "handfuls", CAL_U_HANDFUL, false }, { "cana", CAL_U_CANA, true }, { "canas", CAL_U_CANA, false },
	{ "pinta", CAL_U_PINT, true }, { "pintas", CAL_U_PINT, false }, { "pint", CAL_U_PINT, true },
	{ "pints", CAL_U_PINT, false }, { "tercio", CAL_U_TERCIO, true }, { "tercios", CAL_U_TERCIO, false },
	{ "jarra", CAL_U_JARRA, true }, { "jarras", CAL_U_JARRA, false }, { "jarro", CAL_U_JARRA, true },
	{ "pitcher", CAL_U_JARRA, true }, { "shot", CAL_U_SHOT, true }, { "shots", CAL_U_SHOT, false },
	{ "chupito", CAL_U_SHOT, true }, { "chupitos", CAL_U_SHOT, false }, { "jigger", CAL_U_SHOT, true },
	{ "medida", CAL_U_SHOT, true }, { "strip", CAL_U_SLICE, true }, { "strips", CAL_U_SLICE, false },
	{ "tira", CAL_U_SLICE, true }, { "tiras", CAL_U_SLICE, false }, { "bag", CAL_U_PACKAGE, true },
	{ "bags", CAL_U_PACKAGE, false }, { "bolsa", CAL_U_PACKAGE, true }, { "bolsas", CAL_U_PACKAGE, false },
	{ "bolsita", CAL_U_PACKAGE, true }, { "paquete", CAL_U_PACKAGE, true }, { "paquetes", CAL_U_PACKAGE, false },
	{ "paquetito", CAL_U_PACKAGE, true }, { "package", CAL_U_PACKAGE, true }, { "packet", CAL_U_PACKAGE, true },
	{ "pack", CAL_U_PACKAGE, true }, { "packs", CAL_U_PACKAGE, false },
	{ "sobre", CAL_U_PACKAGE, true }, { "sobres", CAL_U_PACKAGE, false }, { "scoop", CAL_U_SCOOP, true },
	{ "scoops", CAL_U_SCOOP, false }, { "bocha", CAL_U_SCOOP, true }, { "bochas", CAL_U_SCOOP, false },
	{ "bola", CAL_U_SCOOP, true }, { "bolas", CAL_U_SCOOP, false }, { "orden", CAL_U_SERVING, true },
	{ "ordenes", CAL_U_SERVING, false }, { "order", CAL_U_SERVING, true }, { "orders", CAL_U_SERVING, false },
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
	{ "dozen", 12 }, { "cuarto", 0.25 }, { "quarter", 0.25 },
};

/* Number words that are articles: "una leche" is the default portion, not an explicit count. */
static const char *const articles[] = { "un", "una", "a", "an" };

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
	{ { "a", "half", NULL, NULL }, 0.5 }, { { "un", "cuarto", NULL, NULL }, 0.25 },
	{ { "a", "quarter", NULL, NULL }, 0.25 },
};

static const char *const connectors[] = { "y", "e", "con", "and", "with", "n", "plus", "mas" };

/* "sin azúcar", "no mayo", "without cheese": the food after them is left out. */
static const char *const negations[] = { "sin", "no", "without", "minus", "hold" };

typedef struct size_word {
	const char *w;
	cal_size s;
} size_word;

static const size_word sizes[] = {
	{ "small", CAL_SIZE_SMALL }, { "chico", CAL_SIZE_SMALL }, { "chica", CAL_SIZE_SMALL },
	{ "chicos", CAL_SIZE_SMALL }, { "chicas", CAL_SIZE_SMALL }, { "pequeno", CAL_SIZE_SMALL },
	{ "pequena", CAL_SIZE_SMALL }, { "pequenos", CAL_SIZE_SMALL }, { "pequenas", CAL_SIZE_SMALL },
	{ "mini", CAL_SIZE_SMALL }, { "little", CAL_SIZE_SMALL }, { "medium", CAL_SIZE_MEDIUM },
	{ "mediano", CAL_SIZE_MEDIUM }, { "mediana", CAL_SIZE_MEDIUM }, { "medianos", CAL_SIZE_MEDIUM },
	{ "medianas", CAL_SIZE_MEDIUM }, { "regular", CAL_SIZE_MEDIUM }, { "large", CAL_SIZE_LARGE },
	{ "big", CAL_SIZE_LARGE }, { "grande", CAL_SIZE_LARGE }, { "grandes", CAL_SIZE_LARGE },
	{ "xl", CAL_SIZE_LARGE }, { "jumbo", CAL_SIZE_LARGE }, { "enorme", CAL_SIZE_LARGE },
	{ "huge", CAL_SIZE_LARGE },
};

/* Read between a quantity/unit and the food, and ignored. */
static const char *const fillers[] = {
	"de", "del", "of", "generoso", "generosa", "generosos", "generosas", "abundante", "abundantes", "buen",
	"buena", "llena", "lleno", "full", "extra", "the", "some", "la", "el", "los", "las", "a", "an",
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
	"pero", "picada", "picoteo", "plus", "poca", "poca", "poco", "por", "porque", "postre", "que", "quiero",
	"registrar", "rica", "rico", "riquisima", "riquisimo", "sin", "snack", "solo", "some", "supper",
	"tambien", "tarde", "that", "the", "then", "this", "tipo", "today", "todo", "tomamos", "tomar",
	"tome", "tomo", "tonight", "unas", "unos", "vamos", "veces", "very", "vez", "voy", "was", "with",
	"yesterday", "cenando", "almorzando", "desayunando", "around", "approx", "aprox", "aproximadamente",
	"como", "unos", "on", "side", "top", "plate", "sobre", "encima", "arriba", "lado", "acompanado",
	"acompanada", "acompanamiento", "guarnicion", "served", "topped", "tiny", "los", "mine", "lunchtime",
	"cafeteria", "restaurant", "restaurante", "bar", "casa", "home", "trabajo", "work", "oficina",
	"from",
};

/* Words that say the amount differs from a usual portion without saying by how much. */
static const char *const vague[] = {
	"poco", "poca", "pocos", "pocas", "mucho", "mucha", "muchos", "muchas", "bastante", "algo",
	"little", "bit", "some", "lots", "lot", "plenty", "bunch", "abundante", "monton",
};

/* Chain names said around a dish ("a wendy's jr cheeseburger", "papas del mc"): not foods themselves, but
 * when the food read is a generic one (home-made fries, plain chicken) the chain's item may differ. */
static const char *const chains[] = {
	"wendys", "mcdonalds", "mcdonald", "mcd", "mc", "starbucks", "subway", "bk", "chipotle", "kfc",
	"popeyes", "arbys", "sonic", "dunkin", "tim", "hortons",
};

/* Cooking and style words that describe a food without changing what it is ("pollo al horno"). */
static const char *const descriptors[] = {
	"asado", "asada", "asados", "asadas", "frito", "frita", "fritos", "fritas", "hervido", "hervida",
	"cocido", "cocida", "cocidos", "cocidas", "grillado", "grillada", "plancha", "horno", "hecho", "hecha",
	"natural", "naturales", "fresco", "fresca", "frescos", "frescas", "rallado", "rallada", "picado",
	"picada", "entero", "entera", "tostado", "tostada", "dorado", "dorada", "relleno", "rellena",
	"caliente", "frio", "fria", "tibio", "tibia", "salteado", "salteada", "vapor", "parrilla", "sarten",
	"microondas", "casera", "casero", "caseros", "caseras", "baked", "grilled", "fried", "boiled", "roasted",
	"steamed", "sauteed", "fresh", "homemade", "plain", "hot", "cold", "warm", "cooked", "raw", "crudo",
	"cruda", "crudos", "crudas", "mixto", "mixta", "simple", "doble", "double", "triple", "sola", "solo",
	"azucar", "sugar", "sal", "salt", "pimienta", "pepper", "limon", "lemon", "hielo", "ice", "organico",
	"organica", "organic", "light", "diet", "zero", "integral", "integrales", "whole", "wheat", "regular",
	"clasico", "clasica", "classic", "original", "estilo", "style", "grill", "bbq", "barbacoa", "lado",
	"dulce", "salado", "salada", "negro", "negra", "blanco", "blanca", "tinto", "rojo", "roja", "verde",
	"verdes", "amarillo", "amarilla", "chiquito", "chiquita", "grandecito", "calentito", "tostadito",
	"cortado", "cortada", "trozos", "pedazos", "pedazo", "cubos", "rodajas", "tiras", "strips", "pieces",
	"chunks", "sliced", "diced", "chopped", "mashed", "scrambled", "poached", "medium", "rare", "well",
	"done", "punto", "jugoso", "jugosa", "cocinado", "cocinada", "vuelta", "vuelta", "preparado",
	"preparada", "instant", "instantaneo", "instantanea", "descremado", "descremada", "entera",
	"skim", "lowfat", "nonfat", "sweetened", "unsweetened", "endulzado", "endulzada", "edulcorante",
	"stevia", "sacarina", "splenda", "ketchup", "mostaza", "mustard", "mayo", "fillet", "filet", "filete",
	"instant", "instantaneo", "breast", "pechuga", "loaded", "supreme", "deluxe", "especial",
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
	if (word_in(t, stopwords, NELEM(stopwords)) || word_in(t, descriptors, NELEM(descriptors)) ||
	    word_in(t, chains, NELEM(chains)) || word_in(t, vague, NELEM(vague)))
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
		if (cal_fooddb_inner_apostrophe(cp, lx->fold + lx->foldlen - t->w, q, lx->end)) {
			p = q; /* "domino's" is "dominos", as the tables fold it */
			continue;
		}
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

/* What the reader knows about one item beyond cal_food_item: enough to compute its grams at the end. */
enum {
	X_TYPO = 1u << 0,      /* a word was read as the vocabulary word nearest to it */
	X_EXTRA = 1u << 1,     /* unknown content words followed the food */
	X_FILLING = 1u << 2,   /* "X de Y" read as X with Y inside */
	X_TOPPING = 1u << 3,   /* portion of a topping ("tostada con palta") */
	X_ARTICLE = 1u << 4,   /* the quantity was only an article ("una leche") */
	X_PLURAL = 1u << 5,    /* named in the plural without a number ("tacos", "frutillas") */
	X_SIDE = 1u << 6,      /* a condiment added with "con"/"with" to a dish, its amount unsaid */
	X_VAGUE = 1u << 7      /* "un poco de arroz", "lots of pasta": an amount said, but not how much */
};

typedef struct pending {
	bool has_qty;
	double qty;
	cal_unit unit;
	cal_size size;
	bool article;
	size_t start; /* first token of the quantity */
} pending;

typedef struct itemx {
	const cal_food_alias *a; /* NULL: unmatched */
	pending pq;
	unsigned flags;
	const char *assumed;     /* what the reader assumed, for the reply ("milaneza → milanesa") */
	double topping_g;        /* X_TOPPING: grams of the topping */
	size_t carrier;          /* the item this one went on with "con"/"with": 1 + its index, 0 when none */
	double conf;             /* this item's confidence, once its grams are known */
} itemx;

typedef struct parser {
	const cal_fooddb *db;
	cal_arena *arena;
	tok *toks;
	size_t ntoks;
	cal_food_analysis *out;
	size_t cap_items;
	itemx *xs;               /* parallel to out->items */
	bool dangling;           /* a quantity found no food ("… for two, I ate half"): the meal is a guess */
} parser;

static bool typo_candidate(const tok *t)
{
	if (t->kind != T_WORD || t->wlen < 5 || !is_content(t) || word_in(t, descriptors, NELEM(descriptors)))
		return false;
	for (size_t k = 0; k < NELEM(units); k++) {
		if (word_is(t, units[k].w))
			return false;
	}
	for (size_t k = 0; k < NELEM(sizes); k++) {
		if (word_is(t, sizes[k].w))
			return false;
	}
	return true;
}

static size_t var_count(parser *ps, size_t i)
{
	tok *t = &ps->toks[i];
	if (t->var_done)
		return t->nvar;
	word_variants(ps->db, t, ps->arena);
	if (t->nvar == 0 && typo_candidate(t)) {
		const char *near;
		size_t nlen;
		int maxd = t->wlen >= 8 ? 2 : 1;
		if (cal_fooddb_near_word(ps->db, t->w, t->wlen, maxd, &near, &nlen) > 0) {
			t->var[0] = near;
			t->varlen[0] = nlen;
			t->nvar = 1;
			t->typo = true;
		}
	}
	return t->nvar;
}

/*
 * Longest alias starting at token i (never crossing end); returns its word count, 0 when none. Typo
 * readings are only used when allow_typo; *typo receives the index of a typo word used (or SIZE_MAX).
 */
static size_t match_at(parser *ps, size_t i, size_t end, bool allow_typo, const cal_food_alias **found,
		       size_t *typo, bool *plural)
{
	size_t maxw = cal_fooddb_max_alias_words(ps->db);
	size_t avail = 0;
	*typo = SIZE_MAX;
	*plural = false;
	while (i + avail < end && avail < maxw && ps->toks[i + avail].kind == T_WORD && var_count(ps, i + avail) > 0 &&
	       (allow_typo || !ps->toks[i + avail].typo))
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
			bool fits = true, pl = false, pl_first = false, pl_last = false, linked = false;
			for (size_t k = 0; k < len && fits; k++) {
				tok *t = &ps->toks[i + k];
				size_t vi = rest % t->nvar;
				rest /= t->nvar;
				/* a singular read of a word ending in s: "tacos" → "taco" */
				/* a shorter form without the final s: "tacos", and "galletitas" (→ galleta) too */
				pl = !t->typo && t->varlen[vi] < t->wlen && t->w[t->wlen - 1] == 's' &&
				     t->var[vi][t->varlen[vi] - 1] != 's';
				pl_first = k == 0 ? pl : pl_first;
				pl_last = pl;
				linked = linked || word_is(t, "de") || word_is(t, "con") || word_is(t, "of") ||
					 word_is(t, "and") || word_is(t, "y") || word_is(t, "with");
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
				/* the head noun decides: "tacos de pollo", "beef tacos", not "burrito de frijoles" */
				*plural = pl_first || (pl_last && !linked);
				for (size_t k = 0; k < len; k++) {
					if (ps->toks[i + k].typo)
						*typo = i + k;
				}
				return len;
			}
		}
	}
	return 0;
}

static size_t match_plain(parser *ps, size_t i, size_t end, const cal_food_alias **found)
{
	size_t typo;
	bool plural;
	return match_at(ps, i, end, false, found, &typo, &plural);
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
	/* "x2", "x 2" are counts written after a food */
	if (t->kind == T_WORD && t->wlen >= 2 && t->wlen <= 3 && t->w[0] == 'x') {
		double n = 0;
		for (size_t k = 1; k < t->wlen; k++) {
			if (t->w[k] < '0' || t->w[k] > '9')
				return false;
			n = n * 10 + (t->w[k] - '0');
		}
		*v = n;
		return n > 0;
	}
	return false;
}

/* A quantity at token i; returns tokens consumed (0 = none). *article: it was only "un"/"a". */
static size_t parse_qty(parser *ps, size_t i, size_t end, double *qty, bool *article)
{
	tok *t = ps->toks;
	*article = false;
	/* "a 16 oz steak", "una 500 ml": the article stands before the real number */
	if (word_in(&t[i], articles, NELEM(articles)) && i + 1 < end && t[i + 1].kind == T_NUM) {
		size_t n = parse_qty(ps, i + 1, end, qty, article);
		return n > 0 ? n + 1 : 0;
	}
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
		*article = word_in(&t[i], articles, NELEM(articles));
		if (v == 0.5 && i + 1 < end && (word_is(&t[i + 1], "docena") || word_is(&t[i + 1], "dozen"))) {
			*qty = 6;
			*article = false;
			return 2;
		}
	} else if (word_is(&t[i], "x") && i + 1 < end && t[i + 1].kind == T_NUM) {
		*qty = t[i + 1].num;
		return 2;
	} else {
		return 0;
	}
	/* "2 y medio", "one and a half" */
	if (i + used + 1 < end && (word_is(&t[i + used], "y") || word_is(&t[i + used], "and"))) {
		size_t j = i + used + 1;
		if (word_is(&t[j], "medio") || word_is(&t[j], "media")) {
			v += 0.5;
			used += 2;
			*article = false;
		} else if (j + 1 < end && word_is(&t[j], "a") && word_is(&t[j + 1], "half")) {
			v += 0.5;
			used += 3;
			*article = false;
		}
	}
	*qty = v;
	return used;
}

static size_t parse_unit(parser *ps, size_t i, size_t end, bool need_bare, cal_unit *u)
{
	tok *t = &ps->toks[i];
	if (i >= end || t->kind != T_WORD)
		return 0;
	/* "fl oz" */
	if (word_is(t, "fl") && i + 1 < end && word_is(&ps->toks[i + 1], "oz")) {
		*u = CAL_U_FLOZ;
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

static bool size_at(const tok *t, cal_size *s)
{
	for (size_t k = 0; k < NELEM(sizes); k++) {
		if (word_is(t, sizes[k].w)) {
			*s = sizes[k].s;
			return true;
		}
	}
	return false;
}

/*
 * Skips fillers and size words between a quantity/unit and the food ("2 tazas grandes de …", "12 oz can
 * of"), noting the size; stops at a word that starts an alias ("a big mac": "big" is part of the name).
 */
static size_t skip_fillers(parser *ps, size_t i, size_t end, pending *pq)
{
	while (i < end) {
		tok *t = &ps->toks[i];
		cal_size s;
		cal_unit u;
		const cal_food_alias *a;
		bool size = size_at(t, &s);
		bool container = pq->unit != CAL_U_NONE && parse_unit(ps, i, end, false, &u) > 0 &&
				 (u == CAL_U_CAN || u == CAL_U_BOTTLE || u == CAL_U_GLASS || u == CAL_U_CUP);
		if (!size && !container && !word_in(t, fillers, NELEM(fillers)))
			break;
		if ((size || word_in(t, fillers, NELEM(fillers))) && match_plain(ps, i, end, &a) > 1)
			break;
		if (size)
			pq->size = s;
		i++;
	}
	return i;
}

/* ---- items ------------------------------------------------------------------------------------------ */

static size_t new_item(parser *ps)
{
	if (ps->out->nitems >= ps->cap_items)
		return SIZE_MAX;
	size_t k = ps->out->nitems++;
	memset(&ps->out->items[k], 0, sizeof ps->out->items[k]);
	memset(&ps->xs[k], 0, sizeof ps->xs[k]);
	return k;
}

static size_t add_matched(parser *ps, const cal_food_alias *a, const pending *pq)
{
	size_t k = new_item(ps);
	if (k == SIZE_MAX)
		return k;
	ps->xs[k].a = a;
	ps->xs[k].pq = *pq;
	if (pq->article)
		ps->xs[k].flags |= X_ARTICLE;
	return k;
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
	size_t k = new_item(ps);
	if (k == SIZE_MAX)
		return;
	cal_food_item *it = &ps->out->items[k];
	const tok *a = &ps->toks[from], *b = &ps->toks[to - 1];
	it->name = clean_name(ps, a->raw, (size_t)(b->raw + b->rawlen - a->raw));
	it->quantity = pq->has_qty ? pq->qty : 1;
	it->unit = cal_portion_unit_name(pq->unit == CAL_U_NONE && !pq->has_qty ? CAL_U_SERVING : pq->unit);
	it->explicit_qty = pq->has_qty && !pq->article;
	it->matched = false;
	ps->xs[k].pq = *pq;
}

/* "milaneza → milanesa": the word as typed and as read. */
static void note_typo(parser *ps, size_t k, size_t ti)
{
	const tok *t = &ps->toks[ti];
	ps->xs[k].flags |= X_TYPO;
	ps->xs[k].assumed = cal_arena_printf(ps->arena, "%.*s → %.*s", (int)t->wlen, t->w, (int)t->varlen[0], t->var[0]);
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

typedef enum joiner { J_NONE, J_AND, J_WITH } joiner;

/* State of one segment (text between hard separators). */
typedef struct seg {
	pending pq;
	run r;
	bool after_food;   /* the previous words were a food (its description may follow) */
	size_t last;       /* last matched item of the segment, SIZE_MAX when none */
	size_t last_end;   /* token after the last matched food */
	size_t carry;      /* last item of the previous segment ("pizza, 2 porciones"), SIZE_MAX when none */
	joiner join;       /* connector between the last food and here */
	bool filling;      /* the last item took "de Y" as its filling */
} seg;

static double portion_kcal(const cal_food_alias *a)
{
	return a->food->per100.kcal * a->portion_g / 100.0;
}

/* Classes that fill a dish ("de jamón y queso", "de carne y verdura"). */
static bool filling_class(const cal_food_alias *a)
{
	cal_food_class c = cal_portion_class(a->food);
	return c == CAL_CLS_CHEESE || c == CAL_CLS_COLDCUT || c == CAL_CLS_VEG || c == CAL_CLS_MEAT ||
	       c == CAL_CLS_FRUIT || c == CAL_CLS_EGG;
}

static bool is_milk(const cal_food_alias *a)
{
	return strncmp(a->food->description, "Milk", 4) == 0;
}

/* Sauces, spreads, cheese, cream: what "con"/"with" adds on top of a dish in amounts nobody states. */
static bool condiment(const cal_food_alias *a)
{
	cal_food_class c = cal_portion_class(a->food);
	return c == CAL_CLS_FAT || c == CAL_CLS_SWEET_SPREAD || c == CAL_CLS_CHEESE ||
	       strncmp(a->food->description, "Sauce", 5) == 0 || strncmp(a->food->description, "Salad dressing", 14) == 0 ||
	       strncmp(a->food->description, "Syrup", 5) == 0;
}

static bool one_word(const cal_food_alias *a)
{
	return strchr(a->name, ' ') == NULL;
}

/*
 * Y right after food X: "X de Y" (a filling), "X y Z" after a filling, "X con leche" when X has milk.
 * Returns true when Y is part of X and adds no item.
 */
static bool absorbed(parser *ps, seg *s, size_t i, const cal_food_alias *y)
{
	if (s->last == SIZE_MAX || s->pq.has_qty || s->pq.unit != CAL_U_NONE)
		return false;
	itemx *x = &ps->xs[s->last];
	const tok *prev = i > 0 ? &ps->toks[i - 1] : NULL;
	if (s->after_food && prev != NULL && (word_is(prev, "de") || word_is(prev, "del")) &&
	    portion_kcal(y) <= FILLING_MAX_RATIO * portion_kcal(x->a)) {
		x->flags |= X_FILLING;
		s->filling = true;
		return true;
	}
	if (s->join == J_AND && s->filling && filling_class(y))
		return true;
	if (s->join == J_WITH && is_milk(y) && (x->a->food->flags & CAL_FOOD_HAS_MILK))
		return true;
	return false;
}

/*
 * Y directly after X with nothing between: a generic word named more precisely ("galletitas oreo",
 * "queso cheddar" when not one alias) is the precise food, keeping X's quantity; a spread before its bread
 * ("peanut butter toast") is a topping. Returns true when Y replaced X.
 */
static bool adjacent(parser *ps, seg *s, size_t i, const cal_food_alias *y)
{
	if (s->last == SIZE_MAX || !s->after_food || s->last_end != i || s->join != J_NONE || s->pq.has_qty ||
	    s->pq.unit != CAL_U_NONE)
		return false;
	itemx *x = &ps->xs[s->last];
	if (!(x->flags & X_TOPPING) && cal_portion_class(x->a->food) == cal_portion_class(y->food)) {
		if (one_word(x->a))
			x->a = y; /* "galletitas oreo": the oreo */
		else if (!one_word(y))
			return false;
		return true; /* "domino's pepperoni pizza": the pizza is the domino's */
	}
	double g = x->pq.has_qty ? 0 : cal_portion_topping(y, x->a);
	if (g > 0) {
		x->flags |= X_TOPPING;
		x->topping_g = g;
	}
	return false;
}

/* "un poco de", "a little bit of", "mucho": a vague amount in the few words before the food at i. */
static bool vague_before(const parser *ps, const seg *s, size_t i)
{
	size_t lo = s->last != SIZE_MAX && s->last_end < i ? s->last_end : 0;
	for (size_t j = i; j > lo && j + 4 > i; j--) {
		const tok *t = &ps->toks[j - 1];
		if (t->kind == T_SEP)
			break;
		if (t->kind == T_WORD && word_in(t, vague, NELEM(vague)))
			return true;
	}
	return false;
}

static void on_food(parser *ps, seg *s, size_t i, size_t m, const cal_food_alias *a, size_t typo, bool plural)
{
	flush_run(ps, &s->r);
	if (absorbed(ps, s, i, a) || adjacent(ps, s, i, a)) {
		s->after_food = true;
		s->last_end = i + m;
		return;
	}
	size_t carrier = SIZE_MAX;
	if (!s->pq.has_qty && s->pq.unit == CAL_U_NONE && s->last != SIZE_MAX) {
		/* "con palta": on the food before; "con frutillas y granola": the granola goes on the yogurt too */
		if (s->join == J_WITH)
			carrier = s->last;
		else if (s->join == J_AND && ps->xs[s->last].carrier > 0)
			carrier = ps->xs[s->last].carrier - 1;
	}
	size_t k = add_matched(ps, a, &s->pq);
	if (k != SIZE_MAX && vague_before(ps, s, i))
		ps->xs[k].flags |= X_VAGUE;
	if (k != SIZE_MAX) {
		if (typo != SIZE_MAX)
			note_typo(ps, k, typo);
		if (plural && !s->pq.has_qty && s->pq.unit == CAL_U_NONE)
			ps->xs[k].flags |= X_PLURAL;
		double g = carrier != SIZE_MAX ? cal_portion_topping(ps->xs[carrier].a, a) : 0;
		if (g > 0) {
			ps->xs[k].flags |= X_TOPPING;
			ps->xs[k].topping_g = g;
		} else if (carrier != SIZE_MAX && condiment(a)) {
			ps->xs[k].flags |= X_SIDE;
		}
		ps->xs[k].carrier = carrier != SIZE_MAX ? carrier + 1 : 0;
		s->last = k;
	}
	s->pq = (pending){ 0 };
	s->after_food = true;
	s->last_end = i + m;
	s->filling = false;
	s->join = J_NONE;
	s->carry = SIZE_MAX;
}

/* Words that may trail an amount without starting anything ("lomo 220 g a la plancha"). */
static bool trailing_word(parser *ps, size_t i, size_t end)
{
	const cal_food_alias *a;
	tok *t = &ps->toks[i];
	if (t->kind != T_WORD || match_plain(ps, i, end, &a) > 0)
		return false;
	return word_in(t, fillers, NELEM(fillers)) || word_in(t, descriptors, NELEM(descriptors)) ||
	       word_in(t, stopwords, NELEM(stopwords)) || word_is(t, "a");
}

/* True when token i ends an item: the segment's end or a connector that starts no alias, perhaps after a
 * few description words. */
static bool item_ends(parser *ps, size_t i, size_t end)
{
	const cal_food_alias *a;
	while (i < end && !word_in(&ps->toks[i], connectors, NELEM(connectors)) && trailing_word(ps, i, end))
		i++;
	if (i >= end)
		return true;
	return word_in(&ps->toks[i], connectors, NELEM(connectors)) && match_plain(ps, i, end, &a) == 0;
}

/*
 * An amount after the food ("queso 50 g", "coffee 2 cups", "una leche de 250 ml", "huevos x2", "pizza, 2
 * porciones"): applies to the segment's last item (or, before any food, the previous segment's) when that
 * item had no quantity of its own (an article does not count).
 */
static bool amount_after(parser *ps, seg *s, const pending *pq, size_t next, size_t end)
{
	size_t target = s->last != SIZE_MAX ? s->last : (s->r.open ? SIZE_MAX : s->carry);
	if (target == SIZE_MAX || s->join != J_NONE || !item_ends(ps, next, end))
		return false;
	itemx *x = &ps->xs[target];
	if (x->pq.has_qty && !x->pq.article)
		return false;
	const tok *q = &ps->toks[pq->start];
	if (pq->unit == CAL_U_NONE && q->kind != T_NUM && !(q->kind == T_WORD && q->w[0] == 'x'))
		return false; /* "pollo uno" is no amount; "pollo 2" and "pollo x2" are */
	cal_size keep = x->pq.size;
	x->pq = *pq;
	if (x->pq.size == CAL_SIZE_NONE)
		x->pq.size = keep;
	x->flags &= ~(X_ARTICLE | X_PLURAL);
	return true;
}

/* A quantity at i; returns the next token index, or i when there is none. */
static size_t read_amount(parser *ps, seg *s, size_t i, size_t end)
{
	double qty;
	bool article;
	cal_unit u;
	const cal_food_alias *a;
	bool free_slot = !s->pq.has_qty && s->pq.unit == CAL_U_NONE;
	if (free_slot && word_in(&ps->toks[i], articles, NELEM(articles)) && i + 1 < end &&
	    match_plain(ps, i + 1, end, &a) > 1) {
		/* "un cuarto de libra", "a half chicken": the article, then a name that starts like an amount */
		s->pq = (pending){ .has_qty = true, .qty = 1, .article = true, .start = i, .size = s->pq.size };
		s->after_food = false;
		return i + 1;
	}
	size_t q = free_slot ? parse_qty(ps, i, end, &qty, &article) : 0;
	if (q > 0 && article && s->after_food && q == 1) {
		/* "merluza a la plancha": after a food an article starts no new one unless a food follows */
		size_t j = i + 1;
		while (j < end && (word_in(&ps->toks[j], fillers, NELEM(fillers)) || size_at(&ps->toks[j], &(cal_size){ 0 })))
			j++;
		if (j >= end || (match_plain(ps, j, end, &a) == 0 && parse_unit(ps, j, end, false, &u) == 0))
			return i;
	}
	if (q > 0) {
		pending pq = { .has_qty = true, .qty = qty, .unit = CAL_U_NONE, .article = article, .start = i,
			       .size = s->pq.size };
		size_t j = i + q;
		cal_size sz;
		while (j < end && size_at(&ps->toks[j], &sz) && parse_unit(ps, j + 1, end, false, &u) > 0) {
			pq.size = sz; /* "a small bag of chips" */
			j++;
		}
		size_t ul = parse_unit(ps, j, end, false, &u);
		if (ul > 0 && !(item_ends(ps, j + ul, end) && match_plain(ps, j, end, &a) > 0)) {
			pq.unit = u; /* … but "una caña" alone is the drink the unit is named after */
			pq.article = false;
			j += ul;
		}
		j = skip_fillers(ps, j, end, &pq);
		if (amount_after(ps, s, &pq, j, end)) {
			s->after_food = true;
			return j;
		}
		flush_run(ps, &s->r);
		s->after_food = false;
		s->join = s->join == J_WITH ? J_WITH : J_NONE;
		s->pq = pq;
		return j;
	}
	size_t ul = free_slot ? parse_unit(ps, i, end, true, &u) : 0;
	if (ul > 0) {
		flush_run(ps, &s->r);
		s->after_food = false;
		s->pq = (pending){ .has_qty = true, .qty = 1, .unit = u, .start = i, .size = s->pq.size };
		return skip_fillers(ps, i + ul, end, &s->pq);
	}
	return i;
}

/* A word no rule took: part of an unknown run, or a description of the food before it. */
static void other_word(parser *ps, seg *s, size_t i)
{
	tok *t = &ps->toks[i];
	if (s->pq.has_qty) {
		/* A quantity with no known food after it opens an unknown run ("2 choclos"): the name is the
		 * food words, the quantity travels in r.pq. A number word there was likely no quantity at all
		 * ("voy a comer", "una vez"), so the run only opens if a content word follows. */
		if (ps->toks[s->pq.start].kind == T_NUM || is_content(t)) {
			s->r.open = true;
			s->r.start = i;
			s->r.pq = s->pq;
		}
		s->pq = (pending){ 0 };
		s->after_food = false;
	}
	if (!s->after_food && s->join != J_NONE && s->last != SIZE_MAX && !s->r.open &&
	    word_in(t, descriptors, NELEM(descriptors)))
		ps->xs[s->last].flags |= X_EXTRA; /* "milanesa con fritas": a food named by its cooking alone */
	if (!s->after_food || s->r.open) {
		run_add(&s->r, i, t);
		return;
	}
	if (s->last != SIZE_MAX && is_content(t) && !word_in(t, descriptors, NELEM(descriptors)) &&
	    (var_count(ps, i) == 0 || t->typo))
		ps->xs[s->last].flags |= X_EXTRA;
}

static bool read_connector(parser *ps, seg *s, size_t i, size_t end)
{
	const cal_food_alias *a;
	tok *t = &ps->toks[i];
	if (!word_in(t, connectors, NELEM(connectors)) || match_plain(ps, i, end, &a) > 0)
		return false;
	flush_run(ps, &s->r);
	s->pq = (pending){ 0 };
	s->after_food = false;
	s->join = (word_is(t, "con") || word_is(t, "with")) ? J_WITH : J_AND;
	return true;
}

/* "sin azúcar", "no mayo": returns the tokens to skip (the word and the food), 0 when not a negation. */
static size_t read_negation(parser *ps, size_t i, size_t end)
{
	const cal_food_alias *a;
	if (!word_in(&ps->toks[i], negations, NELEM(negations)) || i + 1 >= end)
		return 0;
	size_t j = i + 1;
	while (j < end && word_in(&ps->toks[j], fillers, NELEM(fillers)))
		j++;
	size_t m = j < end ? match_plain(ps, j, end, &a) : 0;
	return m > 0 ? j + m - i : 0;
}

static size_t read_segment(parser *ps, size_t i, size_t end, size_t carry)
{
	seg s = { .last = SIZE_MAX, .carry = carry, .last_end = SIZE_MAX };
	while (i < end) {
		tok *t = &ps->toks[i];
		const cal_food_alias *a = NULL;
		size_t typo, neg;
		bool plural;
		cal_size sz;
		if (read_connector(ps, &s, i, end)) {
			i++;
			continue;
		}
		if ((neg = read_negation(ps, i, end)) > 0) {
			i += neg;
			continue;
		}
		if (word_in(t, containers, NELEM(containers)) && i + 2 < end &&
		    (word_is(&t[1], "de") || word_is(&t[1], "of") || word_is(&t[1], "con") || word_is(&t[1], "with"))) {
			const cal_food_alias *whole = NULL;
			if (match_plain(ps, i, end, &whole) < 3 && match_plain(ps, i + 2, end, &a) > 0) {
				i += 2; /* "ensalada de lechuga": the salad is its parts */
				continue;
			}
		}
		if (size_at(t, &sz) && match_plain(ps, i, end, &a) < 2) {
			if (s.after_food && s.last != SIZE_MAX && ps->xs[s.last].pq.size == CAL_SIZE_NONE)
				ps->xs[s.last].pq.size = sz; /* "una pizza grande" */
			else
				s.pq.size = sz; /* "medium fries" */
			i++;
			continue;
		}
		size_t m = match_at(ps, i, end, !s.after_food, &a, &typo, &plural);
		if (m > 0) {
			on_food(ps, &s, i, m, a, typo, plural);
			i += m;
			continue;
		}
		size_t next = read_amount(ps, &s, i, end);
		if (next != i) {
			i = next;
			continue;
		}
		other_word(ps, &s, i);
		i++;
	}
	if (s.pq.has_qty && !s.pq.article && !s.r.open)
		ps->dangling = true;
	flush_run(ps, &s.r);
	return s.last != SIZE_MAX ? s.last : SIZE_MAX;
}

static void read_all(parser *ps)
{
	size_t start = 0, carry = SIZE_MAX;
	for (size_t i = 0; i <= ps->ntoks; i++) {
		if (i == ps->ntoks || ps->toks[i].kind == T_SEP) {
			if (i > start)
				carry = read_segment(ps, start, i, carry);
			start = i + 1;
		}
	}
}

/* ---- grams, nutrients, confidence ------------------------------------------------------------------- */

/* Ice cream is sold by weight where people say "un cuarto" or "medio" without a unit (Argentina). */
static cal_unit implied_unit(const itemx *x)
{
	if (x->pq.unit == CAL_U_NONE && x->pq.has_qty && !x->pq.article && x->pq.qty < 1 &&
	    cal_portion_class(x->a->food) == CAL_CLS_ICECREAM)
		return CAL_U_KG;
	return x->pq.unit;
}

static bool weighed_unit(cal_unit u)
{
	return u == CAL_U_G || u == CAL_U_KG || u == CAL_U_OZ || u == CAL_U_LB || u == CAL_U_ML || u == CAL_U_L ||
	       u == CAL_U_CUP || u == CAL_U_TBSP || u == CAL_U_TSP || u == CAL_U_FLOZ || u == CAL_U_CUARTO;
}

/* A food whose default portion is one countable thing (a taco, an empanada), not a serving of it. */
static bool counted(const cal_food_alias *a)
{
	static const char *const amounts[] = { "serving", "portion", "porci", "cup", "order", "bag", "package",
					       "container", "pot", "glass", "vaso", "plate", "plato", "bowl", "oz" };
	if (cal_portion_default_is_wide(a))
		return false;
	for (size_t i = 0; i < NELEM(amounts); i++) {
		if (strstr(a->portion_desc, amounts[i]) != NULL)
			return false;
	}
	return true;
}

/* Confidence of one matched item (see the file comment). */
static double item_confidence(const itemx *x, cal_unit u, bool approx)
{
	double c;
	if (weighed_unit(u))
		c = 1.0;
	else if ((x->pq.has_qty && !x->pq.article) || u != CAL_U_NONE || (x->flags & X_TOPPING))
		c = 0.95;
	else
		c = cal_portion_default_is_wide(x->a) ? CONF_WIDE : 0.85;
	if ((x->flags & X_SIDE) && c > CONF_GUESS)
		c = CONF_GUESS; /* how much syrup, sour cream, cheese on top: a guess */
	if (approx && c > 0.6)
		c = 0.6;
	if ((x->flags & (X_TYPO | X_EXTRA | X_VAGUE)) && c > CONF_GUESS)
		c = CONF_GUESS;
	if ((x->flags & X_PLURAL) && counted(x->a) && c > CONF_GUESS)
		c = CONF_GUESS;
	return c;
}

static void finish_item(parser *ps, size_t k, double *conf_sum, double *kcal_sum)
{
	cal_food_item *it = &ps->out->items[k];
	itemx *x = &ps->xs[k];
	if (x->a == NULL)
		return;
	const cal_food_alias *a = x->a;
	cal_unit u = implied_unit(x);
	double qty = x->pq.has_qty ? x->pq.qty : 1;
	bool approx = false;
	double per = (x->flags & X_TOPPING) && !x->pq.has_qty ? x->topping_g : cal_portion_grams(a, u, x->pq.size, &approx);
	double whole;
	if ((x->flags & X_PLURAL) && counted(a)) {
		/* "tacos", "empanadas": a few of them; "frutillas", "uvas": a cup when one is tiny */
		double cup = cal_portion_grams(a, CAL_U_CUP, CAL_SIZE_NONE, &approx);
		qty = a->portion_g < SMALL_UNIT_G && cup > 0 ? cup / per : PLURAL_COUNT;
	} else if (u == CAL_U_NONE && x->pq.has_qty && !x->pq.article && (whole = cal_portion_whole(a)) > 0) {
		per = whole; /* "media pizza", "2 pizzas": whole ones */
	} else if (u == CAL_U_NONE && x->pq.size != CAL_SIZE_NONE && (!x->pq.has_qty || x->pq.article) &&
		   (whole = cal_portion_whole(a)) > 0) {
		/* "una pizza grande", "a medium pizza": a whole one of that size (SR24's 14" is the large; a 12"
		 * has 0.73 of its area, a 10" 0.51) */
		per = whole * (x->pq.size == CAL_SIZE_LARGE ? 1.0 : x->pq.size == CAL_SIZE_MEDIUM ? 0.75 : 0.5);
	} else if (u == CAL_U_OZ || u == CAL_U_LB) {
		per *= cal_portion_raw_yield(a); /* "an 8 oz sirloin": menus and packages state raw weight */
	}
	it->name = a->display;
	it->ref = a->ref;
	it->quantity = qty;
	it->unit = cal_portion_unit_name(u == CAL_U_NONE && !x->pq.has_qty ? CAL_U_SERVING : u);
	it->explicit_qty = (x->pq.has_qty && !x->pq.article) || u != CAL_U_NONE;
	it->approx = approx;
	it->assumed = x->assumed;
	it->grams = qty * per;
	if (!(per > 0) || !(qty > 0) || qty > MAX_QTY || !(it->grams <= MAX_ITEM_GRAMS)) {
		/* A cup of something without cup data, a zero or an absurd amount: not guessed, reported. */
		it->grams = 0;
		it->ref = NULL;
		return;
	}
	it->matched = true;
	if (!(x->flags & X_TOPPING) || x->pq.has_qty) /* a spread of milk on cereal is weighed */
		it->ml = qty * cal_portion_ml(a, u, x->pq.size);
	const double *src = &a->food->per100.kcal;
	double *dst = &it->n.kcal;
	double *tot = &ps->out->total.kcal;
	for (size_t n = 0; n < 8; n++) {
		dst[n] = src[n] * it->grams / 100.0;
		tot[n] += dst[n];
	}
	ps->out->nmatched++;
	double c = item_confidence(x, u, approx);
	x->conf = c;
	double w = it->n.kcal > 1 ? it->n.kcal : 1; /* water and black coffee still count a little */
	*conf_sum += c * w;
	*kcal_sum += w;
}

/* A chain's own item (SR24 names it: "McDONALD'S, French Fries", "Fast foods, …", "Restaurant, …"). */
static bool chain_item(const cal_food *f)
{
	const char *d = f->description;
	if (strncmp(d, "Fast", 4) == 0 || strncmp(d, "Restaurant", 10) == 0)
		return true;
	for (size_t caps = 0; *d != '\0'; d++) {
		caps = *d >= 'A' && *d <= 'Z' ? caps + 1 : 0;
		if (caps >= 3)
			return true; /* a brand in capitals */
	}
	return false;
}

/* The matched item that carries the most energy, SIZE_MAX when none matched. */
static size_t main_item(const parser *ps)
{
	size_t k = SIZE_MAX;
	for (size_t i = 0; i < ps->out->nitems; i++) {
		if (ps->out->items[i].matched && (k == SIZE_MAX || ps->out->items[i].n.kcal > ps->out->items[k].n.kcal))
			k = i;
	}
	return k;
}

/* A dish made of several foods (a recipe) at its default plate carries most of a meal that names other
 * foods too: whether those are in the dish or beside it, and how big the plate was, are both guesses. */
static bool guessed_dish_leads(const parser *ps, size_t k)
{
	if (k == SIZE_MAX || ps->out->nmatched < 2)
		return false;
	const itemx *x = &ps->xs[k];
	return x->conf <= CONF_WIDE && strncmp(x->a->ref, "recipe:", 7) == 0 && !x->pq.has_qty &&
	       x->pq.unit == CAL_U_NONE;
}

/* A chain named in the text ("papas grandes del mc", "subway de pollo") while the food that carries most
 * of the energy is a generic one: the chain's item is probably something else. */
static bool chain_unmatched(const parser *ps, size_t k)
{
	if (k == SIZE_MAX || chain_item(ps->xs[k].a->food))
		return false;
	for (size_t i = 0; i < ps->ntoks; i++) {
		if (ps->toks[i].kind == T_WORD && word_in(&ps->toks[i], chains, NELEM(chains)))
			return true;
	}
	return false;
}

static void finish(parser *ps)
{
	double conf_sum = 0, weight = 0;
	bool missing = false, side = false;
	for (size_t k = 0; k < ps->out->nitems; k++) {
		finish_item(ps, k, &conf_sum, &weight);
		missing = missing || !ps->out->items[k].matched;
		side = side || (ps->xs[k].flags & (X_SIDE | X_TYPO)) != 0;
	}
	double c = weight > 0 ? conf_sum / weight : 0;
	/* an unmatched item or a stray quantity: part of the meal is unknown; a typo read as a food, or an
	 * unsaid amount of sauce or cheese on a dish: the total is a guess */
	if ((missing || ps->dangling) && c > CONF_GUESS - 0.05)
		c = CONF_GUESS - 0.05;
	size_t k = main_item(ps);
	if ((side || chain_unmatched(ps, k) || guessed_dish_leads(ps, k)) && c > CONF_GUESS)
		c = CONF_GUESS;
	ps->out->confidence = ps->out->nmatched == 0 ? 0 : round(c * 100.0) / 100.0;
}

/* ---- public API ------------------------------------------------------------------------------------- */

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
	ps.xs = cal_arena_alloc(arena, CAL_FOOD_MAX_ITEMS * sizeof *ps.xs);
	read_all(&ps);
	finish(&ps);
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
		if (it->ml > 0)
			put_num(o, "ml", it->ml);
		nutrients_json(o, &it->n);
		json_object_object_add(o, "matched", json_object_new_boolean(it->matched));
		if (it->assumed != NULL)
			json_object_object_add(o, "assumed", json_object_new_string(it->assumed));
		json_object_array_add(items, o);
	}
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "total", nutrients_json(json_object_new_object(), &a->total));
	return root;
}
