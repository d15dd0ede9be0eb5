"""Helpers for Caloria's end-to-end suites (tests/e2e/test_*.py): HTTP through nginx with urllib, JSON
assertions, the mock APIs' control endpoint, the pool's processes, the private MariaDB, and a tiny test
runner that prints one line per test and ends with `N passed, M failed`.

tests/run starts the stack and describes it through the environment:
    CALORIA_E2E_BASE     http://127.0.0.1:18080 (nginx)
    CALORIA_E2E_MOCK     http://127.0.0.1:PORT (tests/e2e/mockapi.py)
    CALORIA_E2E_CONF     the generated caloria.conf (secrets live there, never printed)
    CALORIA_E2E_RUN_DIR  run directory of the pool (caloria.pid, caloria.log, pool.stderr)
    CALORIA_E2E_MDB_DIR  directory of the private MariaDB (tests/lib/mariadb.sh)
    CALORIA_E2E_BUILD    build directory holding caloria.fcgi and caloria
    CALORIA_E2E_ASAN     "1" when the binaries are built with sanitizers

A suite is a module with functions decorated by @test, ending in `sys.exit(lib.main())`.
"""

import json
import os
import signal
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = os.environ.get("CALORIA_E2E_BASE", "http://127.0.0.1:18080")
MOCK = os.environ.get("CALORIA_E2E_MOCK", "")
CONF = os.environ.get("CALORIA_E2E_CONF", "")
RUN_DIR = os.environ.get("CALORIA_E2E_RUN_DIR", "")
MDB_DIR = os.environ.get("CALORIA_E2E_MDB_DIR", "")
BUILD = os.environ.get("CALORIA_E2E_BUILD", os.path.join(SRCDIR, "build"))
ASAN = os.environ.get("CALORIA_E2E_ASAN") == "1"


class Skip(Exception):
    """Raised by skip(): the test does not apply here; counted neither as passed nor failed."""


def skip(reason):
    raise Skip(reason)


# ---------------------------------------------------------------------------------------------- HTTP

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # email.message.Message: case-insensitive get()
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as e:
            raise AssertionError("body is not JSON (%s): %r" % (e, self.body[:200]))

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


def request(method, path, body=None, headers=None, base=None, timeout=15):
    """One HTTP request; never raises for HTTP error statuses (they are results to assert on).
    body may be bytes, str, or any JSON-serialisable object (sent as application/json)."""
    hdrs = dict(headers or {})
    data = body
    if body is not None and not isinstance(body, (bytes, str)):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    req = urllib.request.Request((base or BASE) + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def get(path, **kw):
    return request("GET", path, **kw)


def post(path, body=None, **kw):
    return request("POST", path, body=body, **kw)


# ------------------------------------------------------------------------------------------- asserts

def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what or "value", expected, actual))


def ok(cond, what):
    if not cond:
        raise AssertionError(what)


def status(resp, expected, what=""):
    if resp.status != expected:
        raise AssertionError("%s: expected HTTP %d, got %d: %r" % (what or "status", expected, resp.status,
                                                                   resp.body[:300]))


def dig(obj, path):
    """dig(doc, "error.code") → doc["error"]["code"], with a clear failure when a step is missing."""
    cur = obj
    for step in path.split("."):
        if isinstance(cur, list) and step.isdigit() and int(step) < len(cur):
            cur = cur[int(step)]
        elif isinstance(cur, dict) and step in cur:
            cur = cur[step]
        else:
            raise AssertionError("missing %s in %s" % (path, json.dumps(obj)[:300]))
    return cur


def error_envelope(resp, code, status_code):
    """Asserts the SPEC §4.1 error body: status, JSON content type, code, message and request id."""
    status(resp, status_code, code)
    ctype = resp.header("Content-Type") or ""
    ok(ctype.startswith("application/json"), "error Content-Type is JSON, got %r" % ctype)
    doc = resp.json()
    eq(dig(doc, "error.code"), code, "error.code")
    ok(isinstance(dig(doc, "error.message"), str) and dig(doc, "error.message"), "error.message is text")
    eq(dig(doc, "error.request_id"), resp.header("X-Request-ID"), "error.request_id equals X-Request-ID")
    return doc


def fcgi(socket_path):
    """A FastCGI client straight to a pool socket, no web server (tests/e2e/fcgi_client.py)."""
    from fcgi_client import FastCGIClient
    return FastCGIClient("unix:" + socket_path)


# ------------------------------------------------------------------------------------ private pools

class PrivatePool:
    """caloria.fcgi with the stack's config plus CALORIA_* overrides, in a private directory (its own socket,
    shared segment, run directory and log), spoken to over FastCGI directly: no other suite's traffic reaches
    it and its settings (workers, limits, timeouts) are the test's own."""

    def __init__(self, workers=4, env=None, warm_top=0):
        import tempfile
        from fcgi_client import FastCGIClient
        if not CONF:
            skip("CALORIA_E2E_CONF is not set (run through tests/run)")
        self.workers_wanted = workers
        self.dir = tempfile.mkdtemp(prefix="caloria-private-")
        self.sock = os.path.join(self.dir, "caloria.sock")
        self.log = os.path.join(self.dir, "caloria.log")
        full = dict(os.environ)
        full.update({
            "CALORIA_CACHE_PATH": os.path.join(self.dir, "caloria.cache"),
            "CALORIA_CACHE_SIZE_MB": "16",
            "CALORIA_CACHE_WARM_TOP": str(warm_top),
            "CALORIA_PATHS_RUN_DIR": self.dir,
            "CALORIA_LOG_FILE": self.log,
        })
        full.update(env or {})
        binary = os.path.join(BUILD, "caloria.fcgi")
        self.stderr = open(os.path.join(self.dir, "stderr.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "--config", CONF, "--listen", "unix:" + self.sock, "--workers", str(workers),
             "--allow-root"], env=full, stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr)
        self.client = FastCGIClient("unix:" + self.sock, timeout=30)
        try:
            wait_for(lambda: os.path.exists(self.sock), 30, "the pool's socket")
            wait_for(lambda: len(self.workers()) == workers, 30, "%d workers" % workers)
            wait_for(lambda: self.client.http("GET", "/health/live").status == 200, 30, "/health/live")
        except BaseException:
            self.close()  # a pool that never became ready must not outlive the test (its job runner too)
            raise

    def workers(self):
        """Live workers of this pool, sorted."""
        return sorted(_workers_of(self.proc.pid))

    def http(self, method, path, body=b"", headers=None, timeout=None):
        if timeout is None:
            return self.client.http(method, path, body, headers)
        from fcgi_client import FastCGIClient
        return FastCGIClient("unix:" + self.sock, timeout=timeout).http(method, path, body, headers)

    def webhook(self, body, headers=None, timeout=None):
        h = {"Content-Type": "application/json"}
        h.update(webhook_headers() if headers is None else headers)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http("POST", "/webhook/manychat", data, h, timeout=timeout)

    def metrics(self):
        r = self.http("GET", "/health/metrics")
        status(r, 200, "GET /health/metrics")
        return r.json()

    def log_rows(self):
        """The pool's JSON log lines as objects; unparsable lines are skipped."""
        with open(self.log, errors="replace") as f:
            for line in f:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    def access_pids(self, route):
        """Which worker pids wrote access lines for route."""
        return {row.get("pid") for row in self.log_rows()
                if row.get("msg") == "access" and row.get("route") == route}

    def close(self):
        import shutil
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _workers_of(parent):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            # The pool's job runner child calls itself caloria-jobs; it serves no request.
            if int(fields[1]) == parent and fields[0] != "Z" and "(caloria-jobs)" not in stat:
                out.append(int(name))
    return out


# ----------------------------------------------------------------------------------- configuration

def conf_get(section, key):
    """A value from the test config (for example the webhook token); None when absent."""
    cur = None
    with open(CONF, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s.startswith("["):
                cur = s.strip("[]").strip()
            elif s and not s.startswith(("#", ";")) and "=" in s and cur == section:
                k, v = s.split("=", 1)
                if k.strip() == key:
                    return v.strip()
    return None


def conf_set(section, key, value):
    """Rewrites one key of the test config in place (adding it, or its section, when missing).
    The pool only sees the change after reload()."""
    with open(CONF, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, cur, done = [], None, False
    for line in lines:
        s = line.strip()
        if s.startswith("["):
            if cur == section and not done:
                out.append("%s = %s" % (key, value))
                done = True
            cur = s.strip("[]").strip()
        elif cur == section and "=" in s and not s.startswith(("#", ";")) and s.split("=", 1)[0].strip() == key:
            if not done:
                out.append("%s = %s" % (key, value))
                done = True
            continue
        out.append(line)
    if not done:
        if cur != section:
            out.append("[%s]" % section)
        out.append("%s = %s" % (key, value))
    tmp = CONF + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, CONF)


def webhook_headers():
    return {"X-Caloria-Token": conf_get("manychat", "webhook_token") or ""}


# --------------------------------------------------------------------------------------- the pool

def pool_pid():
    with open(os.path.join(RUN_DIR, "caloria.pid")) as f:
        return int(f.read().strip())


def _ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _children(want_runner):
    parent = pool_pid()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if _ppid(int(name)) == parent and _state(int(name)) != "Z" and \
                    (_comm(int(name)) == "caloria-jobs") == want_runner:
                pids.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(pids)


def worker_pids():
    """Live FastCGI workers of the pool parent (its job runner child excluded), sorted."""
    return _children(False)


def runner_pids():
    """The pool's job runner child (named caloria-jobs), as a list (empty while it is being restarted)."""
    return _children(True)


def _comm(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().strip()


def _state(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2:].split()[0]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def wait_for(cond, seconds, what, interval=0.1, retry_on=(OSError, AssertionError, ValueError)):
    """Polls cond() until it is truthy; returns its value or fails naming what was awaited. Exceptions in
    retry_on count as "not yet"; any other ends the wait at once."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = cond()
            if last:
                return last
        except retry_on as e:
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (seconds, what, last))


def wait_workers(n, seconds=20, exclude=()):
    """Waits until the pool has n live workers, none of them in exclude; returns their pids."""
    def ready():
        pids = worker_pids()
        return pids if len(pids) == n and not set(pids) & set(exclude) else None
    return wait_for(ready, seconds, "%d fresh workers" % n)


def reload_pool(expect_workers=None, seconds=30):
    """SIGHUP to the parent (graceful reload), then waits until every old worker was replaced."""
    old = worker_pids()
    os.kill(pool_pid(), signal.SIGHUP)
    return wait_workers(expect_workers or len(old), seconds, exclude=old)


def log_lines():
    """The pool's JSON log lines (log.file) as parsed objects; unparsable lines are skipped."""
    path = conf_get("log", "file") or os.path.join(RUN_DIR, "caloria.log")
    rows = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
    except FileNotFoundError:
        pass
    return rows


# --------------------------------------------------------------------------------------- MariaDB

def _mdb(action):
    script = 'set -e; . "%s/tests/lib/mariadb.sh"; %s "$1"' % (SRCDIR, action)
    subprocess.run(["bash", "-c", script, "mdb", MDB_DIR], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, timeout=120)


def mdb_stop():
    _mdb("mdb_stop")


def mdb_start():
    env_pw = conf_get("database", "password")
    os.environ["MDB_PASSWORD"] = env_pw or ""
    _mdb("mdb_start")


def sql(statement):
    """Runs SQL as the private server's root user and returns the rows as lists of strings."""
    r = subprocess.run(["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + os.path.join(MDB_DIR, "mysqld.sock"),
                        "-uroot", "-N", "-B", "caloria", "-e", statement], check=True, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    return [line.split("\t") for line in r.stdout.splitlines()]


# ----------------------------------------------------------------------------------- the mock APIs

def mock_reset():
    request("POST", "/__control/reset", body=b"", base=MOCK)


def manychat_pushes(subscriber):
    """The bodies of the ManyChat sendContent pushes the mock received for subscriber, oldest first."""
    out = []
    for r in mock_requests("manychat"):
        if r["path"] != "/fb/sending/sendContent":
            continue
        body = json.loads(r.get("body") or "{}")
        if str(body.get("subscriber_id")) == subscriber:
            out.append(body)
    return out


def mock_script(service, **rule):
    """Adds a scripted response, e.g. mock_script("gemini", status=503, times=1)."""
    rule["service"] = service
    r = request("POST", "/__control/script", body=rule, base=MOCK)
    status(r, 200, "mock rule accepted")


def mock_requests(service=None):
    path = "/__control/requests" + ("?service=" + service if service else "")
    return request("GET", path, base=MOCK).json()


# --------------------------------------------------------------------------------------- runner

_TESTS = []


def test(fn):
    _TESTS.append(fn)
    return fn


def main():
    """Runs every @test of the calling module in definition order; prints PASS/FAIL/SKIP lines and
    `N passed, M failed`; returns the exit status (0 only when nothing failed)."""
    only = [a for a in sys.argv[1:] if not a.startswith("-")]
    passed = failed = skipped = 0
    for fn in _TESTS:
        if only and fn.__name__ not in only:
            continue
        started = time.time()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (fn.__name__, e), flush=True)
            continue
        except Exception as e:  # a broken test is a failed test, never a crashed suite
            failed += 1
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc().strip()
            print("FAIL %s (%.1fs): %s" % (fn.__name__, time.time() - started, detail), flush=True)
            continue
        passed += 1
        print("PASS %s (%.1fs)" % (fn.__name__, time.time() - started), flush=True)
    if skipped:
        print("%d skipped" % skipped)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1
