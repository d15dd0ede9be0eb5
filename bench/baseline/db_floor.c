/*
 * Database-only throughput of one prepared statement, for bench/run: how many calls per second N client
 * processes get from MariaDB, and how much of mariadbd's CPU each call costs, without HTTP or Caloria in
 * the way. bench/run runs it for the one-INSERT baseline, for the bare writes SPEC §8 requires of a food
 * log, and for Caloria's cal_food_turn, so the ratio a food log can reach on this machine is measured, not
 * guessed.
 *
 *   db_floor PROCS SECONDS MARIADBD_PID SQL [PARAM ...]
 *
 * Every parameter is bound as a string ("NULL" binds NULL); "{n}" becomes a random number from 1 to 1000
 * per call and "{sub}" the subscriber id "bench-{n}", the users bench/run creates. Connection from the
 * environment: BENCH_DB_SOCKET, BENCH_DB_USER, BENCH_DB_PASSWORD, BENCH_DB_NAME. Prints one line:
 *   calls_per_s=… cpu_ms_per_call=…
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARAMS 32
#define VALUE_MAX 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system CPU of pid, in clock ticks; -1 when it cannot be read. */
static long long cpu_ticks(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	/* The command name may hold spaces: fields are counted after its closing parenthesis. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL ? v : fallback;
}

/* One client: calls sql with params until deadline; returns the number of calls, -1 on error. */
static long client(const char *sql, int nparams, char **params, double deadline)
{
	MYSQL_BIND bind[MAX_PARAMS];
	unsigned long len[MAX_PARAMS];
	char null[MAX_PARAMS], num[VALUE_MAX], sub[VALUE_MAX];
	MYSQL *db = mysql_init(NULL);
	MYSQL_STMT *stmt = NULL;
	long calls = -1;

	if (db == NULL || mysql_real_connect(db, NULL, env_or("BENCH_DB_USER", "caloria"),
					     env_or("BENCH_DB_PASSWORD", ""), env_or("BENCH_DB_NAME", "caloria"), 0,
					     getenv("BENCH_DB_SOCKET"), 0) == NULL) {
		fprintf(stderr, "db_floor: connect: %s\n", db != NULL ? mysql_error(db) : "out of memory");
		goto out;
	}
	stmt = mysql_stmt_init(db);
	if (stmt == NULL || mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
		fprintf(stderr, "db_floor: prepare: %s\n", mysql_error(db));
		goto out;
	}
	srand((unsigned)getpid());
	for (calls = 0; now_s() < deadline; calls++) {
		int n = 1 + rand() % 1000;

		snprintf(num, sizeof num, "%d", n);
		snprintf(sub, sizeof sub, "bench-%d", n);
		memset(bind, 0, sizeof bind);
		for (int i = 0; i < nparams; i++) {
			const char *v = strcmp(params[i], "{n}") == 0     ? num
					: strcmp(params[i], "{sub}") == 0 ? sub
									  : params[i];
			null[i] = strcmp(v, "NULL") == 0;
			len[i] = strlen(v);
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = (void *)v;
			bind[i].length = &len[i];
			bind[i].is_null = (my_bool *)&null[i];
		}
		if (mysql_stmt_bind_param(stmt, bind) != 0 || mysql_stmt_execute(stmt) != 0) {
			fprintf(stderr, "db_floor: execute: %s\n", mysql_stmt_error(stmt));
			calls = -1;
			goto out;
		}
		/* A CALL answers its SELECTs and then a status result; all of them are read. */
		do {
			if (mysql_stmt_field_count(stmt) > 0) {
				mysql_stmt_store_result(stmt);
				mysql_stmt_free_result(stmt);
			}
		} while (mysql_stmt_next_result(stmt) == 0);
	}
out:
	if (stmt != NULL)
		mysql_stmt_close(stmt);
	if (db != NULL)
		mysql_close(db);
	return calls;
}

int main(int argc, char **argv)
{
	int procs, nparams, fds[2], failed = 0;
	long long cpu0, cpu1, total = 0;
	double seconds, t0, elapsed;
	long mariadbd;

	if (argc < 5 || argc - 5 > MAX_PARAMS) {
		fputs("usage: db_floor PROCS SECONDS MARIADBD_PID SQL [PARAM ...]\n", stderr);
		return 2;
	}
	procs = atoi(argv[1]);
	seconds = atof(argv[2]);
	mariadbd = atol(argv[3]);
	nparams = argc - 5;
	if (procs < 1 || seconds <= 0 || pipe(fds) != 0)
		return 2;
	cpu0 = cpu_ticks(mariadbd);
	t0 = now_s();
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			long calls = client(argv[4], nparams, argv + 5, t0 + seconds);
			ssize_t w = write(fds[1], &calls, sizeof calls);

			_exit(calls >= 0 && w == (ssize_t)sizeof calls ? 0 : 1);
		}
		if (pid < 0)
			return 1;
	}
	close(fds[1]);
	for (int i = 0; i < procs; i++) {
		long calls;

		if (read(fds[0], &calls, sizeof calls) != (ssize_t)sizeof calls || calls < 0)
			failed = 1;
		else
			total += calls;
	}
	while (wait(NULL) > 0)
		;
	elapsed = now_s() - t0;
	cpu1 = cpu_ticks(mariadbd);
	if (failed || total == 0)
		return 1;
	printf("calls_per_s=%.0f cpu_ms_per_call=%.3f\n", (double)total / elapsed,
	       cpu0 >= 0 && cpu1 >= cpu0 ? (double)(cpu1 - cpu0) * 1000.0 / sysconf(_SC_CLK_TCK) / (double)total : -1.0);
	return 0;
}
