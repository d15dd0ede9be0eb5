/*
 * The worker side of the process front (SPEC §2): the FastCGI accept loop that one worker process runs
 * (init once → accept → cal_app_handle → finish → arena reset, per request → free once), the one-shot CGI
 * mode, and the crash handler that logs a fatal signal with a backtrace before the process dies.
 * It knows nothing about routes: every request goes through cal_app_handle().
 */
#ifndef CALORIA_FCGI_FRONT_H
#define CALORIA_FCGI_FRONT_H

#include <stdbool.h>

/* Exit statuses a worker ends with; the pool reads them (sysexits.h values where one fits). */
#define CAL_FRONT_EXIT_OK 0        /* recycled after server.max_requests, or asked to stop */
#define CAL_FRONT_EXIT_FAIL 1      /* accept failed for a reason that will not go away by itself */
#define CAL_FRONT_EXIT_USAGE 64    /* bad command line */
#define CAL_FRONT_EXIT_SOFTWARE 70 /* libfcgi or the runtime failed to start */
#define CAL_FRONT_EXIT_CONFIG 78   /* the configuration was rejected */

/*
 * Installs the handlers for SIGSEGV, SIGBUS, SIGFPE, SIGABRT and SIGILL: each writes one JSON line (signal,
 * pid, fault address, raw frames) and the symbolised backtrace to the crash fd, then re-raises the signal
 * with its default action so the exit status still tells the parent what happened. Call once per process.
 */
void cal_front_crash_init(void);
/* Where crash reports go (default 2, stderr). The fd must stay open; -1 restores stderr. */
void cal_front_crash_set_fd(int fd);

/* True when fd is a listening socket, i.e. a FastCGI manager (mod_fcgid, spawn-fcgi) handed it to us. */
bool cal_front_fd_is_listener(int fd);

/*
 * jobs_inline: managed mode, where no job runner exists, so the worker runs the jobs a request enqueued
 * once the response is complete (jobs.h). The pool's workers pass false.
 * Runs the worker loop on listen_fd until server.max_requests requests were served, SIGTERM/SIGUSR1 (and
 * SIGINT unless it is ignored) arrived, or accept failed for good. A stop signal lets the in-flight request
 * finish. Returns the process exit status (CAL_FRONT_EXIT_*).
 */
int cal_front_worker(int listen_fd, const char *config_path, bool jobs_inline);

/* Serves exactly one request from the CGI environment, stdin and stdout. Returns the exit status. */
int cal_front_cgi(const char *config_path);

/*
 * The job runner of the standalone pool (SPEC §7.5): runs background jobs (jobs.h) until SIGTERM, then lets
 * its jobs in flight finish briefly and hands back the rest. The pool runs it in one child and restarts it
 * when it dies. Returns the exit status.
 */
int cal_front_jobs(const char *config_path);

/*
 * Warms the shared cache (SPEC §12: the cache.warm_top most frequent descriptions of the last 7 days) in
 * this process, then returns an exit status. The pool runs it in a short-lived child at start.
 */
int cal_front_warm(const char *config_path);

#endif
