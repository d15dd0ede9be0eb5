/*
 * The onboarding quiz (SPEC §6.1, §6.2): the six questions, the parsers for every accepted answer form
 * (es/en words, numbers, units), and validation of the whole-profile form. Pure functions over text; the
 * conversation stores progress in the database.
 */
#ifndef CALORIA_QUIZ_H
#define CALORIA_QUIZ_H

#include <stddef.h>

#include <json-c/json.h>

#include "caloria/energy.h"
#include "caloria/err.h"

#define CAL_QUIZ_STEPS 6     /* the profile's questions */
#define CAL_QUIZ_LAST_STEP 7 /* the timezone, asked only when no request of the user carried one */

typedef enum cal_quiz_field {
	CAL_QUIZ_GENDER = 1,
	CAL_QUIZ_AGE,
	CAL_QUIZ_WEIGHT,
	CAL_QUIZ_HEIGHT,
	CAL_QUIZ_ACTIVITY,
	CAL_QUIZ_GOAL,
	CAL_QUIZ_TIMEZONE
} cal_quiz_field;

/* Field names as in SPEC: "gender", "age", "weight", "height", "activity_level", "goal", "timezone". */
const char *cal_quiz_field_name(cal_quiz_field step);

/*
 * Each parser returns 0 and sets *out on a valid answer, -1 otherwise (leaving *out alone). Input is any
 * text, even invalid UTF-8 or NULL; answers longer than 256 bytes are refused. Only whole answers count:
 * "70 kg" is a weight, "70kg extra words" is not. Beyond the SPEC table the parsers take a few obvious
 * forms ("soy mujer", "varón", "I'm 30", "1m75", "5 feet 9 inches", "2 mujer" copied from the question).
 */
int cal_quiz_parse_gender(const char *text, cal_gender *out);
int cal_quiz_parse_age(const char *text, int *out);           /* 13–100 */
int cal_quiz_parse_weight(const char *text, double *kg);      /* 30–300 kg, lb converted, 1 decimal */
int cal_quiz_parse_height(const char *text, double *cm);      /* 100–250 cm, m / ft-in converted, 1 decimal */
int cal_quiz_parse_activity(const char *text, cal_activity *out);
int cal_quiz_parse_goal(const char *text, cal_goal *out);
/*
 * The 7th question: a country or a big city (its main UTC offset: "Argentina", "México", "Madrid", "New
 * York"), or an offset ("UTC-3", "-03:00", "GMT+1", "-3"). Minutes east of UTC, −12 h … +14 h.
 */
int cal_quiz_parse_timezone(const char *text, int *offset_min);
/*
 * A whole number written in words, Spanish or English, 0–999: "treinta y cinco", "ochenta", "ciento
 * setenta", "thirty-five", "one hundred and seventy". -1 when the text is not exactly one number.
 */
int cal_quiz_words_number(const char *folded, int *out);

/* Applies the answer for step to p; 0 on success, -1 if invalid. */
int cal_quiz_apply_answer(cal_profile *p, cal_quiz_field step, const char *text);

/* first_name: at most 100 characters (SPEC §5.2), each up to 4 bytes of UTF-8. */
#define CAL_QUIZ_NAME_MAX 400

/* The form quiz (§6.2): extra optional fields beside the profile. */
typedef struct cal_quiz_form {
	cal_profile profile;
	char first_name[CAL_QUIZ_NAME_MAX + 1]; /* "" when absent; trimmed, valid UTF-8, ≤ 100 characters */
	double target_weight_kg;    /* 0 when absent */
	int meals_per_day;          /* 0 when absent */
} cal_quiz_form;

/*
 * Validates a form object. Values may be JSON numbers or strings in any §6.1 form (activity and goal also
 * take the stored names, "light", "moderate", "maintain_weight"); "weight_kg"/"height_cm" are read when
 * "weight"/"height" are absent; null or "" counts as missing. Returns 0 and fills *out when every required
 * field is present and valid (*bad = NULL); otherwise -1, *out untouched, and *bad receives a new JSON
 * array of {"field", "reason": "missing"|"invalid"} (caller puts it) in the order gender, age, weight,
 * height, activity_level, goal, first_name, target_weight_kg, meals_per_day. A form that is not an object
 * gives [{"field": "quiz", "reason": "invalid"}].
 */
int cal_quiz_parse_form(struct json_object *form, cal_quiz_form *out, struct json_object **bad);

/*
 * Lower-cases, strips accents (á→a, ñ→n, ü→u …), collapses whitespace and trims punctuation at both ends,
 * into out (outlen bytes). Shared by the command matcher and the parsers.
 */
void cal_quiz_fold(const char *in, char *out, size_t outlen);

#endif
