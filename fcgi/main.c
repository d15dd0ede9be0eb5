/*
 * caloria.fcgi: picks one of the three ways the FastCGI application can run (SPEC §2) and hands over.
 *   managed — fd 0 is a listening socket (mod_fcgid, spawn-fcgi) and no --listen: one worker loop on fd 0;
 *   pool    — --listen ADDR: the pre-fork pool of fcgi/pool.c;
 *   CGI     — fd 0 is not a socket: exactly one request from the CGI environment.
 * This file owns only the command line.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caloria/version.h"

#include "front.h"
#include "pool.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: caloria.fcgi [--config FILE]\n"
		"       caloria.fcgi --listen ADDR [--workers N] [--socket-mode MODE] [--user USER[:GROUP]]\n"
		"                    [--allow-root] [--pidfile FILE] [--daemon] [--stop-timeout SECONDS]\n"
		"                    [--config FILE]\n"
		"\n"
		"Without --listen it serves the listening socket a FastCGI manager passed on fd 0 (mod_fcgid,\n"
		"spawn-fcgi), or, when fd 0 is not a socket, exactly one CGI request.\n"
		"\n"
		"  --listen ADDR        run a pre-fork pool on unix:/path.sock, HOST:PORT or [IPv6]:PORT\n"
		"  --workers N          worker processes (default: 4 per online CPU, at least 4)\n"
		"  --socket-mode MODE   permissions of a unix socket, octal (default 0660)\n"
		"  --user USER[:GROUP]  switch to this user after binding (when started as root)\n"
		"  --allow-root         allow serving as root (development only)\n"
		"  --pidfile FILE       write the pool's pid here, removed on exit\n"
		"  --daemon             detach from the terminal\n"
		"  --stop-timeout S     seconds a stopping or replaced worker gets to finish its request\n"
		"                       before it is killed (default 30)\n"
		"  --config FILE        configuration file (else $CALORIA_CONFIG, else %s/caloria.conf)\n"
		"  --help, --version\n"
		"\n"
		"Pool signals: SIGHUP reloads the configuration and replaces the workers gracefully;\n"
		"SIGTERM/SIGINT stop accepting, let in-flight requests finish and exit.\n",
		CAL_SYSCONFDIR);
}

static int parse_mode(const char *s, mode_t *out)
{
	char *end;
	long v = strtol(s, &end, 8);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 0777)
		return -1;
	*out = (mode_t)v;
	return 0;
}

static int parse_workers(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 1024)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_seconds(const char *s, int *ms)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 3600)
		return -1;
	*ms = (int)v * 1000;
	return 0;
}

/*
 * Four workers per CPU, at least four. A worker spends most of a webhook waiting on MariaDB, not on the
 * CPU, and when the database stalls every webhook in flight holds its worker until the server-side lock
 * limit answers (60 % of database.query_timeout_ms, 3 s by default). One worker per CPU let two stalled
 * webhooks take the whole pool, so /health/live waited seconds; with four per CPU a stall has to keep
 * more than 4×CPUs webhooks in flight at once before a probe finds no free worker, and an idle worker
 * costs only its few MB of private memory.
 */
static int default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	n = n < 1 ? 4 : 4 * n;
	return n < 4 ? 4 : n > 1024 ? 1024 : (int)n;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "stop-timeout", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cal_pool_opts opts = { .socket_mode = 0660 };
	char config_abs[PATH_MAX];
	bool pool_only = false;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': opts.listen = optarg; break;
		case 'w':
			if (parse_workers(optarg, &opts.workers) != 0) {
				fprintf(stderr, "caloria.fcgi: --workers must be a number from 1 to 1024\n");
				return CAL_FRONT_EXIT_USAGE;
			}
			pool_only = true;
			break;
		case 'm':
			if (parse_mode(optarg, &opts.socket_mode) != 0) {
				fprintf(stderr, "caloria.fcgi: --socket-mode must be octal, e.g. 0660\n");
				return CAL_FRONT_EXIT_USAGE;
			}
			pool_only = true;
			break;
		case 'u': opts.user = optarg; pool_only = true; break;
		case 'R': opts.allow_root = true; pool_only = true; break;
		case 'p': opts.pidfile = optarg; pool_only = true; break;
		case 'd': opts.daemonize = true; pool_only = true; break;
		case 't':
			if (parse_seconds(optarg, &opts.stop_timeout_ms) != 0) {
				fprintf(stderr, "caloria.fcgi: --stop-timeout must be a number of seconds from 1 to 3600\n");
				return CAL_FRONT_EXIT_USAGE;
			}
			pool_only = true;
			break;
		case 'c': opts.config_path = optarg; break;
		case 'h': usage(stdout); return CAL_FRONT_EXIT_OK;
		case 'V':
			printf("caloria.fcgi %s (git %s, built %s)\n", cal_version(), cal_version_commit(),
			       cal_version_build_date());
			return CAL_FRONT_EXIT_OK;
		default: usage(stderr); return CAL_FRONT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "caloria.fcgi: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return CAL_FRONT_EXIT_USAGE;
	}
	/* Workers re-read the config at every start and reload; a daemon's cwd is "/", so pin the path. */
	if (opts.config_path != NULL && realpath(opts.config_path, config_abs) != NULL)
		opts.config_path = config_abs;
	cal_front_crash_init();

	if (opts.listen != NULL) {
		if (opts.workers == 0)
			opts.workers = default_workers();
		return cal_pool_run(&opts);
	}
	if (pool_only) {
		fprintf(stderr, "caloria.fcgi: --workers, --socket-mode, --user, --allow-root, --pidfile, --daemon "
				"and --stop-timeout need --listen\n");
		return CAL_FRONT_EXIT_USAGE;
	}
	if (cal_front_fd_is_listener(STDIN_FILENO))
		return cal_front_worker(STDIN_FILENO, opts.config_path, true);
	if (getenv("GATEWAY_INTERFACE") == NULL && getenv("REQUEST_METHOD") == NULL && isatty(STDIN_FILENO)) {
		fprintf(stderr, "caloria.fcgi: not started by a web server (no FastCGI socket, no CGI "
				"environment); see --help\n");
		return CAL_FRONT_EXIT_USAGE;
	}
	return cal_front_cgi(opts.config_path);
}
