/*
 * A user's right to their data (SPEC §11, privacy policy): export everything kept about one user as JSON,
 * and erase it — the user row and, through the schema's cascades, food logs, daily stats, analyses,
 * subscriptions, funnel events and jobs. Payments are kept for accounting but anonymised (no user, no
 * preapproval, no raw MercadoPago document). Used by `caloria user export|delete` and by the chat command
 * "borrar mis datos" / "delete my data" (with confirmation).
 */
#ifndef CALORIA_PRIVACY_H
#define CALORIA_PRIVACY_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "caloria/ctx.h"

#define CAL_PRIVACY_CONFIRM_S 600 /* a chat deletion must be confirmed within 10 minutes of asking */

/* Everything about user_id as one JSON document (*out, caller puts). CAL_ERR_NOT_FOUND when no such user. */
cal_err cal_privacy_export(cal_ctx *ctx, cal_arena *a, long long user_id, struct json_object **out);
/*
 * Erases user_id inside the caller's open transaction (the caller commits). how ("cli", "chat") goes to the
 * audit record, which names only the numeric id. CAL_ERR_NOT_FOUND when no such user.
 */
cal_err cal_privacy_erase_in_tx(cal_ctx *ctx, cal_arena *a, long long user_id, const char *how);
/* Erase in a transaction of its own. */
cal_err cal_privacy_erase(cal_ctx *ctx, cal_arena *a, long long user_id, const char *how);

/* Chat: records that the user asked (inside the turn's transaction). */
cal_err cal_privacy_request(cal_ctx *ctx, long long user_id);
/* Chat: did the user ask within CAL_PRIVACY_CONFIRM_S? */
cal_err cal_privacy_requested(cal_ctx *ctx, cal_arena *a, long long user_id, bool *yes);

/* `caloria user export ID` / `caloria user delete ID`. Exit status 0, 1 or 2. */
int cal_privacy_cli_main(cal_ctx *ctx, int argc, char **argv);

#endif
