/*
 * Housekeeping for `caloria cleanup` (SPEC §11): deletes what has outlived its use — expired admin
 * sessions, processed or ignored MercadoPago notifications after their retention, failed admin logins and
 * finished jobs after theirs. Raw media is never stored, so there is none to delete.
 */
#ifndef CALORIA_MAINTENANCE_H
#define CALORIA_MAINTENANCE_H

#include <stdio.h>

#include "caloria/ctx.h"

#define CAL_CLEANUP_NOTIFICATION_DAYS 90 /* processed/ignored notifications: long enough to audit a payment */
#define CAL_CLEANUP_JOB_DAYS 14          /* done/failed jobs: long enough to look into a failure */
#define CAL_CLEANUP_LOGIN_FAILURE_DAYS 7 /* failed admin logins: the lockout needs 15 minutes, forensics a week */

/* Runs every deletion, printing one line per kind to out (may be NULL). */
cal_err cal_maintenance_cleanup(cal_ctx *ctx, FILE *out);
/* `caloria cleanup`: exit status 0 or 1. */
int cal_maintenance_cli_main(cal_ctx *ctx, int argc, char **argv);

#endif
