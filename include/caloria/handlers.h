/*
 * Every route handler, declared in one place for the dispatch table (routes.c). A handler fills resp and
 * returns CAL_OK, or returns an error and the pipeline renders the error envelope (router.h). Each module
 * in src/handlers/ appends its own block here.
 */
#ifndef CALORIA_HANDLERS_H
#define CALORIA_HANDLERS_H

#include <time.h>

#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/http.h"

/* src/handlers/health.c — SPEC §13 health endpoints. */
cal_err cal_h_health(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_live(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_ready(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_version(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_database(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_health_cache(cal_ctx *ctx, cal_request *req, cal_response *resp);

/* src/handlers/metrics.c — SPEC §13 metrics endpoints. */
cal_err cal_h_health_metrics(cal_ctx *ctx, cal_request *req, cal_response *resp);
cal_err cal_h_metrics(cal_ctx *ctx, cal_request *req, cal_response *resp);

#endif
