/*
 * Portions (SPEC §7.2): how many grams one unit of a food weighs — a gram, a cup, a glass, a plate, a can,
 * a "caña" — for the food's class (a drink, a soup, pasta, a spread …), with size words (small, grande)
 * and the smaller portion of a topping ("tostada con palta": a spread of avocado, not a whole one).
 * Pure functions over a loaded cal_fooddb; the parser (foodparse.c) decides which unit the user said.
 */
#ifndef CALORIA_FOODPORTION_H
#define CALORIA_FOODPORTION_H

#include <stdbool.h>

#include "caloria/fooddb.h"

typedef enum cal_unit {
	CAL_U_NONE, CAL_U_G, CAL_U_KG, CAL_U_OZ, CAL_U_LB, CAL_U_ML, CAL_U_L, CAL_U_CUP, CAL_U_TBSP, CAL_U_TSP,
	CAL_U_SLICE, CAL_U_SERVING, CAL_U_PLATE, CAL_U_BOWL, CAL_U_GLASS, CAL_U_CAN, CAL_U_BOTTLE, CAL_U_UNIT,
	CAL_U_HANDFUL, CAL_U_FLOZ, CAL_U_CANA, CAL_U_PINT, CAL_U_TERCIO, CAL_U_JARRA, CAL_U_CUARTO,
	CAL_U_SHOT, CAL_U_PACKAGE, CAL_U_SCOOP, CAL_U__MAX
} cal_unit;

typedef enum cal_size { CAL_SIZE_NONE, CAL_SIZE_SMALL, CAL_SIZE_MEDIUM, CAL_SIZE_LARGE } cal_size;

/* What a food is, for portions and for the reader's rules (derived from the SR24 group and description). */
typedef enum cal_food_class {
	CAL_CLS_OTHER, CAL_CLS_DRINK, CAL_CLS_ALCOHOL, CAL_CLS_SOUP, CAL_CLS_GRAIN, CAL_CLS_LEGUME, CAL_CLS_MEAT,
	CAL_CLS_DISH, CAL_CLS_FAT, CAL_CLS_SWEET_SPREAD, CAL_CLS_CHEESE, CAL_CLS_BREAD, CAL_CLS_EGG,
	CAL_CLS_YOGURT, CAL_CLS_CEREAL, CAL_CLS_FRUIT, CAL_CLS_VEG, CAL_CLS_POTATO, CAL_CLS_NUTS,
	CAL_CLS_COLDCUT, CAL_CLS_ICECREAM, CAL_CLS_SWEET
} cal_food_class;

cal_food_class cal_portion_class(const cal_food *f);

/* Canonical unit name for JSON ("g", "cup", "plate", …). */
const char *cal_portion_unit_name(cal_unit u);

/*
 * Grams of one u of alias a (size applied where it means something: a large glass, a small fries);
 * 0 when the unit cannot apply (a cup of a solid the tables give no cup for). *approx is set when the
 * grams rest on a guessed density.
 */
double cal_portion_grams(const cal_food_alias *a, cal_unit u, cal_size size, bool *approx);

/*
 * Millilitres of one u of alias a when a is drunk or served by volume (a drink, milk, a soup): a can of cola
 * is 355 ml, a glass of wine 148 ml, a caña 200 ml. 0 for solids and for units that are no volume.
 */
double cal_portion_ml(const cal_food_alias *a, cal_unit u, cal_size size);

/*
 * Grams of alias a as a topping or filling of a carrier food (bread, eggs, yogurt, pancakes): at most a
 * spread's worth (SR24: 1 tbsp of butter ≈ 14 g; ~2 tbsp of avocado, cheese or jam ≈ 30 g). Returns 0 when
 * the carrier/topping pair is not one of those (the topping keeps its own portion).
 */
double cal_portion_topping(const cal_food_alias *carrier, const cal_food_alias *topping);

/* Cooked grams per raw gram for a cooked meat row weighed in ounces or pounds ("an 8 oz sirloin", "1 lb
 * of ground beef": US menus and packages give the raw weight); 1 for everything else. */
double cal_portion_raw_yield(const cal_food_alias *a);

/* Grams of a whole one when a's portion is a slice of something counted whole ("media pizza", "2 pizzas":
 * SR24's "1 pizza"/"1 pie" measure, else eight slices of a pizza); 0 when a is not such a food. */
double cal_portion_whole(const cal_food_alias *a);

/* True when a plain default portion of a is a guess with a wide range (a plate of pasta, a steak, a salad),
 * as opposed to a countable unit (an egg, a slice, a can). */
bool cal_portion_default_is_wide(const cal_food_alias *a);

#endif
