/*
 * The operator's command line (SPEC §11): `caloria [--config FILE] COMMAND …`. One static table maps a
 * command name to its function and usage line; a module that brings its own command (food, admin, jobs …)
 * exports `int cal_<module>_cli_main(cal_ctx *ctx, int argc, char **argv)` and gets one row here.
 *
 * Commands run with a full per-process context (configuration, database handle, shared segment), except
 * `version` and `check-config`, which must work even when the configuration is broken. Exit status: 0 on
 * success, 1 when the command failed (message on stderr), 2 for a usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "caloria/admin_auth.h"
#include "caloria/billing_sweep.h"
#include "caloria/conf.h"
#include "caloria/ctx.h"
#include "caloria/db.h"
#include "caloria/err.h"
#include "caloria/foodcli.h"
#include "caloria/jobs.h"
#include "caloria/migrate.h"
#include "caloria/privacy.h"
#include "caloria/summary.h"
#include "caloria/maintenance.h"
#include "caloria/version.h"

#define EXIT_USAGE 2

typedef struct command {
	const char *name;
	/* Exactly one of the two is set: with a context built from the config, or bare. */
	int (*run)(cal_ctx *ctx, int argc, char **argv);
	int (*run_bare)(const char *config_path, int argc, char **argv);
	const char *usage;
	unsigned parts; /* CAL_CTX_* parts the command needs beyond config, log and database */
} command;

static int cmd_migrate(cal_ctx *ctx, int argc, char **argv);
static int cmd_food(cal_ctx *ctx, int argc, char **argv);
static int cmd_check_config(const char *config_path, int argc, char **argv);
static int cmd_version(const char *config_path, int argc, char **argv);

/* argv[0] of every command function is the command name. */
static const command commands[] = {
	{"migrate", cmd_migrate, NULL, "migrate [--status]      apply pending schema migrations, or list them", 0},
	{"food", cmd_food, NULL, "food [--json] \"TEXT\"    analyse a meal description offline and print the items", 0},
	{"send-daily-summaries", cal_summary_cli_main, NULL,
	 "send-daily-summaries [--date YYYY-MM-DD] [--dry-run]\n"
	 "                          send yesterday's summary to every user who logged food (once per day)", CAL_CTX_SHARED},
	{"admin", cal_admin_cli_main, NULL,
	 "admin create USER --role admin|viewer | admin passwd USER | admin token create NAME [--role R]\n"
	 "                          manage panel users (password on stdin) and API tokens (shown once)", 0},
	{"user", cal_privacy_cli_main, NULL,
	 "user export ID | user delete ID\n"
	 "                          print all data of a user as JSON, or erase it (payments kept anonymised)", 0},
	{"jobs", cal_jobs_cli_main, NULL,
	 "jobs run [--once]       run due background jobs (photos, voice, look-ups, pushes); --once: until none is due",
	 CAL_CTX_SHARED},
	{"subscriptions-sweep", cal_billing_sweep_cli_main, NULL,
	 "subscriptions-sweep     end the trials that are due (telling each user once) and requeue stuck\n"
	 "                          MercadoPago notifications", 0},
	{"cleanup", cal_maintenance_cli_main, NULL,
	 "cleanup                 delete expired sessions, old notifications and finished jobs", 0},
	{"check-config", NULL, cmd_check_config, "check-config            validate the configuration and print it", 0},
	{"version", NULL, cmd_version, "version                 print version, build and library versions", 0},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: caloria [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %s\n", commands[i].usage);
	fprintf(out, "\nFILE defaults to $CALORIA_CONFIG, else %s/caloria.conf\n", CAL_SYSCONFDIR);
}

/* Says why the database could not be used, without anything secret (errno only). */
static void db_failure(cal_ctx *ctx, const char *what, cal_err e)
{
	fprintf(stderr, "caloria %s: failed: %s", what, cal_err_message(e, CAL_LANG_EN));
	if (cal_db_last_errno(ctx->db) != 0)
		fprintf(stderr, " (MariaDB error %u)", cal_db_last_errno(ctx->db));
	fputc('\n', stderr);
}

static int cmd_migrate(cal_ctx *ctx, int argc, char **argv)
{
	const char *dir = ctx->conf.paths_schema_dir;
	bool status = false;
	cal_err e;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") != 0) {
			fprintf(stderr, "caloria migrate: unknown argument '%s'\nusage: caloria %s\n", argv[i],
				commands[0].usage);
			return EXIT_USAGE;
		}
		status = true;
	}
	if (dir == NULL || dir[0] == '\0') {
		fprintf(stderr, "caloria migrate: paths.schema_dir is not set\n");
		return 1;
	}
	if (status) {
		cal_migration_status st;
		e = cal_migrate_status(ctx->db, dir, &st, stdout);
	} else {
		e = cal_migrate_apply(ctx->db, dir, stdout);
	}
	if (e != CAL_OK) {
		db_failure(ctx, "migrate", e);
		return 1;
	}
	return 0;
}

/* The food tables come from food.data_dir of the configuration; foodcli.c does the rest. */
static int cmd_food(cal_ctx *ctx, int argc, char **argv)
{
	return cal_foodcli_main(ctx->conf.food_data_dir, argc - 1, argv + 1);
}

static int cmd_check_config(const char *config_path, int argc, char **argv)
{
	cal_conf conf;
	cal_conf_issues issues = {0};
	char *used = NULL;
	const char *missing;
	int rc = 0;
	cal_err e;

	if (argc > 1) {
		fprintf(stderr, "usage: caloria [--config FILE] check-config\n");
		return EXIT_USAGE;
	}
	e = cal_conf_load(&conf, config_path, &issues, &used);
	/* A required key left empty is an error here; the server still starts and reports not ready. */
	missing = cal_conf_missing_required(&conf);
	if (e != CAL_OK || issues.count > 0) {
		cal_conf_issues_print(&issues, stderr);
		if (missing != NULL)
			fprintf(stderr, "%s is required but empty\n", missing);
		fprintf(stderr, "caloria check-config: %zu problem%s found\n", issues.count + (missing != NULL),
			issues.count + (missing != NULL) == 1 ? "" : "s");
		rc = 1;
		goto out;
	}
	printf("# configuration: %s\n", used != NULL ? used : "(defaults and environment only)");
	cal_conf_print(&conf, stdout);
	if (missing != NULL) {
		fprintf(stderr, "%s is required but empty; the service would start but report not ready\n"
				"caloria check-config: 1 problem found\n", missing);
		rc = 1;
	}
out:
	cal_conf_issues_free(&issues);
	cal_conf_free(&conf);
	free(used);
	return rc;
}

static int cmd_version(const char *config_path, int argc, char **argv)
{
	struct json_object *v, *libs;
	bool as_json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > 2 || (argc == 2 && !as_json)) {
		fprintf(stderr, "usage: caloria version [--json]\n");
		return EXIT_USAGE;
	}
	v = cal_version_json();
	if (as_json) {
		printf("%s\n", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(v);
		return 0;
	}
	printf("caloria %s\ngit commit: %s\nbuilt: %s\n", cal_version(), cal_version_commit(),
	       cal_version_build_date());
	libs = json_object_object_get(v, "libraries");
	json_object_object_foreach(libs, name, val)
		printf("%s: %s\n", name, json_object_get_string(val));
	json_object_put(v);
	return 0;
}

/* Splits off the global options; returns the index of the command word or -1 (usage already printed). */
static int global_options(int argc, char **argv, const char **config_path)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "caloria: %s needs a file name\n", argv[i]);
				return -1;
			}
			*config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			*config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(argv[i], "--version") == 0) {
			exit(cmd_version(NULL, 1, argv));
		} else {
			fprintf(stderr, "caloria: unknown option '%s'\n", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return -1;
	}
	return i;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	const command *cmd = NULL;
	cal_ctx ctx;
	int at, rc;

	at = global_options(argc, argv, &config_path);
	if (at < 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, argv[at]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "caloria: unknown command '%s'\n", argv[at]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd->run_bare != NULL)
		return cmd->run_bare(config_path, argc - at, argv + at);
	if (cal_ctx_init_ex(&ctx, config_path, cmd->parts) != CAL_OK) {
		fprintf(stderr, "caloria %s: the configuration has errors (see above; `caloria check-config`)\n",
			cmd->name);
		cal_ctx_free(&ctx); /* the half-loaded conf is free-safe */
		return 1;
	}
	rc = cmd->run(&ctx, argc - at, argv + at);
	cal_ctx_free(&ctx);
	return rc;
}
