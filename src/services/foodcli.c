/*
 * `caloria food`: the operator's window on the food tables. Loads them (so it doubles as a validator of
 * data/ edits with --check), analyses the text exactly as the webhook would, and prints either a readable
 * table or the JSON of SPEC §5.4 caloria.analysis. Nothing here touches the database or the network.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "caloria/foodcli.h"
#include "caloria/fooddb.h"
#include "caloria/foodparse.h"
#include "caloria/mem.h"

static void usage(FILE *f)
{
	fputs("usage: caloria food [--json] \"<description>\"\n"
	      "       caloria food --check      (load and validate the food tables, print their size)\n",
	      f);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void print_table(const cal_food_analysis *a)
{
	printf("%-28s %8s %-8s %8s %8s %8s %8s %8s %8s  %s\n", "item", "qty", "unit", "grams", "kcal", "prot_g",
	       "carbs_g", "fat_g", "fiber_g", "ref");
	for (size_t i = 0; i < a->nitems; i++) {
		const cal_food_item *it = &a->items[i];
		if (!it->matched) {
			printf("%-28.28s %8.1f %-8s %8s %8s %8s %8s %8s %8s  %s\n", it->name, it->quantity, it->unit, "-",
			       "-", "-", "-", "-", "-", "(not matched)");
			continue;
		}
		printf("%-28.28s %8.1f %-8s %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f  %s%s\n", it->name, it->quantity,
		       it->unit, it->grams, it->n.kcal, it->n.protein_g, it->n.carbs_g, it->n.fat_g, it->n.fiber_g,
		       it->ref, it->explicit_qty ? "" : " (default portion)");
	}
	printf("%-28s %8s %-8s %8s %8.1f %8.1f %8.1f %8.1f %8.1f\n", "total", "", "", "", a->total.kcal,
	       a->total.protein_g, a->total.carbs_g, a->total.fat_g, a->total.fiber_g);
	printf("confidence %.2f, %zu of %zu items matched, status %s\n", a->confidence, a->nmatched, a->nitems,
	       a->nmatched > 0 ? "food_logged" : "food_unclear");
}

static const char *const table_files[] = {"usda_sr24.tsv", "aliases.csv", "recipes.csv"};

/* The first of the tables that cannot be read in dir, or NULL when all three can. */
static const char *missing_table(const char *dir, char *path, size_t n)
{
	for (size_t i = 0; i < sizeof table_files / sizeof table_files[0]; i++) {
		snprintf(path, n, "%s/%s", dir, table_files[i]);
		if (access(path, R_OK) != 0)
			return path;
	}
	return NULL;
}

/*
 * Where the tables are: food.data_dir. A build that was never installed has nothing in the built-in default
 * directory, so that default falls back to data/ of the source tree the binary was built from, which is
 * what a developer running build/caloria means. A configured directory is never second-guessed.
 */
static const char *tables_dir(const char *configured)
{
	char path[4096];

#if defined(CAL_DATADIR) && defined(CAL_SRCDATADIR)
	if (strcmp(configured, CAL_DATADIR "/data") == 0 && missing_table(configured, path, sizeof path) != NULL &&
	    missing_table(CAL_SRCDATADIR, path, sizeof path) == NULL)
		return CAL_SRCDATADIR;
#else
	(void)path;
#endif
	return configured;
}

int cal_foodcli_main(const char *data_dir, int argc, char **argv)
{
	int rc = 2;
	bool json = false, check = false;
	cal_buf text;
	cal_fooddb *db = NULL;
	cal_arena arena;
	cal_buf_init(&text);
	cal_arena_init(&arena, 0);

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--check") == 0) {
			check = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			rc = 0;
			goto cleanup;
		} else if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "caloria food: unknown option %s\n", argv[i]);
			usage(stderr);
			goto cleanup;
		} else {
			if (text.len > 0)
				cal_buf_puts(&text, " ");
			cal_buf_puts(&text, argv[i]);
		}
	}
	if (!check && text.len == 0) {
		usage(stderr);
		goto cleanup;
	}
	if (text.len > CAL_FOOD_MAX_TEXT) {
		fprintf(stderr, "caloria food: text longer than %d bytes\n", CAL_FOOD_MAX_TEXT);
		goto cleanup;
	}

	char missing[4096];
	data_dir = tables_dir(data_dir);
	if (missing_table(data_dir, missing, sizeof missing) != NULL) {
		fprintf(stderr,
			"caloria food: %s cannot be read.\n"
			"The food tables (%s, %s, %s) are installed by `make install` into %s/data.\n"
			"To use another copy, such as data/ of the source tree, set food.data_dir in the configuration\n"
			"(caloria --config FILE food ...) or the environment: CALORIA_FOOD_DATA_DIR=/path/to/data\n",
			missing, table_files[0], table_files[1], table_files[2], CAL_DATADIR);
		rc = 1;
		goto cleanup;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cal_fooddb_load(data_dir, &db, stderr) != CAL_OK) {
		fprintf(stderr, "caloria food: the food tables in %s are invalid (see above)\n", data_dir);
		rc = 1;
		goto cleanup;
	}
	double load_ms = ms_since(&t0);
	if (check) {
		printf("food tables OK: %zu foods (%zu recipes), %zu aliases, %zu SR24 kcal outliers (info), "
		       "loaded in %.1f ms\n",
		       cal_fooddb_food_count(db), cal_fooddb_recipe_count(db), cal_fooddb_alias_count(db),
		       cal_fooddb_kcal_outliers(db), load_ms);
		if (text.len == 0) {
			rc = 0;
			goto cleanup;
		}
	}

	cal_food_analysis a;
	if (cal_foodparse_analyze(db, text.data, &arena, &a) != CAL_OK) {
		fprintf(stderr, "caloria food: the text cannot be analysed\n");
		goto cleanup;
	}
	if (json) {
		struct json_object *o = cal_foodparse_to_json(&a, "text");
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_table(&a);
	}
	rc = 0;
cleanup:
	cal_fooddb_free(db);
	cal_arena_free(&arena);
	cal_buf_free(&text);
	return rc;
}
