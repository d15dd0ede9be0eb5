/*
 * Conversation commands (SPEC §5.3 steps 1 and 4): recognises button/quick-reply payloads and the text
 * commands in Spanish and English. Pure functions; the ManyChat handler decides what each command does.
 */
#ifndef CALORIA_COMMAND_H
#define CALORIA_COMMAND_H

#include <stdint.h>

#include "caloria/err.h"

typedef enum cal_command {
	CAL_CMD_NONE = 0,     /* not a command: quiz answer or food text */
	CAL_CMD_HELP,         /* ayuda | help | ? */
	CAL_CMD_QUIZ_START,   /* quiz | empezar | start | /start; payload start_quiz */
	CAL_CMD_RESET,        /* reiniciar | reset */
	CAL_CMD_TODAY,        /* hoy | today | resumen | summary; payload today */
	CAL_CMD_WEEK,         /* semana | week */
	CAL_CMD_UNDO,         /* deshacer | undo | borrar; payload undo */
	CAL_CMD_LANGUAGE,     /* idioma en | language es | english | español; payload set_language:es|en */
	CAL_CMD_SUBSCRIBE,    /* premium | suscribirme | subscribe; payload subscribe */
	CAL_CMD_STATUS,       /* estado | status | mi plan */
	CAL_CMD_NEW_FOOD_LOG, /* payload new_food_log */
	CAL_CMD_CONFIRM,      /* payload confirm:<analysis id> */
	CAL_CMD_CANCEL,       /* payload cancel:<analysis id> */
	CAL_CMD_DELETE_DATA,  /* borrar mis datos | delete my data; payload delete_my_data */
	CAL_CMD_DELETE_CONFIRM, /* confirmar borrado | confirm delete; payload delete_my_data:confirm */
	CAL_CMD_DELETE,       /* borrar 2 | delete 2 | eliminar la 2: entry 2 of today's list (arg.number) */
	CAL_CMD_RESET_CONFIRM,/* sí, reiniciar | yes, reset; payload reset_confirm */
	CAL_CMD_RESET_CANCEL, /* payload reset_cancel */
	CAL_CMD_SMALL_TALK,   /* gracias, ok, 👍, hola, chau, thanks, hi, bye … (arg.small) */
	CAL_CMD_EDIT,         /* cambiar 2 por 3 huevos | change 2 to 3 eggs: entry 2 of today (arg.number, arg.text) */
	CAL_CMD__MAX
} cal_command;

/* What a small-talk message is. */
typedef enum cal_small_talk {
	CAL_SMALL_THANKS,
	CAL_SMALL_OK,
	CAL_SMALL_HELLO,
	CAL_SMALL_BYE,
} cal_small_talk;

/* The argument of a command: the language for CAL_CMD_LANGUAGE, the analysis id for confirm/cancel. */
typedef struct cal_command_arg {
	cal_lang lang;           /* set only for CAL_CMD_LANGUAGE */
	int64_t analysis_id;     /* 1 … 2^63−1, set only for CAL_CMD_CONFIRM / CAL_CMD_CANCEL */
	int number;              /* 1 … 99, set only for CAL_CMD_DELETE and CAL_CMD_EDIT */
	const char *text;        /* CAL_CMD_EDIT: the new description, pointing into the message */
	cal_small_talk small;    /* set only for CAL_CMD_SMALL_TALK */
} cal_command_arg;

/*
 * The command for a message. The payload (may be NULL) is looked at first and must match exactly (case-
 * and surrounding-space-insensitive); a payload that is not a known one is ignored and the text decides.
 * The text (may be NULL) matches only as a whole message, case-, accent- and punctuation-insensitive:
 * "¡Hoy!" is CAL_CMD_TODAY, "hoy comí 2 huevos" is CAL_CMD_NONE. arg may be NULL.
 */
cal_command cal_command_match_arg(const char *text, const char *payload, cal_command_arg *arg);

/* Same, with only the language argument (lang_arg may be NULL; set only for CAL_CMD_LANGUAGE). */
cal_command cal_command_match(const char *text, const char *payload, cal_lang *lang_arg);

/* Stable name for logs and metrics: "help", "quiz_start", …; "none" for CAL_CMD_NONE, NULL if out of range. */
const char *cal_command_name(cal_command c);

#endif
