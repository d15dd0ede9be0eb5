/*
 * The worker side of the process front: one FastCGI worker loop per process (managed mode and pool
 * workers), the one-request CGI mode, and the crash reporter. Everything a request allocates lives in one
 * arena that is reset after the request; the cal_ctx is created once and freed when the worker leaves.
 *
 * Stopping: the stop signals are blocked everywhere except in the ppoll() that waits for the listening
 * socket to become readable; there a stop signal ends the wait, the handler sets a flag, and the loop
 * leaves. libfcgi itself never runs with a stop signal deliverable, because two of its select() calls,
 * which no SA_RESTART restarts, turn EINTR into a closed connection: the one after accept() that checks a
 * Unix-socket client has sent something, and the one that drains a finished connection. Either close
 * leaves unread bytes, so the kernel resets the connection and the web server (or a client writing its
 * request) sees EPIPE; that is what reloads under load used to show. Since a sibling may take the
 * connection first, the listening socket is non-blocking and a lost race is simply another wait.
 * FCGX_ShutdownPending() is deliberately not used: libfcgi then makes every read and write of the current
 * request fail.
 *
 * Slow peers: libfcgi reads the request's parameters inside FCGX_Accept_r() with blocking reads and no
 * timeout, so a peer that sends BEGIN_REQUEST and nothing more would hold the worker forever. The worker
 * therefore accepts the connection itself and hands the descriptor to libfcgi (a request whose ipcFd is
 * open and whose keepConnection is set is read from that descriptor, exactly as a kept-alive connection
 * is), and arms a watchdog timer for server.read_timeout_ms. If the timer fires before the request has
 * been answered, its handler shuts the connection down for reading: a blocked read returns end-of-file,
 * libfcgi drops the half-read request (or the body read fails and the request is answered 400), and the
 * worker goes back to waiting. shutdown() is async-signal-safe, and the response path is untouched.
 */
#include "config.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "caloria/app.h"
#include "caloria/ctx.h"
#include "caloria/err.h"
#include "caloria/foodtext.h"
#include "caloria/http.h"
#include "caloria/jobs.h"
#include "caloria/log.h"
#include "caloria/mem.h"

#include "front.h"

#define ARENA_CHUNK (64 * 1024)
#define CRASH_FRAMES 64
#define CRASH_LINE 4096

/*
 * Process state reachable from signal handlers. A handler can touch nothing else, so this is the one
 * exception to "no globals besides the per-worker context"; each field is written before the handler
 * that reads it is installed.
 */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t watched_fd = -1; /* the connection the read watchdog may cut, -1 = none */
static int crash_fd = STDERR_FILENO;
static char crash_altstack[64 * 1024]; /* so a stack overflow can still be reported */

/* ---- crash reporting (async-signal-safe only: no stdio, no malloc, no locale) ---- */

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf;

static void sb_puts(sbuf *b, const char *s)
{
	while (*s && b->len + 1 < b->cap)
		b->p[b->len++] = *s++;
}

static void sb_uint(sbuf *b, uintmax_t v, unsigned base, int width)
{
	char tmp[32];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < (int)sizeof tmp);
	while (n < width && n < (int)sizeof tmp)
		tmp[n++] = '0';
	while (n > 0 && b->len + 1 < b->cap)
		b->p[b->len++] = tmp[--n];
}

static void sb_ptr(sbuf *b, const void *p)
{
	sb_puts(b, "\"0x");
	sb_uint(b, (uintptr_t)p, 16, 1);
	sb_puts(b, "\"");
}

/* RFC 3339 UTC with milliseconds, without gmtime (not async-signal-safe): civil-from-days arithmetic. */
static void sb_time(sbuf *b)
{
	struct timespec ts;
	long long days, secs, z, era, doe, yoe, y, doy, mp, d, m;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
		sb_puts(b, "1970-01-01T00:00:00.000Z");
		return;
	}
	days = ts.tv_sec / 86400;
	secs = ts.tv_sec % 86400;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	sb_uint(b, (uintmax_t)y, 10, 4);
	sb_puts(b, "-");
	sb_uint(b, (uintmax_t)m, 10, 2);
	sb_puts(b, "-");
	sb_uint(b, (uintmax_t)d, 10, 2);
	sb_puts(b, "T");
	sb_uint(b, (uintmax_t)(secs / 3600), 10, 2);
	sb_puts(b, ":");
	sb_uint(b, (uintmax_t)(secs / 60 % 60), 10, 2);
	sb_puts(b, ":");
	sb_uint(b, (uintmax_t)(secs % 60), 10, 2);
	sb_puts(b, ".");
	sb_uint(b, (uintmax_t)(ts.tv_nsec / 1000000), 10, 3);
	sb_puts(b, "Z");
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	case SIGILL: return "SIGILL";
	default: return "signal";
	}
}

static void write_all_fd(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	char line[CRASH_LINE];
	void *frames[CRASH_FRAMES];
	sbuf b = { line, 0, sizeof line - 1 };
	int n = backtrace(frames, CRASH_FRAMES);

	(void)uc;
	sb_puts(&b, "{\"ts\":\"");
	sb_time(&b);
	sb_puts(&b, "\",\"level\":\"error\",\"category\":\"app\",\"request_id\":\"\",\"msg\":\"worker crashed\",\"signal\":\"");
	sb_puts(&b, signal_name(sig));
	sb_puts(&b, "\",\"signo\":");
	sb_uint(&b, (uintmax_t)sig, 10, 1);
	sb_puts(&b, ",\"pid\":");
	sb_uint(&b, (uintmax_t)getpid(), 10, 1);
	sb_puts(&b, ",\"fault_addr\":");
	sb_ptr(&b, si ? si->si_addr : NULL);
	sb_puts(&b, ",\"backtrace\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(&b, ",");
		sb_ptr(&b, frames[i]);
	}
	sb_puts(&b, "]}\n");
	write_all_fd(crash_fd, line, b.len);
	/* The symbolised frames follow, one per line, for a human reading the log. */
	backtrace_symbols_fd(frames, n, crash_fd);
	/* SA_RESETHAND restored the default action; the signal is blocked until we return, then it kills us. */
	raise(sig);
}

void cal_front_crash_set_fd(int fd)
{
	crash_fd = fd >= 0 ? fd : STDERR_FILENO;
}

void cal_front_crash_init(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL };
	void *warm[1];
	stack_t ss = { .ss_sp = crash_altstack, .ss_size = sizeof crash_altstack, .ss_flags = 0 };
	struct sigaction sa;

	/* backtrace() loads libgcc on first use, which allocates: do that now, not inside the handler. */
	(void)backtrace(warm, 1);
	if (sigaltstack(&ss, NULL) != 0)
		cal_warn("app", "sigaltstack failed: %s; stack overflows will not be reported", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		if (sigaction(fatal[i], &sa, NULL) != 0)
			cal_warn("app", "cannot install crash handler for signal %d: %s", fatal[i], strerror(errno));
}

/* ---- stop signals ---- */

static void stop_handler(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGTERM and SIGUSR1 (and SIGINT unless the pool ignores it for us) mean "finish this request, then go". */
/* The read watchdog fired: the peer took too long, so its connection gets end-of-file on every read. */
static void watchdog_handler(int sig)
{
	int saved = errno;

	(void)sig;
	if (watched_fd >= 0)
		shutdown(watched_fd, SHUT_RD);
	errno = saved;
}

static int install_watchdog(timer_t *timer)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = watchdog_handler;
	sa.sa_flags = SA_RESTART; /* other blocking calls just carry on; only the cut connection sees EOF */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return -1;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	return timer_create(CLOCK_MONOTONIC, &sev, timer);
}

/* Arms (ms > 0) or disarms (ms == 0) the watchdog for fd. */
static void watch(timer_t timer, int fd, long ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	if (ms > 0) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	}
	watched_fd = ms > 0 ? fd : -1;
	timer_settime(timer, 0, &its, NULL);
}

/*
 * Accepts the next connection for libfcgi unless a kept-alive one is still open; the descriptor is then
 * libfcgi's, closed by FCGX_Finish_r() or by FCGX_Accept_r() when the request cannot be read. 0 or -errno.
 */
/*
 * libfcgi's own accept honours FCGI_WEB_SERVER_ADDRS (the web servers allowed to connect over TCP); since
 * the worker accepts for it, the same rule is applied here. Unix sockets are guarded by their file mode.
 */
static bool peer_allowed(const struct sockaddr_storage *sa)
{
	const char *list = getenv("FCGI_WEB_SERVER_ADDRS");
	char ip[INET_ADDRSTRLEN];
	size_t n;

	if (list == NULL || *list == '\0' || sa->ss_family != AF_INET)
		return true;
	if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip) == NULL)
		return false;
	n = strlen(ip);
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, ip, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static int accept_for_libfcgi(FCGX_Request *req)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	int fd;

	if (req->ipcFd >= 0)
		return 0;
	fd = accept4(req->listen_sock, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!peer_allowed(&sa)) {
		cal_warn("security", "FastCGI connection from a peer not in FCGI_WEB_SERVER_ADDRS refused");
		close(fd);
		return -EAGAIN;
	}
	req->ipcFd = fd;
	req->keepConnection = 1; /* so FCGX_Accept_r's "finish the previous request" keeps this descriptor */
	return 0;
}

static int install_stop_handlers(void)
{
	struct sigaction sa, old;
	int rc = -1;

	stop_requested = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop_handler;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
		goto out;
	if (sigaction(SIGINT, NULL, &old) != 0)
		goto out;
	if (old.sa_handler != SIG_IGN && sigaction(SIGINT, &sa, NULL) != 0)
		goto out;
	/* A peer that hangs up must not kill the worker: the write fails and the request is logged. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		cal_error("app", "cannot install worker signal handlers: %s", strerror(errno));
	return rc;
}

bool cal_front_fd_is_listener(int fd)
{
	int listening = 0;
	socklen_t len = sizeof listening;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0)
		return false;
	return listening != 0;
}

/* ---- libfcgi as a cal_io ---- */

/* FCGX_GetParam() with a first-byte test before each strncmp: it runs ~10 times a request over ~30 params. */
static const char *fcgi_getparam(void *h, const char *name)
{
	FCGX_Request *r = h;
	size_t len;

	if (name == NULL || r->envp == NULL)
		return NULL;
	len = strlen(name);
	for (char **p = r->envp; *p != NULL; p++)
		if ((*p)[0] == name[0] && strncmp(*p, name, len) == 0 && (*p)[len] == '=')
			return *p + len + 1;
	return NULL;
}

static long fcgi_read(void *h, char *buf, size_t n)
{
	FCGX_Request *r = h;
	int want = n > INT_MAX ? INT_MAX : (int)n;
	int got = FCGX_GetStr(buf, want, r->in);

	if (got < 0 || (got == 0 && FCGX_GetError(r->in) != 0))
		return -1;
	return got;
}

static int fcgi_write(void *h, const char *buf, size_t n)
{
	FCGX_Request *r = h;

	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (FCGX_PutStr(buf, chunk, r->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* ---- the worker loop ---- */

/*
 * Transient accept failures (a sibling took the connection, a client that hung up, a signal) are retried;
 * anything else ends the worker.
 */
static bool accept_error_is_transient(int rc)
{
	return rc == -EAGAIN || rc == -EINTR || rc == -ECONNABORTED || rc == -EPROTO || rc == -ECONNRESET;
}

/* Waits until a connection may be waiting; the only place a stop signal is let in (-EINTR then). */
static int wait_for_connection(int listen_fd, const sigset_t *waiting)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };

	if (ppoll(&p, 1, NULL, waiting) < 0)
		return -errno;
	return 0;
}

static int serve(cal_ctx *ctx, cal_arena *arena, FCGX_Request *req)
{
	const cal_io io = { req, fcgi_getparam, fcgi_read, fcgi_write };
	long max = ctx->conf.server_max_requests;
	long served = 0;
	sigset_t stops, waiting;
	timer_t timer;
	int flags, rc;

	if (install_watchdog(&timer) != 0) {
		cal_error("app", "cannot create the read watchdog: %s", strerror(errno));
		return CAL_FRONT_EXIT_FAIL;
	}

	flags = fcntl(req->listen_sock, F_GETFL);
	if (flags < 0 || fcntl(req->listen_sock, F_SETFL, flags | O_NONBLOCK) != 0) {
		cal_error("app", "cannot make the listening socket non-blocking: %s", strerror(errno));
		return CAL_FRONT_EXIT_FAIL;
	}
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGUSR1);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGUSR1);
	sigdelset(&waiting, SIGINT);
	while (!stop_requested) {
		rc = req->ipcFd >= 0 ? 0 : wait_for_connection(req->listen_sock, &waiting);
		if (rc == 0)
			rc = accept_for_libfcgi(req);
		if (rc == 0) {
			watch(timer, req->ipcFd, ctx->conf.server_read_timeout_ms);
			rc = FCGX_Accept_r(req);
		}
		if (rc < 0) {
			watch(timer, -1, 0);
			if (stop_requested)
				break;
			if (accept_error_is_transient(rc))
				continue;
			cal_error("app", "accept failed: %s; worker exits", strerror(-rc));
			timer_delete(timer);
			return CAL_FRONT_EXIT_FAIL;
		}
		if (cal_app_handle(ctx, arena, &io) != 0)
			cal_debug("app", "client went away before the response was written");
		watch(timer, -1, 0);
		FCGX_Finish_r(req);
		/* Managed mode has no job runner: the jobs this request enqueued run now that it is answered. */
		if (ctx->njobs_after > 0)
			cal_jobs_run_after_response(ctx);
		cal_arena_reset(arena);
		if (max > 0 && ++served >= max) {
			cal_info("app", "worker %ld recycling after %ld requests", (long)getpid(), served);
			break;
		}
	}
	timer_delete(timer);
	return CAL_FRONT_EXIT_OK;
}

/* Crash reports go where the log goes; the logger keeps its fd private, so open the file once more. */
static int open_crash_log(const cal_conf *conf)
{
	int fd;

	if (conf->log_file == NULL || conf->log_file[0] == '\0')
		return -1;
	fd = open(conf->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0)
		cal_front_crash_set_fd(fd);
	return fd;
}

int cal_front_worker(int listen_fd, const char *config_path, bool jobs_inline)
{
	cal_ctx ctx;
	cal_arena arena;
	FCGX_Request req;
	int status = CAL_FRONT_EXIT_SOFTWARE, crashfd = -1;
	bool have_ctx = false, have_arena = false;

	if (install_stop_handlers() != 0)
		goto out;
	if (cal_ctx_init(&ctx, config_path) != CAL_OK) {
		status = CAL_FRONT_EXIT_CONFIG;
		goto out;
	}
	have_ctx = true;
	ctx.jobs_inline = jobs_inline;
	crashfd = open_crash_log(&ctx.conf);
	cal_arena_init(&arena, ARENA_CHUNK);
	have_arena = true;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		cal_error("app", "libfcgi failed to initialise");
		goto out;
	}
	cal_info("app", "worker %ld ready", (long)getpid());
	status = serve(&ctx, &arena, &req);
out:
	if (have_arena)
		cal_arena_free(&arena);
	if (have_ctx)
		cal_ctx_free(&ctx);
	if (crashfd >= 0) {
		cal_front_crash_set_fd(-1);
		close(crashfd);
	}
	return status;
}

/* ---- CGI: one request from the environment ---- */

static const char *cgi_getparam(void *h, const char *name)
{
	(void)h;
	return getenv(name);
}

static long cgi_read(void *h, char *buf, size_t n)
{
	size_t got;

	(void)h;
	got = fread(buf, 1, n, stdin);
	if (got == 0 && ferror(stdin))
		return -1;
	return (long)got;
}

static int cgi_write(void *h, const char *buf, size_t n)
{
	(void)h;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

/* Without a context there is no pipeline to render errors; answer the standard envelope by hand. */
static void cgi_fail(cal_err e)
{
	char id[CAL_REQUEST_ID_MAX + 1];
	const char *hdr_id = getenv("HTTP_X_REQUEST_ID");

	if (hdr_id != NULL && cal_http_request_id_valid(hdr_id))
		snprintf(id, sizeof id, "%s", hdr_id);
	else
		cal_http_new_request_id(id);
	printf("Status: %d\r\nContent-Type: application/json; charset=utf-8\r\nX-Request-ID: %s\r\n\r\n"
	       "{\"error\": {\"code\": \"%s\", \"message\": \"%s\", \"request_id\": \"%s\"}}",
	       cal_err_status(e), id, cal_err_code(e), cal_err_message(e, CAL_LANG_ES), id);
}

int cal_front_cgi(const char *config_path)
{
	const cal_io io = { NULL, cgi_getparam, cgi_read, cgi_write };
	cal_ctx ctx;
	cal_arena arena;
	int status = CAL_FRONT_EXIT_OK;

	if (cal_ctx_init(&ctx, config_path) != CAL_OK) {
		cgi_fail(CAL_ERR_INTERNAL);
		fflush(stdout);
		return CAL_FRONT_EXIT_CONFIG;
	}
	cal_arena_init(&arena, ARENA_CHUNK);
	ctx.jobs_inline = true;
	if (cal_app_handle(&ctx, &arena, &io) != 0)
		status = CAL_FRONT_EXIT_FAIL;
	if (fflush(stdout) != 0)
		status = CAL_FRONT_EXIT_FAIL;
	if (ctx.njobs_after > 0) {
		/* The web server sends the response when our stdout closes; the job runs after that. */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		cal_jobs_run_after_response(&ctx);
	}
	cal_arena_free(&arena);
	cal_ctx_free(&ctx);
	return status;
}

int cal_front_jobs(const char *config_path)
{
	cal_ctx ctx;
	cal_jobs_run_opts o = {.stop = &stop_requested};
	int crashfd;

	if (install_stop_handlers() != 0)
		return CAL_FRONT_EXIT_SOFTWARE;
	if (cal_ctx_init(&ctx, config_path) != CAL_OK) {
		cal_ctx_free(&ctx);
		return CAL_FRONT_EXIT_CONFIG;
	}
	crashfd = open_crash_log(&ctx.conf);
	cal_info("app", "job runner %ld ready (%ld calls in flight at most)", (long)getpid(),
		 ctx.conf.jobs_concurrency);
	(void)cal_jobs_run(&ctx, &o);
	cal_ctx_free(&ctx);
	if (crashfd >= 0) {
		cal_front_crash_set_fd(-1);
		close(crashfd);
	}
	return CAL_FRONT_EXIT_OK;
}

int cal_front_warm(const char *config_path)
{
	cal_ctx ctx;
	int status = CAL_FRONT_EXIT_OK;

	if (cal_ctx_init(&ctx, config_path) != CAL_OK) {
		cal_ctx_free(&ctx);
		return CAL_FRONT_EXIT_CONFIG;
	}
	if (cal_foodtext_warm(&ctx, ctx.conf.cache_warm_top) < 0)
		status = CAL_FRONT_EXIT_FAIL; /* logged; the cache simply stays cold */
	cal_ctx_free(&ctx);
	return status;
}
