/*
 * The standalone pre-fork pool: binds the socket once, forks the workers that share it and supervises them.
 * It owns the listening socket (and the unix socket file), the pidfile, the worker table and the parent's
 * signal handling. It loads the configuration only to validate it and to set up its own log; it never
 * opens the database or the shared cache, which are the workers' (each worker calls cal_ctx_init itself,
 * so a reload is simply a new generation of workers).
 *
 * Signals: the four the parent handles (SIGCHLD, SIGHUP, SIGTERM, SIGINT) stay blocked except inside
 * ppoll(), which unblocks them atomically while waiting (sigsuspend with a timeout, needed for back-off).
 * The handlers only set flags; all work happens in the main loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "caloria/conf.h"
#include "caloria/log.h"
#include "caloria/mem.h"

#include "front.h"
#include "pool.h"

#define LISTEN_BACKLOG 1024
#define QUICK_DEATH_MS 1000   /* a worker that exits sooner than this "died young" */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000
#define STOP_TIMEOUT_MS 30000 /* in-flight requests get this long after SIGTERM before SIGKILL */
#define FORK_RETRY_MS 1000
#define RUNNER_NICE 5         /* the job runner's niceness above the workers' */

/* Set by the signal handlers, read by the main loop (see the file comment): the only process globals. */
static volatile sig_atomic_t got_chld, got_hup, got_stop;

typedef struct slot {
	pid_t pid;               /* 0 = not running */
	unsigned gen;            /* generation the running worker belongs to */
	long long started_ms;    /* monotonic */
	long long restart_at_ms; /* when pid == 0: when to start the next worker */
	unsigned quick_deaths;   /* consecutive deaths within QUICK_DEATH_MS */
} slot;

/* A worker of an older generation, asked to finish its request and leave. */
typedef struct retiree {
	pid_t pid;
	long long kill_at_ms; /* SIGKILL if it is still there by then (a request stuck for good) */
	bool killed;
} retiree;

typedef struct pool {
	const cal_pool_opts *opts;
	int listen_fd;
	char *unix_path;        /* owned; absolute; NULL for TCP */
	dev_t sock_dev;         /* identity of the socket file we created, to remove only ours */
	ino_t sock_ino;
	char *pidfile;          /* owned; absolute; NULL when none */
	bool pidfile_written;
	bool log_to_file;
	long warm_top;          /* cache.warm_top at start: 0 = no warmer */
	slot *slots;            /* opts->workers worker slots, then the job runner's (nslots = workers + 1) */
	int nslots;
	retiree *retiring;      /* workers of older generations still finishing their request */
	size_t nretiring, capretiring;
	unsigned gen;
	bool stopping;
	pid_t parent;
	sigset_t waitmask;      /* mask inside ppoll: the handled signals unblocked */
	sigset_t childmask;     /* the mask the parent started with, restored in workers */
} pool;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long cal_pool_backoff_ms(unsigned n)
{
	long ms = BACKOFF_FIRST_MS;

	for (unsigned i = 1; i < n && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* ---- --listen parsing ---- */

static int parse_port(const char *s, char *out, size_t outlen)
{
	long v = 0;

	if (*s == '\0' || strlen(s) >= outlen)
		return -1;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	/* Checking the result also tells gcc -O1 the buffer was sized on purpose (-Wformat-truncation). */
	int n = snprintf(out, outlen, "%ld", v);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int cal_pool_parse_listen(const char *spec, cal_pool_addr *out, const char **why)
{
	const char *colon, *host = spec;
	size_t hostlen;

	memset(out, 0, sizeof *out);
	if (spec == NULL || *spec == '\0') {
		*why = "empty address";
		return -1;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		if (spec[5] == '\0' || strlen(spec + 5) >= sizeof out->path) {
			*why = "unix socket path is empty or longer than 107 bytes";
			return -1;
		}
		out->is_unix = true;
		strcpy(out->path, spec + 5);
		return 0;
	}
	if (*spec == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':') {
			*why = "expected [IPv6]:PORT";
			return -1;
		}
		host = spec + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			*why = "expected unix:/path, HOST:PORT or [IPv6]:PORT";
			return -1;
		}
		hostlen = (size_t)(colon - spec);
		if (memchr(spec, ':', hostlen) != NULL) {
			*why = "IPv6 addresses must be written in brackets, e.g. [::1]:9000";
			return -1;
		}
	}
	if (hostlen >= sizeof out->host) {
		*why = "host name too long";
		return -1;
	}
	memcpy(out->host, host, hostlen);
	out->host[hostlen] = '\0';
	if (strcmp(out->host, "*") == 0)
		out->host[0] = '\0';
	if (parse_port(colon + 1, out->port, sizeof out->port) != 0) {
		*why = "port must be a number from 1 to 65535";
		return -1;
	}
	return 0;
}

/* ---- binding ---- */

static char *absolute_path(const char *path)
{
	char cwd[4096];
	cal_buf b;

	if (path[0] == '/')
		return cal_strdup(path);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return cal_strdup(path);
	cal_buf_init(&b);
	cal_buf_printf(&b, "%s/%s", cwd, path);
	return cal_buf_steal(&b);
}

/* A socket file left by a dead pool is removed; one that someone still listens on, or a non-socket, is not. */
static int clear_stale_socket(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1, rc = -1;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		cal_error("app", "cannot inspect %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		cal_error("app", "%s exists and is not a socket; refusing to replace it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cal_error("app", "socket: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		cal_error("app", "another process is listening on %s", path);
		goto out;
	}
	if (errno != ECONNREFUSED) {
		cal_error("app", "cannot probe %s: %s", path, strerror(errno));
		goto out;
	}
	if (unlink(path) != 0) {
		cal_error("app", "cannot remove stale socket %s: %s", path, strerror(errno));
		goto out;
	}
	cal_info("app", "removed stale socket %s", path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int bind_unix(pool *p, const char *spec_path)
{
	struct sockaddr_un sa;
	struct stat st;
	char *path = absolute_path(spec_path);
	int fd = -1, rc = -1, r;
	mode_t old_umask;

	if (strlen(path) >= sizeof sa.sun_path) {
		cal_error("app", "unix socket path %s is longer than %zu bytes", path, sizeof sa.sun_path - 1);
		goto out;
	}
	if (clear_stale_socket(path) != 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cal_error("app", "socket: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* The umask makes the file appear with the final mode, so there is no window with wider access. */
	old_umask = umask(~p->opts->socket_mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old_umask);
	if (r != 0) {
		cal_error("app", "cannot bind %s: %s", path, strerror(errno));
		goto out;
	}
	if (chmod(path, p->opts->socket_mode) != 0 || stat(path, &st) != 0) {
		cal_error("app", "cannot set the mode of %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		cal_error("app", "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	p->sock_dev = st.st_dev;
	p->sock_ino = st.st_ino;
	p->unix_path = path;
	path = NULL;
	p->listen_fd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int bind_tcp(pool *p, const cal_pool_addr *a)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1, rc = -1, one = 1, gai, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(a->host[0] ? a->host : NULL, a->port, &hints, &res);
	if (gai != 0) {
		cal_error("app", "cannot resolve %s: %s", a->host[0] ? a->host : "*", gai_strerror(gai));
		goto out;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
		    (ai->ai_family != AF_INET6 ||
		     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		cal_error("app", "cannot listen on %s:%s: %s", a->host[0] ? a->host : "*", a->port, strerror(err));
		goto out;
	}
	p->listen_fd = fd;
	rc = 0;
out:
	if (res)
		freeaddrinfo(res);
	return rc;
}

/* Removes the unix socket file only if it is still the one this pool created. */
static void remove_socket(pool *p)
{
	struct stat st;

	if (p->unix_path == NULL)
		return;
	if (stat(p->unix_path, &st) == 0 && st.st_dev == p->sock_dev && st.st_ino == p->sock_ino &&
	    unlink(p->unix_path) != 0)
		cal_warn("app", "cannot remove %s: %s", p->unix_path, strerror(errno));
	free(p->unix_path);
	p->unix_path = NULL;
}

/* ---- process setup: pidfile, daemon, privileges ---- */

static int write_pidfile(pool *p)
{
	char line[32];
	int fd, n, rc = -1;

	if (p->pidfile == NULL)
		return 0;
	fd = open(p->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		cal_error("app", "cannot write pidfile %s: %s", p->pidfile, strerror(errno));
		return -1;
	}
	n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n) {
		cal_error("app", "cannot write pidfile %s: %s", p->pidfile, strerror(errno));
		goto out;
	}
	p->pidfile_written = true;
	rc = 0;
out:
	close(fd);
	return rc;
}

static int daemonize(pool *p)
{
	pid_t pid;
	int fd;

	/* Intermediate parents leave with _exit: no atexit handlers, no second flush of stdio buffers. */
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		goto fail;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		goto fail;
	if (!p->log_to_file)
		cal_warn("app", "--daemon without log.file: log lines are discarded");
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		goto fail;
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
fail:
	cal_error("app", "cannot become a daemon: %s", strerror(errno));
	return -1;
}

static int switch_user(pool *p)
{
	const char *spec = p->opts->user;
	char name[256];
	const char *group = NULL, *colon;
	struct passwd *pw;
	gid_t gid;

	colon = strchr(spec, ':');
	if ((colon ? (size_t)(colon - spec) : strlen(spec)) >= sizeof name) {
		cal_error("app", "--user: name too long");
		return -1;
	}
	snprintf(name, sizeof name, "%.*s", (int)(colon ? colon - spec : (long)strlen(spec)), spec);
	if (colon)
		group = colon + 1;
	pw = getpwnam(name);
	if (pw == NULL) {
		cal_error("app", "--user: no such user %s", name);
		return -1;
	}
	gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			cal_error("app", "--user: no such group %s", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid() && gid == getegid())
			return 0;
		cal_error("app", "--user %s needs the pool to be started as root", spec);
		return -1;
	}
	/* Files created as root must stay usable (socket) and removable (pidfile) by the new owner. */
	if (p->unix_path != NULL && chown(p->unix_path, pw->pw_uid, gid) != 0) {
		cal_error("app", "cannot chown %s: %s", p->unix_path, strerror(errno));
		return -1;
	}
	if (p->pidfile_written && chown(p->pidfile, pw->pw_uid, gid) != 0)
		cal_warn("app", "cannot chown %s: %s", p->pidfile, strerror(errno));
	if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
		cal_error("app", "cannot switch to %s: %s", spec, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		cal_error("app", "could regain root after switching to %s; refusing to run", spec);
		return -1;
	}
	cal_info("app", "running as %s (uid %ld, gid %ld)", spec, (long)pw->pw_uid, (long)gid);
	return 0;
}

static int drop_privileges(pool *p)
{
	if (p->opts->user != NULL && switch_user(p) != 0)
		return -1;
	if (geteuid() == 0 && !p->opts->allow_root) {
		cal_error("app", "refusing to serve as root: use --user USER[:GROUP] (or --allow-root)");
		return -1;
	}
	return 0;
}

/* ---- signals ---- */

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static int setup_signals(pool *p)
{
	static const int handled[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaddset(&block, handled[i]);
	if (sigprocmask(SIG_BLOCK, &block, &p->childmask) != 0)
		goto fail;
	p->waitmask = p->childmask;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++) {
		sigdelset(&p->waitmask, handled[i]);
		sa.sa_flags = handled[i] == SIGCHLD ? SA_NOCLDSTOP : 0;
		if (sigaction(handled[i], &sa, NULL) != 0)
			goto fail;
	}
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		goto fail;
	return 0;
fail:
	cal_error("app", "cannot set up signal handling: %s", strerror(errno));
	return -1;
}

/* ---- workers ---- */

static void describe_status(int st, char *out, size_t outlen)
{
	if (WIFEXITED(st))
		snprintf(out, outlen, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, outlen, "signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
			 WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(out, outlen, "status 0x%x", (unsigned)st);
}

/*
 * What every child of the parent does first: the parent's handlers must not run here (Ctrl-C and SIGHUP
 * are the parent's to act on), it leaves when the parent is killed outright, and it drops the parent's
 * own bookkeeping.
 */
static void child_setup(pool *p)
{
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &p->childmask, NULL);
#ifdef __linux__
	/* A worker then finishes its current request and leaves instead of lingering. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != p->parent)
		_exit(CAL_FRONT_EXIT_OK);
#endif
	free(p->slots);
	free(p->retiring);
	free(p->unix_path);
	free(p->pidfile);
	cal_log_close();
}

static void worker_main(pool *p) __attribute__((noreturn));
static void worker_main(pool *p)
{
	int fd = p->listen_fd;
	const char *config_path = p->opts->config_path;

	child_setup(p);
	exit(cal_front_worker(fd, config_path, false));
}

/* The last slot is the job runner's (SPEC §7.5): supervised like a worker, restarted when it dies. */
static bool is_runner(const pool *p, const slot *s)
{
	return s == &p->slots[p->nslots - 1];
}

static void runner_main(pool *p) __attribute__((noreturn));
static void runner_main(pool *p)
{
	const char *config_path = p->opts->config_path;

#ifdef __linux__
	/* Its own name in ps and /proc, so operators (and tests) tell it from the workers. */
	(void)prctl(PR_SET_NAME, "caloria-jobs");
#endif
	/* Background work yields the CPU to the workers answering chats (SPEC §15 provider isolation). */
	errno = 0;
	if (nice(RUNNER_NICE) == -1 && errno != 0)
		cal_warn("app", "job runner keeps its priority: %s", strerror(errno));
	close(p->listen_fd);
	child_setup(p);
	exit(cal_front_jobs(config_path));
}

/*
 * The cache warmer (SPEC §12): a short-lived child of the first generation that fills the shared cache in
 * the background while the workers already serve. The reaper ignores pids that are not workers. With
 * cache.warm_top = 0 there is nothing to warm, so no process is forked (it would only load the tables and
 * leave, a short-lived extra child that anyone counting the pool's workers would see).
 */
static void spawn_warmer(pool *p)
{
	pid_t pid;

	if (p->warm_top <= 0)
		return;
	pid = fork();
	if (pid < 0) {
		cal_warn("performance", "cache warmer not started: %s", strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	close(p->listen_fd);
	child_setup(p);
	exit(cal_front_warm(p->opts->config_path));
}

static void spawn(pool *p, slot *s)
{
	char pidbuf[24], genbuf[24];
	pid_t pid = fork();

	if (pid < 0) {
		cal_error("app", "fork failed: %s; retrying in %d ms", strerror(errno), FORK_RETRY_MS);
		s->restart_at_ms = now_ms() + FORK_RETRY_MS;
		return;
	}
	if (pid == 0) {
		if (is_runner(p, s))
			runner_main(p);
		worker_main(p);
	}
	s->pid = pid;
	s->gen = p->gen;
	s->started_ms = now_ms();
	snprintf(pidbuf, sizeof pidbuf, "%ld", (long)pid);
	snprintf(genbuf, sizeof genbuf, "%u", p->gen);
	cal_log_fields(CAL_LOG_INFO, "app", is_runner(p, s) ? "job runner started" : "worker started", "worker_pid",
		       pidbuf, "generation", genbuf, NULL);
}

static void start_due(pool *p)
{
	long long now = now_ms();

	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid == 0 && p->slots[i].restart_at_ms <= now)
			spawn(p, &p->slots[i]);
}

static void earliest(long long *best, long long at, long long now)
{
	long long wait = at > now ? at - now : 0;

	if (*best < 0 || wait < *best)
		*best = wait;
}

/* Milliseconds until the next delayed restart or retiree deadline, or -1 when nothing is pending. */
static long long next_wakeup_ms(const pool *p)
{
	long long best = -1, now = now_ms();

	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid == 0)
			earliest(&best, p->slots[i].restart_at_ms, now);
	for (size_t i = 0; i < p->nretiring; i++)
		if (!p->retiring[i].killed)
			earliest(&best, p->retiring[i].kill_at_ms, now);
	return best;
}

/* An old worker that has not finished within the stop timeout is stuck; it must not live forever. */
static void kill_overdue(pool *p)
{
	long long now = now_ms();

	for (size_t i = 0; i < p->nretiring; i++) {
		retiree *r = &p->retiring[i];
		if (r->killed || r->kill_at_ms > now)
			continue;
		r->killed = true;
		cal_warn("app", "old worker %ld did not finish in time; killing it", (long)r->pid);
		if (kill(r->pid, SIGKILL) != 0 && errno != ESRCH)
			cal_warn("app", "cannot kill worker %ld: %s", (long)r->pid, strerror(errno));
	}
}

static bool take_retiring(pool *p, pid_t pid)
{
	for (size_t i = 0; i < p->nretiring; i++) {
		if (p->retiring[i].pid == pid) {
			p->retiring[i] = p->retiring[--p->nretiring];
			return true;
		}
	}
	return false;
}

static void schedule_restart(pool *p, slot *s, int st, long long lived)
{
	long long now = now_ms();

	if (WIFEXITED(st) && WEXITSTATUS(st) == CAL_FRONT_EXIT_OK) {
		/* A recycle (or a stop we did not ask for, e.g. from mod_fcgid habits): replace it at once. */
		s->quick_deaths = 0;
		s->restart_at_ms = now;
		return;
	}
	if (lived < QUICK_DEATH_MS) {
		long delay = cal_pool_backoff_ms(++s->quick_deaths);
		s->restart_at_ms = now + delay;
		cal_warn("app", "worker died %lld ms after start (%u in a row); restarting in %ld ms", lived,
			 s->quick_deaths, delay);
		return;
	}
	s->quick_deaths = 0;
	s->restart_at_ms = now;
}

static void reap(pool *p)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		char pidbuf[24], desc[96], lived_buf[24] = "";
		slot *s = NULL;
		long long lived = 0;

		for (int i = 0; i < p->nslots; i++)
			if (p->slots[i].pid == pid)
				s = &p->slots[i];
		if (s != NULL) {
			lived = now_ms() - s->started_ms;
			snprintf(lived_buf, sizeof lived_buf, "%lld", lived);
		}
		snprintf(pidbuf, sizeof pidbuf, "%ld", (long)pid);
		describe_status(st, desc, sizeof desc);
		if (take_retiring(p, pid)) {
			cal_log_fields(CAL_LOG_INFO, "app", "old worker exited", "worker_pid", pidbuf, "status", desc, NULL);
			continue;
		}
		if (s == NULL)
			continue;
		s->pid = 0;
		cal_log_fields(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? CAL_LOG_INFO : CAL_LOG_WARN, "app",
			       "worker exited", "worker_pid", pidbuf, "status", desc, "lived_ms", lived_buf, NULL);
		if (!p->stopping)
			schedule_restart(p, s, st, lived);
	}
}

static void push_retiring(pool *p, pid_t pid)
{
	int timeout = p->opts->stop_timeout_ms > 0 ? p->opts->stop_timeout_ms : STOP_TIMEOUT_MS;

	if (p->nretiring == p->capretiring) {
		p->capretiring = p->capretiring ? p->capretiring * 2 : 16;
		p->retiring = cal_reallocarray(p->retiring, p->capretiring, sizeof *p->retiring);
	}
	p->retiring[p->nretiring++] = (retiree){ .pid = pid, .kill_at_ms = now_ms() + timeout, .killed = false };
}

static void reopen_log(pool *p, const cal_conf *conf)
{
	cal_log_close();
	if (cal_log_init(conf->log_level, conf->log_file) != 0) {
		(void)cal_log_init(conf->log_level, NULL);
		cal_error("app", "cannot open log file %s; logging to stderr", conf->log_file);
	}
	p->log_to_file = conf->log_file != NULL && conf->log_file[0] != '\0';
}

/* SIGHUP: a broken config changes nothing; a good one gets a fresh generation, the old one drains. */
static void reload(pool *p)
{
	cal_conf conf;
	cal_conf_issues issues = { 0 };
	size_t first_old = p->nretiring;

	memset(&conf, 0, sizeof conf);
	if (cal_conf_load(&conf, p->opts->config_path, &issues, NULL) != CAL_OK) {
		cal_error("app", "reload refused: the configuration has %zu problem(s); the workers keep running",
			  issues.count);
		for (size_t i = 0; i < issues.count; i++)
			cal_error("app", "config: %s:%d: %s", issues.items[i].file ? issues.items[i].file : "(environment)",
				  issues.items[i].line, issues.items[i].message);
		goto out;
	}
	reopen_log(p, &conf);
	p->gen++;
	for (int i = 0; i < p->nslots; i++) {
		slot *s = &p->slots[i];
		if (s->pid != 0)
			push_retiring(p, s->pid);
		s->pid = 0;
		s->quick_deaths = 0;
		s->restart_at_ms = 0;
		spawn(p, s);
	}
	/* The new workers are forked first; the old ones finish their current request, then exit. */
	for (size_t i = first_old; i < p->nretiring; i++)
		if (kill(p->retiring[i].pid, SIGTERM) != 0 && errno != ESRCH)
			cal_warn("app", "cannot signal worker %ld: %s", (long)p->retiring[i].pid, strerror(errno));
	cal_info("app", "reloaded: generation %u started, %zu old worker(s) finishing", p->gen,
		 p->nretiring - first_old);
out:
	cal_conf_free(&conf);
	cal_conf_issues_free(&issues);
}

static size_t signal_all(pool *p, int sig)
{
	size_t n = 0;

	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid != 0 && kill(p->slots[i].pid, sig) == 0)
			n++;
	for (size_t i = 0; i < p->nretiring; i++)
		if (kill(p->retiring[i].pid, sig) == 0)
			n++;
	return n;
}

static bool any_alive(const pool *p)
{
	if (p->nretiring > 0)
		return true;
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid != 0)
			return true;
	return false;
}

static void wait_briefly(pool *p, long long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	if (ppoll(NULL, 0, ms < 0 ? NULL : &ts, &p->waitmask) < 0 && errno != EINTR)
		cal_warn("app", "ppoll: %s", strerror(errno));
	got_chld = 0;
}

/* SIGTERM/SIGINT: no new connections, in-flight requests finish, stragglers are killed after a timeout. */
static void stop_all(pool *p)
{
	int timeout = p->opts->stop_timeout_ms > 0 ? p->opts->stop_timeout_ms : STOP_TIMEOUT_MS;
	long long deadline = now_ms() + timeout;

	p->stopping = true;
	remove_socket(p);
	if (p->listen_fd >= 0) {
		close(p->listen_fd);
		p->listen_fd = -1;
	}
	cal_info("app", "stopping: %zu worker(s) asked to finish", signal_all(p, SIGTERM));
	for (;;) {
		reap(p);
		if (!any_alive(p))
			break;
		if (now_ms() >= deadline) {
			cal_warn("app", "%zu worker(s) still busy after %d ms; killing them", signal_all(p, SIGKILL),
				 timeout);
			deadline = now_ms() + 5000;
			timeout = 5000;
		}
		wait_briefly(p, 100);
	}
}

static int run_loop(pool *p)
{
	for (;;) {
		reap(p);
		if (got_stop)
			break;
		if (got_hup) {
			got_hup = 0;
			cal_info("app", "SIGHUP: reloading the configuration");
			reload(p);
		}
		start_due(p);
		kill_overdue(p);
		wait_briefly(p, next_wakeup_ms(p));
	}
	cal_info("app", "received a stop signal");
	stop_all(p);
	return 0;
}

/* ---- entry point ---- */

/* Validates the config once up front (so a typo fails the start, not every worker) and opens our log. */
static int load_config(pool *p)
{
	cal_conf conf;
	cal_conf_issues issues = { 0 };
	int rc = -1;

	memset(&conf, 0, sizeof conf);
	if (cal_conf_load(&conf, p->opts->config_path, &issues, NULL) != CAL_OK) {
		fprintf(stderr, "caloria.fcgi: the configuration has problems:\n");
		cal_conf_issues_print(&issues, stderr);
		goto out;
	}
	reopen_log(p, &conf);
	p->warm_top = conf.cache_warm_top;
	rc = 0;
out:
	cal_conf_free(&conf);
	cal_conf_issues_free(&issues);
	return rc;
}

static int bind_listen(pool *p)
{
	cal_pool_addr addr;
	const char *why = NULL;

	if (cal_pool_parse_listen(p->opts->listen, &addr, &why) != 0) {
		cal_error("app", "--listen %s: %s", p->opts->listen, why);
		return -1;
	}
	if (addr.is_unix)
		return bind_unix(p, addr.path);
	return bind_tcp(p, &addr);
}

int cal_pool_run(const cal_pool_opts *opts)
{
	pool p;
	int status = CAL_FRONT_EXIT_SOFTWARE;

	memset(&p, 0, sizeof p);
	p.opts = opts;
	p.listen_fd = -1;
	if (opts->workers <= 0) {
		fprintf(stderr, "caloria.fcgi: --workers must be at least 1\n");
		return CAL_FRONT_EXIT_USAGE;
	}
	if (geteuid() == 0 && opts->user == NULL && !opts->allow_root) {
		fprintf(stderr, "caloria.fcgi: refusing to serve as root: use --user USER[:GROUP] (or --allow-root)\n");
		return CAL_FRONT_EXIT_USAGE;
	}
	if (load_config(&p) != 0)
		return CAL_FRONT_EXIT_CONFIG;
	if (opts->pidfile != NULL)
		p.pidfile = absolute_path(opts->pidfile);
	if (bind_listen(&p) != 0)
		goto out;
	if (opts->daemonize && daemonize(&p) != 0)
		goto out;
	p.parent = getpid();
	if (write_pidfile(&p) != 0 || drop_privileges(&p) != 0)
		goto out;
	if (setup_signals(&p) != 0)
		goto out;
	p.nslots = opts->workers + 1;
	p.slots = cal_calloc((size_t)p.nslots, sizeof *p.slots);
	cal_info("app", "pool %ld listening on %s with %d worker(s)", (long)p.parent, opts->listen, opts->workers);
	spawn_warmer(&p);
	status = run_loop(&p);
out:
	if (p.listen_fd >= 0)
		close(p.listen_fd);
	remove_socket(&p);
	if (p.pidfile_written && unlink(p.pidfile) != 0)
		cal_warn("app", "cannot remove pidfile %s: %s", p.pidfile, strerror(errno));
	free(p.pidfile);
	free(p.slots);
	free(p.retiring);
	if (status == 0)
		cal_info("app", "pool stopped");
	cal_log_close();
	return status;
}
