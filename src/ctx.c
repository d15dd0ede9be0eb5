/*
 * The per-worker context: loads the configuration once, owns the database handle, the API clients, the
 * mapping of the shared cache file and the food tables. Everything here lives as long as the worker (or CLI
 * command).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "caloria/apiclient.h"
#include "caloria/ctx.h"
#include "caloria/db.h"
#include "caloria/fooddb.h"
#include "caloria/log.h"
#include "caloria/mem.h"
#include "caloria/shm.h"

static void open_shared(cal_ctx *ctx)
{
	char err[256] = "";
	size_t bytes = (size_t)ctx->conf.cache_size_mb * 1024 * 1024;

	if (cal_shm_open(&ctx->shm, ctx->conf.cache_path, bytes, err, sizeof err) != 0) {
		/* The pool still serves without it: cache misses, per-process limits are skipped. */
		cal_error("app", "shared cache %s unavailable: %s", ctx->conf.cache_path, err);
		ctx->shm = NULL;
	}
}

cal_err cal_ctx_init(cal_ctx *ctx, const char *config_path)
{
	return cal_ctx_init_ex(ctx, config_path, CAL_CTX_SHARED);
}

cal_err cal_ctx_init_ex(cal_ctx *ctx, const char *config_path, unsigned parts)
{
	cal_conf_issues issues = {0};
	cal_err e;

	memset(ctx, 0, sizeof *ctx);
	ctx->started = time(NULL);
	ctx->pid = getpid();
	e = cal_conf_load(&ctx->conf, config_path, &issues, &ctx->conf_path);
	if (e != CAL_OK) {
		cal_conf_issues_print(&issues, stderr);
		cal_conf_issues_free(&issues);
		cal_conf_free(&ctx->conf);
		free(ctx->conf_path);
		ctx->conf_path = NULL;
		return e;
	}
	cal_conf_issues_free(&issues);
	if (cal_log_init(ctx->conf.log_level, ctx->conf.log_file) != 0)
		fprintf(stderr, "caloria: cannot open log file; logging to stderr\n");
	ctx->db = cal_db_new(&ctx->conf);
	if (parts & CAL_CTX_SHARED)
		open_shared(ctx);
	ctx->api = cal_api_new(&ctx->conf, ctx->shm);
	return CAL_OK;
}

struct cal_fooddb *cal_ctx_food(cal_ctx *ctx)
{
	if (ctx->food == NULL) {
		cal_err e = cal_fooddb_load(ctx->conf.food_data_dir, &ctx->food, stderr);
		if (e != CAL_OK) {
			cal_error("app", "food tables in %s failed to load", ctx->conf.food_data_dir);
			ctx->food = NULL;
		}
#ifdef __GLIBC__
		/* Parsing the tables frees ~1.4 MB of buffers that glibc would keep resident in every worker for
		 * good (SPEC §15: worker RSS); hand them back once, right after the load. */
		malloc_trim(0);
#endif
	}
	return ctx->food;
}

void cal_ctx_free(cal_ctx *ctx)
{
	if (ctx->food)
		cal_fooddb_free(ctx->food);
	if (ctx->api)
		cal_api_free(ctx->api);
	if (ctx->shm)
		cal_shm_close(ctx->shm);
	if (ctx->db)
		cal_db_free(ctx->db);
	cal_conf_free(&ctx->conf);
	free(ctx->conf_path);
	memset(ctx, 0, sizeof *ctx);
}
