/*
 * Unit tests for src/services/energy.c (SPEC §6.3). Every expected value below is worked out by hand in the
 * comment beside it: BMR = 10·kg + 6.25·cm − 5·age + s (s = +5 / −161 / −78), rounded half up to 0.1;
 * TDEE = BMR × factor; goal = round half up to 10 of TDEE + delta, clamped to [1200, 4500];
 * protein = round(1.6·kg) (2.0 for build_muscle); fat = round(goal/36); carbs = round((goal − 4p − 9f)/4).
 */
#include "config.h"

#include <math.h>

#include <criterion/criterion.h>

#include "caloria/energy.h"

struct energy_case {
	cal_gender g;
	int age;
	double kg, cm;
	cal_activity act;
	cal_goal goal;
	double bmr, tdee;
	int daily, protein, fat, carbs;
};

static const struct energy_case cases[] = {
	/* 800 + 1125 − 150 + 5 = 1780.0; ×1.55 = 2759; −500 = 2259 → 2260; p 128; f 2260/36 = 62.8 → 63;
	 * c (2260 − 512 − 567)/4 = 1181/4 = 295.25 → 295 */
	{CAL_GENDER_MALE, 30, 80, 180, CAL_ACTIVITY_MODERATE, CAL_GOAL_LOSE, 1780.0, 2759.0, 2260, 128, 63, 295},
	/* 600 + 1031.25 − 125 − 161 = 1345.25 → 1345.3 (half up; banker's would give 1345.2);
	 * ×1.2 = 1614.36 → 1610; p 96; f 44.7 → 45; c (1610 − 384 − 405)/4 = 205.25 → 205 */
	{CAL_GENDER_FEMALE, 25, 60, 165, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_MAINTAIN, 1345.3, 1614.36, 1610, 96, 45, 205},
	/* 700 + 1062.5 − 200 − 78 = 1484.5; ×1.375 = 2041.1875; +300 = 2341.19 → 2340; p 112; f 65;
	 * c (2340 − 448 − 585)/4 = 326.75 → 327 */
	{CAL_GENDER_OTHER, 40, 70, 170, CAL_ACTIVITY_LIGHT, CAL_GOAL_GAIN, 1484.5, 2041.1875, 2340, 112, 65, 327},
	/* 750 + 1112.5 − 110 + 5 = 1757.5; ×1.725 = 3031.6875; +200 = 3231.69 → 3230; p 2.0·75 = 150;
	 * f 89.7 → 90; c (3230 − 600 − 810)/4 = 455 */
	{CAL_GENDER_MALE, 22, 75, 178, CAL_ACTIVITY_VERY, CAL_GOAL_MUSCLE, 1757.5, 3031.6875, 3230, 150, 90, 455},
	/* 500 + 937.5 − 350 − 161 = 926.5; ×1.2 = 1111.8; −500 = 611.8 → 610 → clamped 1200; p 80; f 33.3 → 33;
	 * c (1200 − 320 − 297)/4 = 145.75 → 146 */
	{CAL_GENDER_FEMALE, 70, 50, 150, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_LOSE, 926.5, 1111.8, 1200, 80, 33, 146},
	/* 3000 + 1562.5 − 100 + 5 = 4467.5; ×1.9 = 8488.25; +300 → 8790 → clamped 4500; p 480; f 125;
	 * c (4500 − 1920 − 1125)/4 = 363.75 → 364 */
	{CAL_GENDER_MALE, 20, 300, 250, CAL_ACTIVITY_EXTRA, CAL_GOAL_GAIN, 4467.5, 8488.25, 4500, 480, 125, 364},
	/* 600 + 937.5 − 205 + 5 = 1337.5; ×1.2 = 1605.0 exactly → 1610 (half up at a 5-kcal boundary);
	 * p 96; f 44.7 → 45; c (1610 − 384 − 405)/4 = 205.25 → 205 */
	{CAL_GENDER_MALE, 41, 60, 150, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_MAINTAIN, 1337.5, 1605.0, 1610, 96, 45, 205},
	/* 599 + 937.5 − 205 + 5 = 1336.5; ×1.2 = 1603.8 → 1600; p 95.84 → 96; f 44.4 → 44;
	 * c (1600 − 384 − 396)/4 = 205 */
	{CAL_GENDER_MALE, 41, 59.9, 150, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_MAINTAIN, 1336.5, 1603.8, 1600, 96, 44, 205},
	/* 1500 + 625 − 500 − 161 = 1464; ×1.2 = 1756.8; −500 = 1256.8 → 1260; p 240 (960 kcal); f 35 (315 kcal);
	 * 1260 − 960 − 315 = −15 → carbs 0, never negative */
	{CAL_GENDER_FEMALE, 100, 150, 100, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_LOSE, 1464.0, 1756.8, 1260, 240, 35, 0},
	/* 800 + 1126.25 − 150 + 5 = 1781.25 → 1781.3; ×1.55 = 2761.015 → 2760; p 128; f 76.7 → 77;
	 * c (2760 − 512 − 693)/4 = 388.75 → 389 */
	{CAL_GENDER_MALE, 30, 80, 180.2, CAL_ACTIVITY_MODERATE, CAL_GOAL_MAINTAIN, 1781.3, 2761.015, 2760, 128, 77, 389},
	/* 655 + 1053.75 − 175 − 161 = 1372.75 → 1372.8; ×1.55 = 2127.84 → 2130; p 104.8 → 105; f 59.2 → 59;
	 * c (2130 − 420 − 531)/4 = 294.75 → 295 */
	{CAL_GENDER_FEMALE, 35, 65.5, 168.6, CAL_ACTIVITY_MODERATE, CAL_GOAL_MAINTAIN, 1372.8, 2127.84, 2130, 105, 59, 295},
	/* 923 + 1133.75 − 275 − 78 = 1703.75 → 1703.8; ×1.375 = 2342.725; −500 = 1842.7 → 1840; p 147.68 → 148;
	 * f 51.1 → 51; c (1840 − 592 − 459)/4 = 197.25 → 197 */
	{CAL_GENDER_OTHER, 55, 92.3, 181.4, CAL_ACTIVITY_LIGHT, CAL_GOAL_LOSE, 1703.8, 2342.725, 1840, 148, 51, 197},
	/* youngest, lightest, shortest: 300 + 625 − 65 − 161 = 699; ×1.2 = 838.8; −500 → 340 → 1200; p 48;
	 * f 33; c (1200 − 192 − 297)/4 = 177.75 → 178 */
	{CAL_GENDER_FEMALE, 13, 30, 100, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_LOSE, 699.0, 838.8, 1200, 48, 33, 178},
	/* oldest: 300 + 625 − 500 + 5 = 430; ×1.2 = 516; −500 = 16 → 20 → 1200; p 48; f 33; c 178 */
	{CAL_GENDER_MALE, 100, 30, 100, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_LOSE, 430.0, 516.0, 1200, 48, 33, 178},
	/* 450 + 1062.5 − 100 + 5 = 1417.5; ×1.2 = 1701; −500 = 1201 → 1200 by rounding, not clamping;
	 * p 72; f 33; c (1200 − 288 − 297)/4 = 153.75 → 154 */
	{CAL_GENDER_MALE, 20, 45, 170, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_LOSE, 1417.5, 1701.0, 1200, 72, 33, 154},
	/* 570 + 937.5 − 100 + 5 = 1412.5; ×1.2 = 1695; −500 = 1195 exactly → 1200 (half up at the floor) */
	{CAL_GENDER_MALE, 20, 57, 150, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_LOSE, 1412.5, 1695.0, 1200, 91, 33, 135},
	/* 440 + 937.5 − 150 + 5 = 1232.5; ×1.375 = 1694.6875; −500 = 1194.69 → 1190 → clamped up to 1200;
	 * p 70.4 → 70; f 33; c (1200 − 280 − 297)/4 = 155.75 → 156 */
	{CAL_GENDER_MALE, 30, 44, 150, CAL_ACTIVITY_LIGHT, CAL_GOAL_LOSE, 1232.5, 1694.6875, 1200, 70, 33, 156},
	/* 1870 + 1125 − 100 + 5 = 2900; ×1.55 = 4495 exactly → 4500 by rounding; p 299.2 → 299; f 125;
	 * c (4500 − 1196 − 1125)/4 = 544.75 → 545 */
	{CAL_GENDER_MALE, 20, 187, 180, CAL_ACTIVITY_MODERATE, CAL_GOAL_MAINTAIN, 2900.0, 4495.0, 4500, 299, 125, 545},
	/* 1120 + 1187.5 − 100 + 5 = 2212.5; ×1.9 = 4203.75; +300 = 4503.75 → 4500 by rounding; p 179.2 → 179;
	 * f 125; c (4500 − 716 − 1125)/4 = 664.75 → 665 */
	{CAL_GENDER_MALE, 20, 112, 190, CAL_ACTIVITY_EXTRA, CAL_GOAL_GAIN, 2212.5, 4203.75, 4500, 179, 125, 665},
	/* 1810 + 1062.5 − 100 + 5 = 2777.5; ×1.55 = 4305.125; +200 = 4505.125 → 4510 → clamped to 4500;
	 * p 2.0·181 = 362; f 125; c (4500 − 1448 − 1125)/4 = 481.75 → 482 */
	{CAL_GENDER_MALE, 20, 181, 170, CAL_ACTIVITY_MODERATE, CAL_GOAL_MUSCLE, 2777.5, 4305.125, 4500, 362, 125, 482},
};

Test(energy, hand_computed_cases)
{
	size_t i;

	cr_assert_geq(sizeof(cases) / sizeof(cases[0]), 12);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct energy_case *c = &cases[i];
		cal_profile p = {c->g, c->age, c->kg, c->cm, c->act, c->goal};
		cal_targets t;

		cr_assert_eq(cal_energy_targets(&p, &t), 0, "case %zu rejected", i);
		cr_expect(fabs(t.bmr - c->bmr) < 1e-9, "case %zu: bmr %.4f, want %.1f", i, t.bmr, c->bmr);
		cr_expect(fabs(t.tdee - c->tdee) < 1e-9, "case %zu: tdee %.4f, want %.4f", i, t.tdee, c->tdee);
		cr_expect_eq(t.daily_goal, c->daily, "case %zu: goal %d, want %d", i, t.daily_goal, c->daily);
		cr_expect_eq(t.protein_g, c->protein, "case %zu: protein %d, want %d", i, t.protein_g, c->protein);
		cr_expect_eq(t.fat_g, c->fat, "case %zu: fat %d, want %d", i, t.fat_g, c->fat);
		cr_expect_eq(t.carbs_g, c->carbs, "case %zu: carbs %d, want %d", i, t.carbs_g, c->carbs);
		cr_expect_eq(t.daily_goal % 10, 0, "case %zu: goal not a multiple of 10", i);
		cr_expect(t.daily_goal >= 1200 && t.daily_goal <= 4500, "case %zu: goal out of range", i);
	}
}

/* The stored 1-decimal BMR alone reproduces the goal: recomputing from t.bmr gives the same numbers. */
Test(energy, tdee_uses_stored_bmr)
{
	cal_profile p = {CAL_GENDER_FEMALE, 25, 60, 165, CAL_ACTIVITY_EXTRA, CAL_GOAL_MAINTAIN};
	cal_targets t;

	cr_assert_eq(cal_energy_targets(&p, &t), 0);
	/* 1345.25 → 1345.3; 1345.3 × 1.9 = 2556.07 (the unrounded 1345.25 would give 2555.975) */
	cr_expect(fabs(t.bmr - 1345.3) < 1e-9);
	cr_expect(fabs(t.tdee - 2556.07) < 1e-9, "tdee %.4f", t.tdee);
	cr_expect_eq(t.daily_goal, 2560);
}

/* Every activity factor and goal delta on one base BMR of 1780 (male 30 y 80 kg 180 cm). */
Test(energy, factors_and_deltas)
{
	static const double tdee[] = {0, 2136.0, 2447.5, 2759.0, 3070.5, 3382.0};
	/* 2136 → maintain 2140; 2447.5 → 2450; 2759 → 2760; 3070.5 → 3070; 3382 → 3380 */
	static const int maintain[] = {0, 2140, 2450, 2760, 3070, 3380};
	/* goal deltas on 2759: lose 2259 → 2260, maintain 2760, gain 3059 → 3060, muscle 2959 → 2960 */
	static const int by_goal[] = {0, 2260, 2760, 3060, 2960};
	cal_profile p = {CAL_GENDER_MALE, 30, 80, 180, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_MAINTAIN};
	cal_targets t;
	int a, g;

	for (a = CAL_ACTIVITY_SEDENTARY; a <= CAL_ACTIVITY_EXTRA; a++) {
		p.activity = (cal_activity)a;
		cr_assert_eq(cal_energy_targets(&p, &t), 0);
		cr_expect(fabs(t.tdee - tdee[a]) < 1e-9, "activity %d: tdee %.4f", a, t.tdee);
		cr_expect_eq(t.daily_goal, maintain[a], "activity %d: goal %d", a, t.daily_goal);
	}
	p.activity = CAL_ACTIVITY_MODERATE;
	for (g = CAL_GOAL_LOSE; g <= CAL_GOAL_MUSCLE; g++) {
		p.goal = (cal_goal)g;
		cr_assert_eq(cal_energy_targets(&p, &t), 0);
		cr_expect_eq(t.daily_goal, by_goal[g], "goal %d: %d", g, t.daily_goal);
		cr_expect_eq(t.protein_g, g == CAL_GOAL_MUSCLE ? 160 : 128);
	}
}

Test(energy, invalid_profiles_rejected)
{
	const cal_profile ok = {CAL_GENDER_MALE, 30, 80, 180, CAL_ACTIVITY_MODERATE, CAL_GOAL_LOSE};
	cal_profile p;
	cal_targets t = {0};

	cr_assert_eq(cal_energy_targets(&ok, &t), 0);
	cr_expect_eq(cal_energy_targets(NULL, &t), -1);
	cr_expect_eq(cal_energy_targets(&ok, NULL), -1);

#define REJECT(field, value)                                                                             \
	do {                                                                                             \
		p = ok;                                                                                  \
		p.field = value;                                                                         \
		cr_expect_eq(cal_energy_targets(&p, &t), -1, #field " = " #value " accepted");          \
	} while (0)
	REJECT(gender, CAL_GENDER_NONE);
	REJECT(gender, CAL_GENDER__MAX);
	REJECT(gender, (cal_gender)-1);
	REJECT(age, 12);
	REJECT(age, 101);
	REJECT(age, -30);
	REJECT(weight_kg, 29.9);
	REJECT(weight_kg, 300.1);
	REJECT(weight_kg, NAN);
	REJECT(weight_kg, INFINITY);
	REJECT(height_cm, 99.9);
	REJECT(height_cm, 250.1);
	REJECT(height_cm, NAN);
	REJECT(height_cm, -175);
	REJECT(activity, CAL_ACTIVITY_NONE);
	REJECT(activity, CAL_ACTIVITY__MAX);
	REJECT(goal, CAL_GOAL_NONE);
	REJECT(goal, CAL_GOAL__MAX);
#undef REJECT
}

Test(energy, range_boundaries_accepted)
{
	cal_profile p = {CAL_GENDER_OTHER, 13, 30, 100, CAL_ACTIVITY_SEDENTARY, CAL_GOAL_MAINTAIN};
	cal_targets t;

	cr_expect_eq(cal_energy_targets(&p, &t), 0);
	p.age = 100;
	p.weight_kg = 300;
	p.height_cm = 250;
	cr_expect_eq(cal_energy_targets(&p, &t), 0);
	/* 3000 + 1562.5 − 500 − 78 = 3984.5 */
	cr_expect(fabs(t.bmr - 3984.5) < 1e-9);
}

Test(energy, names_round_trip)
{
	int i;

	for (i = CAL_GENDER_MALE; i < CAL_GENDER__MAX; i++)
		cr_expect_eq(cal_energy_gender_from_name(cal_energy_gender_name((cal_gender)i)), i);
	for (i = CAL_ACTIVITY_SEDENTARY; i < CAL_ACTIVITY__MAX; i++)
		cr_expect_eq(cal_energy_activity_from_name(cal_energy_activity_name((cal_activity)i)), i);
	for (i = CAL_GOAL_LOSE; i < CAL_GOAL__MAX; i++)
		cr_expect_eq(cal_energy_goal_from_name(cal_energy_goal_name((cal_goal)i)), i);

	cr_expect_str_eq(cal_energy_gender_name(CAL_GENDER_FEMALE), "female");
	cr_expect_str_eq(cal_energy_activity_name(CAL_ACTIVITY_LIGHT), "lightly_active");
	cr_expect_str_eq(cal_energy_activity_name(CAL_ACTIVITY_EXTRA), "extra_active");
	cr_expect_str_eq(cal_energy_goal_name(CAL_GOAL_LOSE), "lose_weight");
	cr_expect_str_eq(cal_energy_goal_name(CAL_GOAL_MAINTAIN), "maintain");
	cr_expect_str_eq(cal_energy_goal_name(CAL_GOAL_MUSCLE), "build_muscle");
	cr_expect_null(cal_energy_gender_name(CAL_GENDER_NONE));
	cr_expect_null(cal_energy_activity_name(CAL_ACTIVITY__MAX));
	cr_expect_null(cal_energy_goal_name((cal_goal)42));

	cr_expect_eq(cal_energy_gender_from_name("MALE"), CAL_GENDER_MALE);
	cr_expect_eq(cal_energy_gender_from_name("hombre"), CAL_GENDER_NONE);
	cr_expect_eq(cal_energy_gender_from_name(""), CAL_GENDER_NONE);
	cr_expect_eq(cal_energy_gender_from_name(NULL), CAL_GENDER_NONE);
	cr_expect_eq(cal_energy_activity_from_name("very active"), CAL_ACTIVITY_NONE);
	cr_expect_eq(cal_energy_goal_from_name("maintain_weight"), CAL_GOAL_NONE);
}
