/*
 * food_bench.c — CPU cost of one text food analysis (SPEC §7.2) on the shipped tables, and of loading them.
 *
 * Loads the food tables (argument 1, else $CALORIA_DATA_DIR, else ./data), then analyses a set of typical
 * chat descriptions in Spanish and English round after round, with a fresh arena reset per analysis as in
 * a request, and reports process CPU time per analysis (µs), overall and per description. The target is
 * under 50 µs per analysis, and under 100 ms to load the tables. The descriptions include typos, which cost
 * a search of the vocabulary. Usage: food_bench [data_dir] [rounds] (default 2000 rounds).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "caloria/fooddb.h"
#include "caloria/foodparse.h"
#include "caloria/mem.h"

static const char *const texts[] = {
	"2 huevos revueltos y una tostada con manteca",
	"milanesa con puré",
	"un café con leche y dos medialunas",
	"1 cup of oatmeal with a banana",
	"200 g de pollo a la plancha",
	"ensalada de lechuga, tomate y media palta",
	"hoy al mediodía comí 2 porciones de pizza y una coca",
	"un plato de fideos con tuco y queso rallado",
	"3 empanadas de carne y un vaso de vino tinto",
	"desayuné yogur con granola, una banana y un café",
	"I had two scrambled eggs, toast with butter and orange juice",
	"a burger with fries and a coke",
	"chicken breast with rice and broccoli",
	"medio kilo de asado con chorizo y ensalada mixta",
	"1 1/2 tazas de arroz con 150 g de salmón",
	"un alfajor y un mate",
	"una manzana",
	"choripán",
	"2 tostaditas con queso crema y mermelada, un jugo de naranja",
	"arroz con leche de postre",
	"queso 50 g y una leche de 250 ml",
	"a big mac and medium fries",
	"milaneza con pure y ensalada de tomate",
	"sandwich de miga de jamón y queso, 2 porciones",
	"tostada con palta y un café con leche grande",
	"yougurt with granola and bananna",
	"una pinta de cerveza y media pizza de muzzarella",
	"1 lb of ground beef for two, I ate half",
};
#define NTEXTS (sizeof texts / sizeof *texts)

static double cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("CALORIA_DATA_DIR");
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
	cal_fooddb *db = NULL;
	cal_arena arena;
	double per[NTEXTS] = { 0 };
	int rc = 1;
	if (dir == NULL)
		dir = "data";
	if (rounds < 1)
		rounds = 1;
	cal_arena_init(&arena, 0);

	double t0 = cpu_us();
	if (cal_fooddb_load(dir, &db, stderr) != CAL_OK) {
		fprintf(stderr, "food_bench: cannot load the food tables from %s\n", dir);
		goto cleanup;
	}
	double load_us = cpu_us() - t0;
	printf("load: %zu foods, %zu aliases in %.2f ms CPU\n", cal_fooddb_food_count(db), cal_fooddb_alias_count(db),
	       load_us / 1e3);

	size_t matched = 0, items = 0;
	for (size_t i = 0; i < NTEXTS; i++) { /* warm-up, and a sanity line per description */
		cal_food_analysis a;
		if (cal_foodparse_analyze(db, texts[i], &arena, &a) != CAL_OK)
			goto cleanup;
		matched += a.nmatched;
		items += a.nitems;
		cal_arena_reset(&arena);
	}
	double start = cpu_us();
	for (long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < NTEXTS; i++) {
			double s = cpu_us();
			cal_food_analysis a;
			if (cal_foodparse_analyze(db, texts[i], &arena, &a) != CAL_OK)
				goto cleanup;
			cal_arena_reset(&arena);
			per[i] += cpu_us() - s;
		}
	}
	double total = cpu_us() - start;
	double n = (double)rounds * (double)NTEXTS;
	for (size_t i = 0; i < NTEXTS; i++)
		printf("%8.2f µs  %s\n", per[i] / (double)rounds, texts[i]);
	printf("analysis: %.2f µs CPU per description (mean over %.0f analyses of %zu typical descriptions; "
	       "%zu of %zu items matched); target under 50 µs\n",
	       total / n, n, NTEXTS, matched, items);
	rc = 0;
cleanup:
	cal_fooddb_free(db);
	cal_arena_free(&arena);
	return rc;
}
