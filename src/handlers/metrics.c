/*
 * Metrics endpoints (SPEC §13): the pool-wide counters of the shared segment, as JSON (/health/metrics)
 * and as Prometheus text exposition 0.0.4 (/metrics). Both read the same counters, so they always agree.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "caloria/handlers.h"
#include "caloria/metrics.h"

cal_err cal_h_health_metrics(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	if (ctx->shm == NULL)
		return CAL_ERR_UNAVAILABLE;
	char *json = cal_metrics_json(ctx->shm, (double)(time(NULL) - ctx->started));
	if (json == NULL)
		return CAL_ERR_INTERNAL;
	cal_resp_text(resp, 200, "application/json; charset=utf-8", json, strlen(json));
	free(json);
	return CAL_OK;
}

cal_err cal_h_metrics(cal_ctx *ctx, cal_request *req, cal_response *resp)
{
	if (ctx->shm == NULL)
		return CAL_ERR_UNAVAILABLE;
	char *text = cal_metrics_prometheus(ctx->shm);
	if (text == NULL)
		return CAL_ERR_INTERNAL;
	cal_resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
	free(text);
	return CAL_OK;
}
