/*
 * Portions (foodportion.h): grams of one unit of a food, by unit, food class and size word.
 *
 * Where SR24 lists a household measure for the food ("1 cup=244", "1 large=50", "1 medium serving=117",
 * "1 can=368") that measure is the answer. Otherwise:
 *  - volumes go through the food's density (alias cup_g / 240, else an SR24 cup / 240, else 1 for drinks;
 *    a guessed density for a solid marks the item approximate);
 *  - containers are read by food class: a glass of wine or beer is its drink (the alias portion: SR24
 *    "5 fl oz" wine, "12 fl oz" beer), a glass of milk or juice is SR24's cup, any other glass 250 ml;
 *    a plate or bowl of soup is 1.5 cups (a soup plate or bowl holds 300–400 ml), of pasta or rice 250 g
 *    cooked (80–100 g dry, the usual plate in Spain, Italy and Argentina), of legumes 1.5 cups, of salad or
 *    fruit 1.5 cups, of a dish or a main the dish's own portion (aliases.csv portions are plate-sized);
 *  - beer measures are regional: caña 200 ml (Spain), tercio 330 ml (Spain), pinta 473 ml (US pint, also
 *    the Argentine craft-beer pint), jarra 500 ml; "un cuarto" of ice cream is a quarter kilo (Argentina);
 *  - size words pick SR24's "1 small"/"1 medium"/"1 large" (or "… serving") measure when there is one,
 *    else scale the portion by 3/4 (small) or 4/3 (large);
 *  - a topping on bread, eggs or yogurt is at most a spread: 1 tbsp of a fat (SR24 butter 14.2 g), about
 *    2 tbsp (30 g) of avocado, cheese, ham, jam, nuts or granola.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caloria/foodportion.h"

#define GLASS_ML 250.0
#define CAN_ML 355.0
#define BOTTLE_ML 500.0
#define TOPPING_MAX_G 30.0
#define FAT_TOPPING_G 14.0
#define GRAIN_PLATE_G 250.0
#define SMALL_FACTOR 0.75
#define COOKED_YIELD 0.75 /* SR24 yields of broiled or roasted meat from raw: 0.70-0.80 */
#define LARGE_FACTOR (4.0 / 3.0)

static const char *const unit_names[CAL_U__MAX] = {
	[CAL_U_NONE] = "unit", [CAL_U_G] = "g", [CAL_U_KG] = "kg", [CAL_U_OZ] = "oz", [CAL_U_LB] = "lb",
	[CAL_U_ML] = "ml", [CAL_U_L] = "l", [CAL_U_CUP] = "cup", [CAL_U_TBSP] = "tbsp", [CAL_U_TSP] = "tsp",
	[CAL_U_SLICE] = "slice", [CAL_U_SERVING] = "serving", [CAL_U_PLATE] = "plate", [CAL_U_BOWL] = "bowl",
	[CAL_U_GLASS] = "glass", [CAL_U_CAN] = "can", [CAL_U_BOTTLE] = "bottle", [CAL_U_UNIT] = "unit",
	[CAL_U_HANDFUL] = "handful", [CAL_U_FLOZ] = "fl oz", [CAL_U_CANA] = "caña", [CAL_U_PINT] = "pint",
	[CAL_U_TERCIO] = "tercio", [CAL_U_JARRA] = "jarra", [CAL_U_CUARTO] = "quarter kilo",
	[CAL_U_SHOT] = "shot", [CAL_U_PACKAGE] = "package", [CAL_U_SCOOP] = "scoop",
};

const char *cal_portion_unit_name(cal_unit u)
{
	return (u >= 0 && u < CAL_U__MAX && unit_names[u] != NULL) ? unit_names[u] : "unit";
}

static bool starts(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool starts_any(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (starts(s, list[i]))
			return true;
	}
	return false;
}

#define NELEM(a) (sizeof(a) / sizeof(*(a)))

static cal_food_class dairy_class(const char *d)
{
	if (starts(d, "Egg"))
		return CAL_CLS_EGG;
	if (starts(d, "Cheese"))
		return CAL_CLS_CHEESE;
	if (starts(d, "Yogurt"))
		return CAL_CLS_YOGURT;
	if (starts(d, "Butter") || starts(d, "Cream") || starts(d, "Sour"))
		return CAL_CLS_FAT;
	if (starts(d, "Dulce"))
		return CAL_CLS_SWEET_SPREAD;
	return CAL_CLS_OTHER;
}

static cal_food_class sweets_class(const char *d)
{
	static const char *const spreads[] = { "Jams", "Jellies", "Marmalade", "Honey", "Syrup", "Toppings",
					       "Sugars", "Chocolate-flavored hazelnut", "Dulce" };
	if (starts(d, "Ice cream") || strstr(d, "ice cream") != NULL || starts(d, "Frozen yogurt"))
		return CAL_CLS_ICECREAM;
	if (starts_any(d, spreads, NELEM(spreads)))
		return CAL_CLS_SWEET_SPREAD;
	return CAL_CLS_SWEET;
}

static cal_food_class baked_class(const char *d)
{
	static const char *const sweet[] = { "Cake", "Cookie", "Pie", "Doughnut", "Danish", "Pastr", "Brownie",
					     "Cheesecake", "Sweet rolls", "Toaster", "Puff" };
	return starts_any(d, sweet, NELEM(sweet)) ? CAL_CLS_SWEET : CAL_CLS_BREAD;
}

cal_food_class cal_portion_class(const cal_food *f)
{
	const char *d = f->description;
	int g = f->ndb_id[0] ? (f->ndb_id[0] - '0') * 10 + (f->ndb_id[1] - '0') : -1;

	if (f->flags & CAL_FOOD_ALCOHOLIC)
		return CAL_CLS_ALCOHOL;
	if (g == 1 && dairy_class(d) != CAL_CLS_OTHER)
		return dairy_class(d); /* yogurt has a "fl oz" measure but is no drink */
	if (strstr(d, "arepa") != NULL || starts(d, "Tortillas"))
		return CAL_CLS_BREAD;
	if (g == 6 || starts(d, "Soup"))
		return CAL_CLS_SOUP;
	if (f->flags & CAL_FOOD_LIQUID)
		return CAL_CLS_DRINK;
	switch (g) {
	case -1: return CAL_CLS_DISH; /* a recipe */
	case 1: return dairy_class(d);
	case 4: return CAL_CLS_FAT;
	case 5: case 10: case 13: case 15: case 17: return CAL_CLS_MEAT;
	case 7: return CAL_CLS_COLDCUT;
	case 8: return CAL_CLS_CEREAL;
	case 9: return CAL_CLS_FRUIT;
	case 11: return starts(d, "Potato") ? CAL_CLS_POTATO : CAL_CLS_VEG;
	case 12: return CAL_CLS_NUTS;
	case 16: return strstr(d, "butter") != NULL ? CAL_CLS_SWEET_SPREAD : CAL_CLS_LEGUME;
	case 18: return baked_class(d);
	case 19: return sweets_class(d);
	case 20: return CAL_CLS_GRAIN;
	case 21: case 22: case 35: case 36: return CAL_CLS_DISH;
	default: return CAL_CLS_OTHER;
	}
}

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

static double cup_grams(const cal_food_alias *a)
{
	static const char *const cup[] = { "cup" };
	return a->cup_g > 0 ? a->cup_g : measure_grams(a->food, cup, 1);
}

/* Grams per ml; *guessed when nothing in the tables tells. */
static double density(const cal_food_alias *a, bool *guessed)
{
	double g = cup_grams(a);
	*guessed = false;
	if (a->cup_g > 0)
		return a->cup_g / 240.0;
	if (a->food->flags & CAL_FOOD_LIQUID)
		return 1.0;
	if (g > 0)
		return g / 240.0;
	*guessed = true;
	return 1.0;
}

/* SR24's "1 small" / "1 small serving" style measure for a size word; 0 when the food has none. */
static double size_measure(const cal_food *f, cal_size s)
{
	static const char *const small[] = { "small serving", "small" };
	static const char *const medium[] = { "medium serving", "medium" };
	static const char *const large[] = { "large serving", "large" };
	switch (s) {
	case CAL_SIZE_SMALL: return measure_grams(f, small, 2);
	case CAL_SIZE_MEDIUM: return measure_grams(f, medium, 2);
	case CAL_SIZE_LARGE: return measure_grams(f, large, 2);
	case CAL_SIZE_NONE: break;
	}
	return 0;
}

static double size_factor(cal_size s)
{
	return s == CAL_SIZE_SMALL ? SMALL_FACTOR : s == CAL_SIZE_LARGE ? LARGE_FACTOR : 1.0;
}

/* A plate or bowl of the food, by class (see the file comment). */
static double plate_grams(const cal_food_alias *a)
{
	double cup = cup_grams(a);
	switch (cal_portion_class(a->food)) {
	case CAL_CLS_SOUP:
		return 1.5 * (cup > 0 ? cup : 245);
	case CAL_CLS_GRAIN:
		return a->portion_g > GRAIN_PLATE_G ? a->portion_g : GRAIN_PLATE_G;
	case CAL_CLS_DISH: /* rice and beans, chili, stews: a plate holds about two cups */
		if (cup > 0 && 2 * cup > a->portion_g)
			return 2 * cup;
		break;
	case CAL_CLS_LEGUME:
	case CAL_CLS_VEG:
	case CAL_CLS_FRUIT:
		if (cup > 0 && 1.5 * cup > a->portion_g)
			return 1.5 * cup;
		break;
	default:
		break;
	}
	return a->portion_g;
}

/* A glass of the food: its own drink for wine and beer, SR24's cup for milk and juice, else 250 ml. */
static double glass_grams(const cal_food_alias *a, bool *approx)
{
	if (a->food->flags & CAL_FOOD_ALCOHOLIC)
		return a->portion_g;
	double cup = cup_grams(a);
	if (cup > 0 && (a->food->flags & CAL_FOOD_LIQUID))
		return cup;
	return GLASS_ML * density(a, approx);
}

static double volume_grams(const cal_food_alias *a, cal_unit u, bool *approx)
{
	static const char *const tbsp[] = { "tbsp", "tablespoon" };
	static const char *const tsp[] = { "tsp", "teaspoon" };
	static const char *const can[] = { "can" };
	static const char *const bottle[] = { "bottle" };
	static const char *const floz[] = { "fl oz" };
	static const char *const jigger[] = { "jigger" };
	double g;
	switch (u) {
	case CAL_U_ML: return density(a, approx);
	case CAL_U_L: return 1000 * density(a, approx);
	case CAL_U_CAN: return (g = measure_grams(a->food, can, 1)) > 0 ? g : CAN_ML * density(a, approx);
	case CAL_U_BOTTLE: return (g = measure_grams(a->food, bottle, 1)) > 0 ? g : BOTTLE_ML * density(a, approx);
	case CAL_U_FLOZ: return (g = measure_grams(a->food, floz, 1)) > 0 ? g : 29.5735 * density(a, approx);
	case CAL_U_TBSP: return (g = measure_grams(a->food, tbsp, 2)) > 0 ? g : 15 * density(a, approx);
	case CAL_U_TSP: return (g = measure_grams(a->food, tsp, 2)) > 0 ? g : 5 * density(a, approx);
	case CAL_U_CANA: return 200 * density(a, approx);
	case CAL_U_SHOT: return (g = measure_grams(a->food, jigger, 1)) > 0 ? g : 44.4 * density(a, approx);
	case CAL_U_TERCIO: return 330 * density(a, approx);
	case CAL_U_PINT: return 473.176 * density(a, approx);
	case CAL_U_JARRA: return 500 * density(a, approx);
	case CAL_U_CUP:
		if ((g = cup_grams(a)) > 0)
			return g;
		return (a->food->flags & CAL_FOOD_LIQUID) ? 240 : 0;
	default: return 0;
	}
}

double cal_portion_grams(const cal_food_alias *a, cal_unit u, cal_size size, bool *approx)
{
	static const char *const slice[] = { "slice" };
	static const char *const package[] = { "package", "bag", "packet", "pouch", "envelope", "container" };
	static const char *const scoop[] = { "scoop" };
	double g;
	*approx = false;
	switch (u) {
	case CAL_U_G: return 1;
	case CAL_U_KG: return 1000;
	case CAL_U_LB: return 453.592;
	case CAL_U_CUARTO: return 250;
	case CAL_U_HANDFUL: return 30;
	case CAL_U_OZ: /* an ounce of a drink is a fluid ounce ("a 12 oz coke") */
		return (a->food->flags & CAL_FOOD_LIQUID) ? volume_grams(a, CAL_U_FLOZ, approx) : 28.3495;
	case CAL_U_SLICE:
		return (g = measure_grams(a->food, slice, 1)) > 0 ? g : a->portion_g;
	case CAL_U_PACKAGE: /* a single-serve bag, not SR24's family-size one */
		g = measure_grams(a->food, package, NELEM(package));
		return g > 0 && g <= 3 * a->portion_g ? g : a->portion_g;
	case CAL_U_SCOOP: /* an ice-cream scoop or "bocha" is about half a cup */
		if ((g = measure_grams(a->food, scoop, 1)) > 0)
			return g;
		return (g = cup_grams(a)) > 0 ? g / 2 : a->portion_g;
	case CAL_U_GLASS: return glass_grams(a, approx) * size_factor(size);
	case CAL_U_PLATE:
	case CAL_U_BOWL: return plate_grams(a) * size_factor(size);
	case CAL_U_CUP: return volume_grams(a, u, approx) * size_factor(size);
	case CAL_U_NONE:
	case CAL_U_UNIT:
	case CAL_U_SERVING:
		if ((g = size_measure(a->food, size)) > 0)
			return g;
		return a->portion_g * size_factor(size);
	case CAL_U__MAX: return 0;
	default: return volume_grams(a, u, approx);
	}
}

static bool is_carrier(cal_food_class c)
{
	return c == CAL_CLS_BREAD || c == CAL_CLS_EGG || c == CAL_CLS_YOGURT || c == CAL_CLS_CEREAL;
}

double cal_portion_topping(const cal_food_alias *carrier, const cal_food_alias *topping)
{
	cal_food_class cc = cal_portion_class(carrier->food);
	cal_food_class tc = cal_portion_class(topping->food);
	double cap = 0;
	if (!is_carrier(cc))
		return 0;
	if (cc == CAL_CLS_CEREAL && strncmp(topping->food->description, "Milk", 4) == 0)
		return topping->portion_g / 2; /* milk on cereal: half a cup, not a glass */
	switch (tc) {
	case CAL_CLS_FAT:
	case CAL_CLS_SWEET_SPREAD: { /* a spread is a tablespoon: butter 14 g, jam 20 g, peanut butter 16 g */
		bool approx;
		cap = volume_grams(topping, CAL_U_TBSP, &approx);
		if (!(cap > 0) || cap > TOPPING_MAX_G)
			cap = tc == CAL_CLS_FAT ? FAT_TOPPING_G : TOPPING_MAX_G;
		break;
	}
	case CAL_CLS_CHEESE:
	case CAL_CLS_COLDCUT:
	case CAL_CLS_NUTS:
	case CAL_CLS_CEREAL: cap = TOPPING_MAX_G; break;
	case CAL_CLS_FRUIT:
	case CAL_CLS_VEG: /* fruit on yogurt or cereal is a whole fruit or a cup of berries */
		cap = (cc == CAL_CLS_YOGURT || cc == CAL_CLS_CEREAL) ? 0 : TOPPING_MAX_G;
		break;
	default: break;
	}
	if (cap <= 0)
		return 0;
	return topping->portion_g < cap ? topping->portion_g : cap;
}

double cal_portion_raw_yield(const cal_food_alias *a)
{
	const cal_food *f = a->food;
	int g = f->ndb_id[0] ? (f->ndb_id[0] - '0') * 10 + (f->ndb_id[1] - '0') : -1;
	bool meat = g == 10 || g == 13 || g == 17 || g == 23; /* red meat; poultry is weighed as eaten */
	return meat && strstr(f->description, "cooked") != NULL ? COOKED_YIELD : 1.0;
}

double cal_portion_whole(const cal_food_alias *a)
{
	static const char *const whole[] = { "pizza", "pie" };
	double g;
	if (strstr(a->portion_desc, "slice") == NULL)
		return 0;
	if ((g = measure_grams(a->food, whole, NELEM(whole))) > a->portion_g)
		return g;
	if (strstr(a->food->description, "izza") != NULL || strstr(a->display, "pizza") != NULL)
		return 8 * a->portion_g; /* a pizzería pizza is cut in eight */
	return 0;
}

bool cal_portion_default_is_wide(const cal_food_alias *a)
{
	/* A countable unit says what it is ("1 large", "1 slice", "1 empanada ~90 g", "1 container 6 oz"); a
	 * default counted in cups, ounces, servings or plates is a guess at an amount that varies widely. */
	static const char *const narrow[] = {
		"large", "medium", "small", "slice", "piece", "each", "egg", "can", "bottle", "cookie", "bar",
		"tbsp", "tsp", "pat", "item", "sandwich", "burger", "container", "packet", "envelope", "glass",
		"shot", "fl oz", "cup / glass", "grande", "mediano", "mediana", "chico", "chica", "rebanada", "feta",
		"unidad", "pieza", "lata", "botella", "vaso", "galleta", "huevo",
	};
	static const char *const wide[] = { "plate", "bowl", "serving", "portion", "cup", "oz", "order", "steak",
					    "pieces", "jar", "cazuela", "dish", "plato", "porci", "taza" };
	if (a->food->flags & CAL_FOOD_LIQUID)
		return false;
	for (size_t i = 0; i < NELEM(narrow); i++) {
		if (strstr(a->portion_desc, narrow[i]) != NULL)
			return false;
	}
	for (size_t i = 0; i < NELEM(wide); i++) {
		if (strstr(a->portion_desc, wide[i]) != NULL)
			return true;
	}
	return false;
}

/*
 * Volumes, for telling people how much they drank ("1 lata de coca-cola (355 ml)"): the container's own
 * stated volume (SR24 "1 can 12 fl oz", the alias "1 glass 5 fl oz"), the unit's nominal volume (a cup is
 * 240 ml, a caña 200 ml), and only when nothing states one the grams through the food's density.
 */
#define FLOZ_ML 29.5735
#define CUP_ML 240.0

/* Millilitres a description states ("12 fl oz" → 355, "250 ml" → 250, a leading "1 cup" → 240); 0 if none. */
static double stated_ml(const char *d)
{
	double cups = 0;
	for (const char *p = d; *p != '\0'; p++) {
		char *end = NULL;
		if (*p < '0' || *p > '9' || (p > d && ((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.' || p[-1] == '/')))
			continue;
		double n = strtod(p, &end);
		while (*end == ' ')
			end++;
		if (starts(end, "fl oz"))
			return n * FLOZ_ML;
		if (starts(end, "ml"))
			return n;
		if (p == d && starts(end, "cup"))
			cups = n * CUP_ML;
	}
	return cups;
}

/* Millilitres of one container named by key in the SR24 measures ("1 can 12 fl oz=368" → 355); 0 if none. */
static double measure_ml(const cal_food *f, const char *key)
{
	for (size_t i = 0; i < f->nmeasures; i++) {
		char *end = NULL;
		double n = strtod(f->measures[i].desc, &end), ml;
		if (end == f->measures[i].desc || !(n > 0))
			continue;
		while (*end == ' ')
			end++;
		if (starts(end, key) && (ml = stated_ml(end)) > 0)
			return ml / n;
	}
	return 0;
}

/* Grams as millilitres when the tables give the food a density; 0 when it would be a guess. */
static double grams_ml(const cal_food_alias *a, double g)
{
	bool guessed;
	double d = density(a, &guessed);
	return g > 0 && !guessed ? g / d : 0;
}

static double container_ml(const cal_food_alias *a, const char *key, double nominal)
{
	static const char *const bottle[] = { "bottle" };
	double ml = measure_ml(a->food, key), g;
	if (ml > 0)
		return ml;
	if (strcmp(key, "bottle") == 0 && (g = measure_grams(a->food, bottle, 1)) > 0)
		return grams_ml(a, g); /* "1 bottle 16 lf oz=491": grams are all it says */
	return nominal;
}

static double glass_ml(const cal_food_alias *a)
{
	double ml;
	if (a->food->flags & CAL_FOOD_ALCOHOLIC) /* its drink, as glass_grams */
		return (ml = stated_ml(a->portion_desc)) > 0 ? ml : grams_ml(a, a->portion_g);
	return cup_grams(a) > 0 ? CUP_ML : GLASS_ML;
}

double cal_portion_ml(const cal_food_alias *a, cal_unit u, cal_size size)
{
	bool liquid = (a->food->flags & CAL_FOOD_LIQUID) != 0, soup = cal_portion_class(a->food) == CAL_CLS_SOUP;
	double ml, g;
	if (!liquid && !soup)
		return 0;
	switch (u) {
	case CAL_U_ML: return 1;
	case CAL_U_L: return 1000;
	case CAL_U_OZ: return liquid ? FLOZ_ML : 0;
	case CAL_U_FLOZ: return FLOZ_ML;
	case CAL_U_TBSP: return 15;
	case CAL_U_TSP: return 5;
	case CAL_U_CANA: return 200;
	case CAL_U_TERCIO: return 330;
	case CAL_U_PINT: return 473.176;
	case CAL_U_JARRA: return 500;
	case CAL_U_SHOT: return 1.5 * FLOZ_ML; /* a jigger */
	case CAL_U_CAN: return container_ml(a, "can", CAN_ML);
	case CAL_U_BOTTLE: return container_ml(a, "bottle", BOTTLE_ML);
	case CAL_U_CUP: return CUP_ML * size_factor(size);
	case CAL_U_GLASS: return liquid ? glass_ml(a) * size_factor(size) : 0;
	case CAL_U_PLATE:
	case CAL_U_BOWL: return soup ? 1.5 * CUP_ML * size_factor(size) : 0;
	case CAL_U_NONE:
	case CAL_U_UNIT:
	case CAL_U_SERVING:
		if ((g = size_measure(a->food, size)) > 0)
			return grams_ml(a, g);
		ml = stated_ml(a->portion_desc);
		return (ml > 0 ? ml : grams_ml(a, a->portion_g)) * size_factor(size);
	default: return 0;
	}
}
