/*
 * The message catalogue: every text the bot says, in Spanish and English, in one table keyed by an enum.
 * Handlers never hold user-facing strings; they pick a message and fill its printf-style arguments.
 */
#ifndef CALORIA_I18N_H
#define CALORIA_I18N_H

#include "caloria/err.h"

typedef enum cal_msg {
	CAL_MSG_HELP,
	CAL_MSG_WELCOME,              /* first contact, before question 1 */
	CAL_MSG_Q_GENDER,
	CAL_MSG_Q_AGE,
	CAL_MSG_Q_WEIGHT,
	CAL_MSG_Q_HEIGHT,
	CAL_MSG_Q_ACTIVITY,
	CAL_MSG_Q_GOAL,
	CAL_MSG_QUIZ_INVALID,         /* "I did not understand; accepted answers: %s" */
	CAL_MSG_ACCEPT_GENDER,        /* the accepted forms, per question */
	CAL_MSG_ACCEPT_AGE,
	CAL_MSG_ACCEPT_WEIGHT,
	CAL_MSG_ACCEPT_HEIGHT,
	CAL_MSG_ACCEPT_ACTIVITY,
	CAL_MSG_ACCEPT_GOAL,
	CAL_MSG_QUIZ_DONE,            /* BMR %.1f, goal %d, protein %d, carbs %d, fat %d, trial days */
	CAL_MSG_HOW_TO_LOG,
	CAL_MSG_FORM_INVALID,         /* "these fields are missing or invalid: %s" */
	CAL_MSG_RESET_DONE,
	CAL_MSG_LANGUAGE_SET,
	CAL_MSG_STATUS,               /* profile and plan */
	CAL_MSG_STATUS_NO_PROFILE,
	CAL_MSG_MEDIA_LATER,          /* photos/voice not analysed yet */
	CAL_MSG_RATE_LIMITED,
	CAL_MSG_BAD_REQUEST,          /* "I could not read that message" */
	CAL_MSG_UNAVAILABLE,          /* apology when the database is down */
	CAL_MSG_INTERNAL,
	CAL_MSG_UNAUTHORIZED,
	CAL_MSG__MAX
} cal_msg;

/* The template in the language (never NULL). */
const char *cal_i18n(cal_msg m, cal_lang lang);
/* "es"/"en" from locale strings such as "es_AR", "en-US", "Spanish", "English", "español"; -1 unknown. */
int cal_i18n_lang_from_locale(const char *locale, cal_lang *out);
const char *cal_i18n_lang_code(cal_lang lang);

#endif
