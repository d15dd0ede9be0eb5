/*
 * Unit tests for src/cli.c: `caloria check-config` exit status and output. The program's main() is
 * renamed so the file can be included to reach its static command functions (STYLE.md item 13).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define main cli_main
int cli_main(int argc, char **argv);
#include "../../src/cli.c"
#undef main

/* The text a capture file received, in a calloc'd buffer; the file is removed. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;

	cr_assert_not_null(f);
	buf = calloc(1, 65536);
	buf[fread(buf, 1, 65535, f)] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

/*
 * Runs a command function (argv[0] is the command's first argument) with stdout and stderr going to files;
 * returns its exit status and what each stream received (out may be NULL when stdout does not matter).
 */
static int captured(int (*cmd)(const char *, int, char **), const char *path, char **argv, char **out,
		    char **err)
{
	char outp[] = "/tmp/caloria-cli-out-XXXXXX", errp[] = "/tmp/caloria-cli-err-XXXXXX";
	int ofd = mkstemp(outp), efd = mkstemp(errp);

	cr_assert(ofd >= 0 && efd >= 0);
	fflush(stdout);
	fflush(stderr);
	int so = dup(STDOUT_FILENO), se = dup(STDERR_FILENO);
	dup2(ofd, STDOUT_FILENO);
	dup2(efd, STDERR_FILENO);
	int rc = cmd(path, 1, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	close(ofd);
	close(efd);
	if (out != NULL)
		*out = slurp(outp);
	else
		unlink(outp);
	*err = slurp(errp);
	return rc;
}

/* Runs check-config on a config file holding text; returns the exit status and what went to stdout/stderr. */
static int check_config(const char *text, char **out, char **err)
{
	char cfg[] = "/tmp/caloria-cli-XXXXXX";
	int fd = mkstemp(cfg);
	char *argv[] = {"check-config", NULL};

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = captured(cmd_check_config, cfg, argv, out, err);
	unlink(cfg);
	return rc;
}

Test(cli, check_config_fails_when_webhook_token_empty)
{
	char *out, *err;
	unsetenv("CALORIA_MANYCHAT_WEBHOOK_TOKEN");
	int rc = check_config("[manychat]\nwebhook_token =\n", &out, &err);
	cr_expect_neq(rc, 0, "an empty required key must fail check-config");
	cr_expect_not_null(strstr(err, "manychat.webhook_token is required"), "stderr: %s", err);
	free(out);
	free(err);
}

Test(cli, check_config_passes_and_hides_secrets)
{
	char *out, *err;
	unsetenv("CALORIA_MANYCHAT_WEBHOOK_TOKEN");
	int rc = check_config("[manychat]\nwebhook_token = hunter2-secret-token\n[database]\npassword = pw-secret-9\n",
			      &out, &err);
	cr_expect_eq(rc, 0, "stderr: %s", err);
	cr_expect_not_null(strstr(out, "manychat.webhook_token = (set)"), "stdout: %s", out);
	cr_expect_null(strstr(out, "hunter2"));
	cr_expect_null(strstr(out, "pw-secret-9"));
	cr_expect_null(strstr(err, "hunter2"));
	free(out);
	free(err);
}

Test(cli, check_config_takes_required_key_from_environment)
{
	char *out, *err;
	setenv("CALORIA_MANYCHAT_WEBHOOK_TOKEN", "from-env-token", 1);
	int rc = check_config("[app]\ndefault_language = en\n", &out, &err);
	unsetenv("CALORIA_MANYCHAT_WEBHOOK_TOKEN");
	cr_expect_eq(rc, 0, "stderr: %s", err);
	cr_expect_null(strstr(out, "from-env-token"));
	free(out);
	free(err);
}

Test(cli, check_config_reports_missing_key_with_other_problems)
{
	char *out, *err;
	unsetenv("CALORIA_MANYCHAT_WEBHOOK_TOKEN");
	int rc = check_config("[server]\nmax_requests = lots\n", &out, &err);
	cr_expect_neq(rc, 0);
	cr_expect_not_null(strstr(err, "max_requests"), "stderr: %s", err);
	cr_expect_not_null(strstr(err, "manychat.webhook_token is required"), "stderr: %s", err);
	cr_expect_not_null(strstr(err, "2 problems found"), "stderr: %s", err);
	free(out);
	free(err);
}

/* Runs `caloria food` on data_dir with the text; the exit status and stderr. */
static int food(const char *data_dir, char *text, char **err)
{
	char *argv[] = {text, NULL};

	return captured(cal_foodcli_main, data_dir, argv, NULL, err);
}

/* A missing table is named, with the two ways to point at the tables. */
Test(cli, food_names_the_missing_table_and_how_to_point_at_one)
{
	char *err = NULL;

	cr_assert_eq(food("/nonexistent-caloria-data", "2 huevos", &err), 1);
	cr_expect_not_null(strstr(err, "/nonexistent-caloria-data/usda_sr24.tsv cannot be read"), "%s", err);
	cr_expect_not_null(strstr(err, "make install"), "%s", err);
	cr_expect_not_null(strstr(err, "food.data_dir"), "%s", err);
	cr_expect_not_null(strstr(err, "CALORIA_FOOD_DATA_DIR="), "%s", err);
	free(err);
}

/* Without a configuration, the default directory works: installed tables, or this build's source data/. */
Test(cli, food_works_with_the_default_directory)
{
	char *err = NULL;

	cr_expect_eq(food(CAL_DATADIR "/data", "2 huevos", &err), 0, "%s", err);
	free(err);
}
