/*
 * The request pipeline (SPEC §1): parse (limits) → request id → route lookup → rate limit → auth →
 * handler → response → metrics and one access log line. The process front calls cal_app_handle() once
 * per request; nothing allocated for a request survives it.
 */
#ifndef CALORIA_APP_H
#define CALORIA_APP_H

#include "caloria/ctx.h"
#include "caloria/http.h"

/* Handles one request read from io and writes the response to io. Returns 0, or -1 if writing failed. */
int cal_app_handle(cal_ctx *ctx, cal_arena *arena, const cal_io *io);

#endif
