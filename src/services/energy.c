/*
 * Energy targets (SPEC §6.3): Mifflin–St Jeor BMR, activity multipliers, goal deltas, the daily goal and
 * the macro targets, plus the stored names of gender, activity level and goal.
 *
 * Everything is computed in integer arithmetic on tenths of a kilogram / centimetre so that "round half
 * up" means exactly that: 1095.625 never becomes 1095.62499999 on the way. The chain is
 *
 *   bmr   = round1(10·kg + 6.25·cm − 5·age + s)            s = +5 male, −161 female, −78 other
 *   tdee  = bmr × factor                                   using the STORED 1-decimal bmr, so that the
 *                                                          stored bmr alone reproduces every later value
 *   goal  = clamp(round10(tdee + delta), 1200, 4500)       round10 = half up to a multiple of 10
 *   protein_g = round(1.6·kg)  (build_muscle 2.0·kg)
 *   fat_g     = round(goal · 0.25 / 9)
 *   carbs_g   = round(max(0, goal − 4·protein_g − 9·fat_g) / 4)   from the rounded grams, so the three
 *                                                          macros shown add back up to the goal
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "caloria/energy.h"

#define GOAL_MIN 1200
#define GOAL_MAX 4500

/* Mifflin–St Jeor constant per gender; "other" is the mean of male and female. */
static const int bmr_const[CAL_GENDER__MAX] = {
	[CAL_GENDER_MALE] = 5, [CAL_GENDER_FEMALE] = -161, [CAL_GENDER_OTHER] = -78,
};

/* Activity multipliers in thousandths (1.375 = 1375). */
static const int64_t activity_milli[CAL_ACTIVITY__MAX] = {
	[CAL_ACTIVITY_SEDENTARY] = 1200, [CAL_ACTIVITY_LIGHT] = 1375, [CAL_ACTIVITY_MODERATE] = 1550,
	[CAL_ACTIVITY_VERY] = 1725, [CAL_ACTIVITY_EXTRA] = 1900,
};

static const int goal_delta[CAL_GOAL__MAX] = {
	[CAL_GOAL_LOSE] = -500, [CAL_GOAL_MAINTAIN] = 0, [CAL_GOAL_GAIN] = 300, [CAL_GOAL_MUSCLE] = 200,
};

static const char *const gender_names[CAL_GENDER__MAX] = {
	[CAL_GENDER_MALE] = "male", [CAL_GENDER_FEMALE] = "female", [CAL_GENDER_OTHER] = "other",
};

static const char *const activity_names[CAL_ACTIVITY__MAX] = {
	[CAL_ACTIVITY_SEDENTARY] = "sedentary", [CAL_ACTIVITY_LIGHT] = "lightly_active",
	[CAL_ACTIVITY_MODERATE] = "moderately_active", [CAL_ACTIVITY_VERY] = "very_active",
	[CAL_ACTIVITY_EXTRA] = "extra_active",
};

static const char *const goal_names[CAL_GOAL__MAX] = {
	[CAL_GOAL_LOSE] = "lose_weight", [CAL_GOAL_MAINTAIN] = "maintain", [CAL_GOAL_GAIN] = "gain_weight",
	[CAL_GOAL_MUSCLE] = "build_muscle",
};

/* floor(n / d) for d > 0, also for negative n (C division truncates toward zero). */
static int64_t floor_div(int64_t n, int64_t d)
{
	int64_t q = n / d;

	if ((n % d != 0) && (n < 0))
		q--;
	return q;
}

/* n / d rounded half up (toward +infinity at exactly .5), d > 0. */
static int64_t div_round_half_up(int64_t n, int64_t d)
{
	return floor_div(2 * n + d, 2 * d);
}

/* Range checks as in SPEC §6.1; anything incomplete, out of range or NaN is refused. */
static int profile_valid(const cal_profile *p)
{
	if (p->gender <= CAL_GENDER_NONE || p->gender >= CAL_GENDER__MAX)
		return 0;
	if (p->activity <= CAL_ACTIVITY_NONE || p->activity >= CAL_ACTIVITY__MAX)
		return 0;
	if (p->goal <= CAL_GOAL_NONE || p->goal >= CAL_GOAL__MAX)
		return 0;
	if (p->age < 13 || p->age > 100)
		return 0;
	if (!isfinite(p->weight_kg) || p->weight_kg < 30.0 || p->weight_kg > 300.0)
		return 0;
	if (!isfinite(p->height_cm) || p->height_cm < 100.0 || p->height_cm > 250.0)
		return 0;
	return 1;
}

int cal_energy_targets(const cal_profile *p, cal_targets *t)
{
	int64_t kg10, cm10, bmr1000, bmr10, tdee_x1e4, goal, protein, fat, rest, carbs;

	if (p == NULL || t == NULL || !profile_valid(p))
		return -1;
	/*
	 * The profile holds 1-decimal values; llround removes the binary representation error (a value with
	 * more decimals, which the parsers never produce, is taken to the nearest tenth).
	 */
	kg10 = llround(p->weight_kg * 10.0);
	cm10 = llround(p->height_cm * 10.0);

	/* 10·kg + 6.25·cm − 5·age + s, times 1000: kg10·1000 + cm10·625 − 5000·age + 1000·s. */
	bmr1000 = kg10 * 1000 + cm10 * 625 - 5000 * (int64_t)p->age + 1000 * (int64_t)bmr_const[p->gender];
	bmr10 = div_round_half_up(bmr1000, 100);

	/* tdee = bmr10/10 × milli/1000 = bmr10·milli / 10^4, exact in integers. */
	tdee_x1e4 = bmr10 * activity_milli[p->activity];
	/* (tdee + delta) / 10, rounded half up, times 10. */
	goal = div_round_half_up(tdee_x1e4 + (int64_t)goal_delta[p->goal] * 10000, 100000) * 10;
	if (goal < GOAL_MIN)
		goal = GOAL_MIN;
	if (goal > GOAL_MAX)
		goal = GOAL_MAX;

	/* 1.6 g/kg = 16·kg10/100; 2.0 g/kg = 20·kg10/100. */
	protein = div_round_half_up((p->goal == CAL_GOAL_MUSCLE ? 20 : 16) * kg10, 100);
	/* 25 % of the goal in kcal, 9 kcal/g: goal / 36. */
	fat = div_round_half_up(goal, 36);
	rest = goal - 4 * protein - 9 * fat;
	carbs = rest > 0 ? div_round_half_up(rest, 4) : 0;

	t->bmr = (double)bmr10 / 10.0;
	t->tdee = (double)tdee_x1e4 / 10000.0;
	t->daily_goal = (int)goal;
	t->protein_g = (int)protein;
	t->fat_g = (int)fat;
	t->carbs_g = (int)carbs;
	return 0;
}

const char *cal_energy_gender_name(cal_gender g)
{
	return (g > CAL_GENDER_NONE && g < CAL_GENDER__MAX) ? gender_names[g] : NULL;
}

const char *cal_energy_activity_name(cal_activity a)
{
	return (a > CAL_ACTIVITY_NONE && a < CAL_ACTIVITY__MAX) ? activity_names[a] : NULL;
}

const char *cal_energy_goal_name(cal_goal g)
{
	return (g > CAL_GOAL_NONE && g < CAL_GOAL__MAX) ? goal_names[g] : NULL;
}

/* Index of s in names[1..n-1] (case-insensitive), or 0. Index 0 is the NONE slot and never matches. */
static int name_index(const char *const *names, int n, const char *s)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 1; i < n; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return 0;
}

cal_gender cal_energy_gender_from_name(const char *s)
{
	return (cal_gender)name_index(gender_names, CAL_GENDER__MAX, s);
}

cal_activity cal_energy_activity_from_name(const char *s)
{
	return (cal_activity)name_index(activity_names, CAL_ACTIVITY__MAX, s);
}

cal_goal cal_energy_goal_from_name(const char *s)
{
	return (cal_goal)name_index(goal_names, CAL_GOAL__MAX, s);
}
