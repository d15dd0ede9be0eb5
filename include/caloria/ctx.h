/*
 * The per-worker context: the one piece of long-lived state a worker owns. Created once when the worker
 * starts (or per CLI command), handed to every handler, freed when the worker exits.
 */
#ifndef CALORIA_CTX_H
#define CALORIA_CTX_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "caloria/conf.h"
#include "caloria/err.h"

struct cal_db;
struct cal_shm;
struct cal_api;
struct cal_fooddb;

typedef struct cal_ctx {
	cal_conf conf;             /* owned */
	char *conf_path;           /* owned; where conf came from (NULL = defaults/env only) */
	struct cal_db *db;         /* owned; connects lazily */
	struct cal_shm *shm;       /* owned mapping of the shared cache file; NULL if it could not be opened */
	struct cal_api *api;       /* owned; external API clients */
	struct cal_fooddb *food;   /* owned; nutrient table + aliases, loaded once */
	time_t started;            /* wall clock at start, for uptime */
	pid_t pid;
	unsigned long long served; /* requests handled by this worker */
	/* handlers/health.c: the last migration check of /health/ready, so frequent probes do not re-read the
	 * schema directory (zero-initialised by cal_ctx_init's memset; nothing to free) */
	time_t ready_checked;      /* when the check ran, 0 = never */
	int ready_pending;         /* migrations pending then, or -1 when the check failed */
	/* jobs.h: in managed and CGI modes there is no job runner, so the worker runs the jobs it enqueued once
	 * its response is complete (set by the process front; zero elsewhere) */
	bool jobs_inline;
	long long jobs_after[8];   /* ids enqueued during the current request */
	int njobs_after;
} cal_ctx;

/*
 * Loads the config (issues printed to stderr), sets up logging, the db handle (not connected), the shared
 * segment and the API clients. Food data are loaded lazily by cal_ctx_food().
 */
cal_err cal_ctx_init(cal_ctx *ctx, const char *config_path);

/* What cal_ctx_init_ex sets up beyond the configuration, logging and the database handle. */
#define CAL_CTX_SHARED 0x1u /* map the shared cache file (workers; CLI commands that use the cache) */

/* cal_ctx_init with a choice of parts: CLI commands that never touch the cache skip mapping it. */
cal_err cal_ctx_init_ex(cal_ctx *ctx, const char *config_path, unsigned parts);
void cal_ctx_free(cal_ctx *ctx);
/* The food tables, loaded on first use; NULL (and logged) if the data files are broken. */
struct cal_fooddb *cal_ctx_food(cal_ctx *ctx);

#endif
