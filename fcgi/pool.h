/*
 * The standalone pre-fork pool (SPEC §2): the parent binds the listening socket once, forks N workers that
 * share it, and supervises them — restart on death (exponential back-off when they die young), recycle
 * without delay, SIGHUP = validate the config and roll a new generation of workers in while the old one
 * finishes its requests, SIGTERM/SIGINT = stop accepting, let the workers finish, clean up and exit 0.
 * The parent never opens the database and serves no request itself.
 */
#ifndef CALORIA_FCGI_POOL_H
#define CALORIA_FCGI_POOL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef struct cal_pool_opts {
	const char *listen;      /* "unix:/path.sock", "127.0.0.1:9000", "[::1]:9000", "*:9000" */
	int workers;             /* > 0 */
	mode_t socket_mode;      /* unix socket permissions, e.g. 0660 */
	const char *user;        /* "USER[:GROUP]" to switch to after binding; NULL = stay */
	bool allow_root;         /* serve as root when no --user is given */
	const char *pidfile;     /* NULL = none */
	bool daemonize;
	const char *config_path; /* NULL = $CALORIA_CONFIG or the default path */
	int stop_timeout_ms;     /* how long SIGTERM'd workers get before SIGKILL; 0 = default */
} cal_pool_opts;

/* Runs the pool until SIGTERM/SIGINT; returns the process exit status. */
int cal_pool_run(const cal_pool_opts *opts);

/* A parsed --listen value. */
typedef struct cal_pool_addr {
	bool is_unix;
	char path[108];      /* unix socket path (sizeof sun_path) */
	char host[256];      /* TCP host without brackets; "" = any address */
	char port[8];
} cal_pool_addr;

/* Parses a --listen value; returns 0, or -1 with a reason in why (static text). */
int cal_pool_parse_listen(const char *spec, cal_pool_addr *out, const char **why);

/* Delay before restarting a slot whose worker died young for the n-th time in a row (n ≥ 1), in ms. */
long cal_pool_backoff_ms(unsigned n);

#endif
