/*
 * Energy targets (SPEC §6.3): Mifflin–St Jeor BMR, activity multipliers, goal deltas, the rounded and
 * clamped daily goal, and macro targets. Pure functions; the only place these formulas live.
 */
#ifndef CALORIA_ENERGY_H
#define CALORIA_ENERGY_H

typedef enum cal_gender { CAL_GENDER_NONE = 0, CAL_GENDER_MALE, CAL_GENDER_FEMALE, CAL_GENDER_OTHER, CAL_GENDER__MAX } cal_gender;
typedef enum cal_activity {
	CAL_ACTIVITY_NONE = 0,
	CAL_ACTIVITY_SEDENTARY,
	CAL_ACTIVITY_LIGHT,
	CAL_ACTIVITY_MODERATE,
	CAL_ACTIVITY_VERY,
	CAL_ACTIVITY_EXTRA,
	CAL_ACTIVITY__MAX
} cal_activity;
typedef enum cal_goal { CAL_GOAL_NONE = 0, CAL_GOAL_LOSE, CAL_GOAL_MAINTAIN, CAL_GOAL_GAIN, CAL_GOAL_MUSCLE, CAL_GOAL__MAX } cal_goal;

typedef struct cal_profile {
	cal_gender gender;
	int age;            /* years */
	double weight_kg;   /* 1 decimal */
	double height_cm;   /* 1 decimal */
	cal_activity activity;
	cal_goal goal;
} cal_profile;

typedef struct cal_targets {
	double bmr;        /* kcal/day, 1 decimal, rounded half up */
	double tdee;       /* kcal/day: the stored bmr × factor, exact (at most 4 decimals), not rounded */
	int daily_goal;    /* kcal/day, multiple of 10 in [1200, 4500] */
	int protein_g;
	int fat_g;
	int carbs_g;
} cal_targets;

/*
 * Returns 0 and fills t, or -1 when the profile is incomplete or out of range (age 13–100, 30–300 kg,
 * 100–250 cm, known gender/activity/goal). The goal is computed from the stored 1-decimal bmr, so the
 * stored bmr reproduces it; the macros are rounded grams, carbs from what protein and fat leave (≥ 0).
 */
int cal_energy_targets(const cal_profile *p, cal_targets *t);

/* Stored names ("male", "lightly_active", "lose_weight") and back; NULL / *_NONE when unknown. */
const char *cal_energy_gender_name(cal_gender g);
const char *cal_energy_activity_name(cal_activity a);
const char *cal_energy_goal_name(cal_goal g);
cal_gender cal_energy_gender_from_name(const char *s);
cal_activity cal_energy_activity_from_name(const char *s);
cal_goal cal_energy_goal_from_name(const char *s);

#endif
