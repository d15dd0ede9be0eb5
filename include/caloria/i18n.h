/*
 * The message catalogue: every text the bot says, in Spanish and English, in one table keyed by an enum.
 * Handlers never hold user-facing strings; they pick a message and fill its printf-style arguments.
 *
 * Each message's arguments are listed beside it, in order; both languages take exactly the same
 * conversions (a unit test checks this against cal_i18n_args()). Messages marked "no args" contain no
 * conversion at all. Format with cal_i18n_printf(), which also caps the text at CAL_I18N_TEXT_MAX.
 */
#ifndef CALORIA_I18N_H
#define CALORIA_I18N_H

#include <stdarg.h>
#include <stdbool.h>

#include "caloria/energy.h"
#include "caloria/err.h"
#include "caloria/mem.h"

/* ManyChat's limit for one message text (SPEC §5.4); counted in bytes here, which is stricter. */
#define CAL_I18N_TEXT_MAX 2000

typedef enum cal_msg {
	CAL_MSG_HELP,                 /* no args: what the bot does and every command, in that language */
	CAL_MSG_WELCOME,              /* no args: first contact, before question 1 */
	CAL_MSG_Q_GENDER,             /* no args: the questions, "n/6 · …", options numbered 1️⃣… */
	CAL_MSG_Q_AGE,
	CAL_MSG_Q_WEIGHT,
	CAL_MSG_Q_HEIGHT,
	CAL_MSG_Q_ACTIVITY,
	CAL_MSG_Q_GOAL,
	CAL_MSG_QUIZ_INVALID,         /* %s accepted forms (the CAL_MSG_ACCEPT_* text of the question) */
	CAL_MSG_ACCEPT_GENDER,        /* no args: the accepted forms, per question */
	CAL_MSG_ACCEPT_AGE,
	CAL_MSG_ACCEPT_WEIGHT,
	CAL_MSG_ACCEPT_HEIGHT,
	CAL_MSG_ACCEPT_ACTIVITY,
	CAL_MSG_ACCEPT_GOAL,
	CAL_MSG_QUIZ_DONE,            /* %d bmr, %d daily goal, %d protein g, %d carbs g, %d fat g */
	CAL_MSG_TRIAL_STARTED,        /* %s trial length (cal_i18n_count(…, CAL_NOUN_DAY)); only when it did start */
	CAL_MSG_HOW_TO_LOG,           /* no args */
	CAL_MSG_FORM_INVALID,         /* %s the missing or invalid field names, e.g. "age, weight" */
	CAL_MSG_RESET_DONE,           /* no args */
	CAL_MSG_LANGUAGE_SET,         /* no args; pick it in the NEW language */
	CAL_MSG_STATUS,               /* %s gender label, %d age, %s kg, %s cm (cal_i18n_qty), %s activity label,
				       * %s goal label, %d bmr, %d daily goal, %d protein g, %d carbs g, %d fat g,
				       * %s plan (subscription label, or CAL_MSG_PLAN_UNTIL with its end date) */
	CAL_MSG_STATUS_NO_PROFILE,    /* no args */
	CAL_MSG_MEDIA_LATER,          /* no args: photos/voice not analysed yet */
	CAL_MSG_RATE_LIMITED,         /* no args */
	CAL_MSG_BAD_REQUEST,          /* no args: "I could not read that message" */
	CAL_MSG_UNAVAILABLE,          /* no args: apology when the database is down */
	CAL_MSG_INTERNAL,             /* no args */
	CAL_MSG_UNAUTHORIZED,         /* no args */
	/* Added for the rest of the conversation (§7–§9). */
	CAL_MSG_BTN_SUBSCRIBE,        /* no args: button caption */
	CAL_MSG_BTN_CONFIRM,          /* no args: button caption for confirm:<id> */
	CAL_MSG_BTN_CANCEL,           /* no args: button caption for cancel:<id> */
	CAL_MSG_FOOD_LOGGED,          /* no args: first line of the reply after a log */
	CAL_MSG_FOOD_ITEM,            /* %s item in words (cal_i18n_item), %d kcal: one line per matched item */
	CAL_MSG_FOOD_ITEM_UNMATCHED,  /* %s item name: an item that was not recognised and not counted */
	CAL_MSG_FOOD_TOTAL,           /* %d kcal, %d protein g, %d carbs g, %d fat g: the meal */
	CAL_MSG_DAY_PROGRESS,         /* %d consumed kcal, %d goal kcal, %d remaining kcal (more than 200 left) */
	CAL_MSG_DAY_OVER,             /* %d consumed kcal, %d goal kcal, %d kcal over the goal (more than 200) */
	CAL_MSG_FOOD_UNCLEAR,         /* no args: nothing matched (status food_unclear) */
	CAL_MSG_FOOD_TOO_HEAVY,       /* s f: item name, grams — an item beyond the plausible weight; asks */
	CAL_MSG_FOOD_TOO_MUCH,        /* f: kcal — a meal beyond the plausible energy; asks */
	CAL_MSG_FOOD_CONFIRM,         /* %.0f estimated kcal: low confidence, asks to confirm or describe */
	CAL_MSG_FOOD_CANCELLED,       /* no args */
	CAL_MSG_ANALYSIS_GONE,        /* no args: confirm/cancel of an analysis that is not pending */
	CAL_MSG_PROCESSING_PHOTO,     /* no args (status processing) */
	CAL_MSG_PROCESSING_AUDIO,     /* no args (status processing) */
	CAL_MSG_TRANSCRIPT,           /* %s transcript of a voice note */
	CAL_MSG_TRANSCRIPT_UNCLEAR,   /* %s transcript of a voice note in which no food was recognised */
	CAL_MSG_JOB_FAILED,           /* no args: a background analysis gave up */
	CAL_MSG_DAY_SUMMARY,          /* %s date in words, %s meals (cal_i18n_count), %d consumed kcal, %d goal kcal */
	CAL_MSG_DAY_MACROS,           /* %d protein g, %d target, %d carbs g, %d target, %d fat g, %d target */
	CAL_MSG_DAY_EMPTY,            /* no args: nothing logged today */
	CAL_MSG_WEEK_HEAD,            /* no args */
	CAL_MSG_WEEK_LINE,            /* %s weekday and day ("jueves 3"), %d consumed kcal, %d goal kcal */
	CAL_MSG_WEEK_AVERAGE,         /* %d average kcal per logged day, %s days with logs (cal_i18n_count) */
	CAL_MSG_WEEK_EMPTY,           /* no args */
	CAL_MSG_UNDONE,               /* %s the removed items in words, %d their kcal */
	CAL_MSG_NOTHING_TO_UNDO,      /* no args */
	CAL_MSG_SUBSCRIBE_LINK,       /* %s price ("4999.00"), %s currency ("ARS"); the link goes in a button */
	CAL_MSG_ALREADY_SUBSCRIBED,   /* no args */
	CAL_MSG_LIMIT_REACHED,        /* %d free analyses per day */
	CAL_MSG_REC_UNDER,            /* %d kcal still to eat (more than 200 under the goal) */
	CAL_MSG_REC_OVER,             /* %d kcal over the goal (more than 200) */
	CAL_MSG_REC_CLOSE,            /* no args: within 200 kcal of the goal */
	CAL_MSG_REC_PROTEIN_LOW,      /* %d protein g eaten, %d target g (under 70 %) */
	CAL_MSG_REC_FIBER_LOW,        /* %.0f fiber g (under 20 g) */
	CAL_MSG_REC_SODIUM_HIGH,      /* %.0f sodium mg (over 2000 mg) */
	CAL_MSG_PROFILE_UPDATED,      /* no args: the form quiz replaced a completed profile */
	CAL_MSG_SUB_ACTIVE,           /* %s paid-until date in words (cal_i18n_date, CAL_DATE_DAY_MONTH) */
	CAL_MSG_SUB_PAUSED,           /* no args */
	CAL_MSG_SUB_CANCELLED,        /* %s date until which access remains, in words */
	CAL_MSG_SUB_PAYMENT_FAILED,   /* no args */
	CAL_MSG_SUB_REVOKED,          /* no args: refunded or charged back */
	CAL_MSG_TRIAL_ENDED,          /* %d free analyses per day from now on */
	CAL_MSG_PLAN_UNTIL,           /* %s subscription label, %s end date in words ("10 de diciembre") */
	CAL_MSG_DELETE_ASK,           /* no args: "delete my data" asks for confirmation (privacy.h) */
	CAL_MSG_DELETE_DONE,          /* no args: everything was erased */
	CAL_MSG_DELETE_NOT_ASKED,     /* no args: a confirmation without a recent request */
	CAL_MSG_LOOKING_UP,           /* %s names of the items being looked up: the rest of a text meal (§7.2) */
	/* The conversation as a coach would hold it. */
	CAL_MSG_DAY_CLOSE,            /* %d consumed, %d goal, %d remaining kcal (0–200 left) */
	CAL_MSG_DAY_JUST_OVER,        /* %d consumed, %d goal, %d kcal over (1–200 over) */
	CAL_MSG_TODAY_HEAD,           /* %s today's date in words */
	CAL_MSG_TODAY_ENTRY,          /* %d number, %s local time "HH:MM", %s items in words, %d kcal */
	CAL_MSG_TODAY_HINT,           /* no args: how to delete an entry by its number */
	CAL_MSG_WEEK_SINCE,           /* %s sign-up date in words: head of a week shorter than 7 days */
	CAL_MSG_WEEK_LINE_EMPTY,      /* %s weekday and day: a day without logs */
	CAL_MSG_DELETED,              /* %d entry number, %s its items in words, %d its kcal */
	CAL_MSG_NO_SUCH_ENTRY,        /* %d the number asked for */
	CAL_MSG_RESET_CONFIRM,        /* no args: asks before erasing the profile */
	CAL_MSG_RESET_KEPT,           /* no args: the reset was declined */
	CAL_MSG_BTN_RESET_YES,        /* no args: caption of the reset_confirm quick reply */
	CAL_MSG_BTN_RESET_NO,         /* no args: caption of the reset_cancel quick reply */
	CAL_MSG_SMALL_THANKS,         /* no args: "gracias", "thanks" */
	CAL_MSG_SMALL_OK,             /* no args: "ok", "dale", "👍" */
	CAL_MSG_SMALL_HELLO,          /* %s ", Name" or "": a greeting from a user who has a profile */
	CAL_MSG_SMALL_BYE,            /* no args */
	CAL_MSG_Q_TIMEZONE,           /* no args: the 7th question, asked only when no request carried a timezone */
	CAL_MSG_ACCEPT_TIMEZONE,      /* no args */
	CAL_MSG_EDITED,               /* %d entry number, %s new items in words, %d new kcal, %s old items, %d old kcal */
	CAL_MSG_LOOKUP_FAILED,        /* %s names of the items the look-up could not find (left out of the total) */
	CAL_MSG__MAX
} cal_msg;

/* The template in the language (never NULL; an unknown message or language falls back to something safe). */
const char *cal_i18n(cal_msg m, cal_lang lang);
/* "es"/"en" from locale strings such as "es_AR", "en-US", "Spanish", "English", "español"; -1 unknown. */
int cal_i18n_lang_from_locale(const char *locale, cal_lang *out);
const char *cal_i18n_lang_code(cal_lang lang);
/* The language a message is written in, when its small words make it clear ("hi", "I had…" → en); -1 unsure. */
int cal_i18n_guess_lang(const char *text, cal_lang *out);

/*
 * The message formatted with its arguments, allocated from the arena, cut to at most CAL_I18N_TEXT_MAX
 * bytes at a character boundary (ending in "…" when cut). The arguments must follow the enum comment.
 */
char *cal_i18n_printf(cal_arena *a, cal_msg m, cal_lang lang, ...);
char *cal_i18n_vprintf(cal_arena *a, cal_msg m, cal_lang lang, va_list ap);

/* The conversions a message takes, one letter each: 'd' int, 'f' double, 's' string; "" for none. */
const char *cal_i18n_args(cal_msg m);

/* The question and the accepted-forms text for quiz step 1–6 (cal_quiz_field); CAL_MSG__MAX otherwise. */
cal_msg cal_i18n_quiz_question(int step);
cal_msg cal_i18n_quiz_accept(int step);

/* ---- words ------------------------------------------------------------------------------------------ */

typedef enum cal_noun { CAL_NOUN_MEAL, CAL_NOUN_DAY, CAL_NOUN_ITEM, CAL_NOUN__MAX } cal_noun;
/* A count with its noun in the right number: "1 comida", "3 comidas", "1 day", "2 days" (never "(s)"). */
const char *cal_i18n_count(cal_arena *a, cal_lang lang, int n, cal_noun noun);
/* The plural of a food name: "huevo revuelto" → "huevos revueltos", "scrambled egg" → "scrambled eggs",
 * "ensalada de lechuga" → "ensaladas de lechuga". */
const char *cal_i18n_plural(cal_arena *a, cal_lang lang, const char *name);
/* A quantity as people write it: "2", "½", "1½", "2,5" (es) / "2.5" (en). */
const char *cal_i18n_qty(cal_arena *a, cal_lang lang, double q);
/* A measurement with at most one decimal, written as in the language: "70", "70,5" (es), "70.5" (en). */
const char *cal_i18n_decimal(cal_arena *a, cal_lang lang, double v);
/*
 * A food item in words with its count and natural unit (the SPEC §5.4 item's name, quantity, unit, grams,
 * and ml when it is drunk): "2 huevos revueltos (122 g)", "1 lata de coca-cola (355 ml)", "200 g de pollo",
 * "½ palta (101 g)", "milanesa (150 g)" for one usual portion. ml > 0 shows millilitres instead of grams;
 * with_amount false leaves the brackets out.
 */
const char *cal_i18n_item(cal_arena *a, cal_lang lang, const char *name, double qty, const char *unit,
			  double grams, double ml, bool with_amount);

typedef enum cal_date_style {
	CAL_DATE_FULL,        /* "jueves 3 de diciembre", "Thursday, December 3" */
	CAL_DATE_DAY_MONTH,   /* "3 de diciembre", "December 3" */
	CAL_DATE_WEEKDAY_DAY, /* "jueves 3", "Thursday 3" */
} cal_date_style;
/* A "YYYY-MM-DD" date in words (never ISO); "" when the date is malformed. */
const char *cal_i18n_date(cal_arena *a, cal_lang lang, const char *ymd, cal_date_style style);
/* 0 = Sunday … 6 = Saturday; -1 when malformed. */
int cal_i18n_weekday(const char *ymd);
/* The local date ("YYYY-MM-DD") at offset_min of an RFC 3339 UTC time ("2026-12-10T05:00:00Z"); -1 malformed. */
int cal_i18n_local_date(const char *rfc3339, int offset_min, char out[11]);

/* Labels for CAL_MSG_STATUS, never NULL ("?" for an unknown value). */
const char *cal_i18n_gender_label(cal_gender g, cal_lang lang);
const char *cal_i18n_activity_label(cal_activity a, cal_lang lang);
const char *cal_i18n_goal_label(cal_goal g, cal_lang lang);
/* users.subscription_status (SPEC §9.1: "none", "trial", "active", …) as words. */
const char *cal_i18n_subscription_label(const char *status, cal_lang lang);

#endif
