#!/usr/bin/env python3
"""The foundation through nginx and the pool (SPEC §2, §4.1, §4.2, §13, §14): health, request ids, the
error envelope, limits, worker crashes, graceful reload, the database going away and coming back, memory
that stays flat, and the deployment files (systemd unit, cron entries) run against the test stack.

Run by tests/run, which starts the stack with server.max_body_bytes = 65536 and describes it in the
environment (see lib.py). Tests run in order and each leaves the stack as it found it.
"""

import concurrent.futures
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

import lib
from lib import test, eq, ok, status, dig, error_envelope

MAX_BODY = 65536
WEBHOOK_BODY = {"id": "e2e-foundation-1", "first_name": "Ana", "text": "hola"}


def webhook(body, headers=None):
    h = lib.webhook_headers()
    h.update(headers or {})
    if isinstance(body, (bytes, str)):
        h.setdefault("Content-Type", "application/json")
    return lib.post("/webhook/manychat", body=body, headers=h)


class Hammer(threading.Thread):
    """Sends GET /health/live in a loop until stopped and remembers every failure."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop_flag = threading.Event()
        self.sent = 0
        self.failures = []

    def run(self):
        while not self.stop_flag.is_set():
            try:
                r = lib.get("/health/live", timeout=10)
                if r.status != 200:
                    self.failures.append("HTTP %d %r" % (r.status, r.body[:120]))
            except Exception as e:  # a refused or reset connection is exactly what we look for
                self.failures.append(repr(e))
            self.sent += 1

    def finish(self):
        self.stop_flag.set()
        self.join(30)
        ok(self.sent > 0, "background requests were sent")
        eq(self.failures[:5], [], "failed background requests (%d of %d)" % (len(self.failures), self.sent))


# ------------------------------------------------------------------------------------------ health

@test
def health_is_healthy():
    r = lib.get("/health")
    status(r, 200)
    ok((r.header("Content-Type") or "").startswith("application/json"), "JSON content type")
    doc = r.json()
    eq(dig(doc, "status"), "healthy", "status")
    eq(dig(doc, "checks.database.status"), "healthy", "checks.database.status")
    ok(isinstance(dig(doc, "uptime_seconds"), (int, float)), "uptime_seconds is a number")
    status(lib.get("/health/"), 200, "/health/")


@test
def live_ready_version():
    r = lib.get("/health/live")
    status(r, 200)
    eq(dig(r.json(), "status"), "alive", "live status")
    r = lib.get("/health/ready")
    status(r, 200)
    eq(dig(r.json(), "status"), "ready", "ready status")
    r = lib.get("/health/version")
    status(r, 200)
    eq(dig(r.json(), "name"), "caloria", "name")


# ------------------------------------------------------------------------------------ request ids

@test
def every_response_has_a_request_id():
    for method, path in (("GET", "/health"), ("GET", "/health/live"), ("GET", "/no/such/path"),
                         ("GET", "/webhook/manychat"), ("POST", "/webhook/manychat")):
        r = lib.request(method, path, body=b"" if method == "POST" else None)
        rid = r.header("X-Request-ID") or ""
        ok(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", rid), "%s %s: X-Request-ID %r" % (method, path, rid))


@test
def valid_request_id_is_echoed():
    for rid in ("abc-123", "A.b_c-9", "x" * 64):
        r = lib.get("/health/live", headers={"X-Request-ID": rid})
        eq(r.header("X-Request-ID"), rid, "echoed id")
    r = lib.get("/no/such/path", headers={"X-Request-ID": "trace-404"})
    eq(r.header("X-Request-ID"), "trace-404", "echoed on errors")
    eq(dig(r.json(), "error.request_id"), "trace-404", "id in the error body")


@test
def invalid_request_id_is_replaced():
    seen = set()
    for bad in ("has space", "x" * 65, "semi;colon", "ünïcode", "<script>"):
        r = lib.get("/health/live", headers={"X-Request-ID": bad})
        rid = r.header("X-Request-ID") or ""
        ok(rid != bad and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", rid), "%r replaced by a valid id (got %r)" % (bad, rid))
        seen.add(rid)
    eq(len(seen), 5, "fresh ids differ")


# ------------------------------------------------------------------------------------- errors

@test
def unknown_path_is_404_envelope():
    for path in ("/no/such/path", "/health/nope", "/webhook", "/webhook/manychat/extra"):
        error_envelope(lib.get(path), "not_found", 404)


@test
def wrong_method_is_405_with_allow():
    r = lib.get("/webhook/manychat")
    error_envelope(r, "method_not_allowed", 405)
    ok("POST" in (r.header("Allow") or ""), "Allow lists POST, got %r" % r.header("Allow"))
    r = lib.post("/health/live", body=b"")
    error_envelope(r, "method_not_allowed", 405)
    ok("GET" in (r.header("Allow") or ""), "Allow lists GET, got %r" % r.header("Allow"))


@test
def oversized_body_is_413():
    eq(int(lib.conf_get("server", "max_body_bytes")), MAX_BODY, "test config max_body_bytes")
    body = b'{"id": "1", "text": "' + b"a" * MAX_BODY + b'"}'
    error_envelope(webhook(body), "payload_too_large", 413)
    # Without a token the body is never read (SPEC §1: auth on headers first): 401, not 413.
    r = lib.post("/webhook/manychat", body=body, headers={"Content-Type": "application/json"})
    error_envelope(r, "unauthorized", 401)


@test
def malformed_json_is_400_invalid_json():
    for body in (b'{"id": ', b"not json", b'{"id": "1", "text": "\xff\xfe"}', b"[" * 100 + b"]" * 100):
        r = webhook(body)
        status(r, 400, "body %r" % body[:20])
        eq(dig(r.json(), "error.code"), "invalid_json", "error.code for %r" % body[:20])


@test
def webhook_without_token_is_401():
    r = lib.post("/webhook/manychat", body=WEBHOOK_BODY)
    status(r, 401)
    eq(dig(r.json(), "error.code"), "unauthorized", "error.code")
    r = lib.post("/webhook/manychat", body=WEBHOOK_BODY, headers={"X-Caloria-Token": "wrong"})
    status(r, 401, "wrong token")


@test
def webhook_answers_v2():
    r = webhook(WEBHOOK_BODY)
    status(r, 200)
    doc = r.json()
    eq(dig(doc, "version"), "v2", "version")
    ok(isinstance(dig(doc, "content.messages"), list), "content.messages is a list")


# ------------------------------------------------------------------------------------- memory

@test
def worker_rss_is_flat():
    if lib.ASAN:
        lib.skip("RSS is meaningless under AddressSanitizer (quarantine, shadow memory)")
    paths = ["/health/live", "/health", "/no/such/path", "/health/version"]

    def burst(n):
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            codes = list(ex.map(lambda i: lib.get(paths[i % len(paths)]).status, range(n)))
        bad = [c for c in codes if c not in (200, 404)]
        eq(bad[:5], [], "unexpected statuses in %d requests" % n)

    burst(100)
    pids = lib.worker_pids()
    ok(pids, "workers found")
    before = {p: lib.rss_kb(p) for p in pids}
    burst(10000)
    eq(lib.worker_pids(), pids, "same workers after 10,000 requests (none recycled or crashed)")
    for p in pids:
        after = lib.rss_kb(p)
        allowed = max(before[p] * 0.05, 384)
        ok(after - before[p] <= allowed, "worker %d RSS grew from %d kB to %d kB (allowed +%d kB)"
           % (p, before[p], after, allowed))


# ------------------------------------------------------------------------------- process model

@test
def killed_worker_never_fails_requests():
    pids = lib.worker_pids()
    ok(len(pids) >= 2, "at least two workers, got %r" % pids)
    os.kill(pids[0], signal.SIGKILL)
    failures = []
    for _ in range(300):
        r = lib.get("/health/live")
        if r.status != 200:
            failures.append(r.status)
    eq(failures[:5], [], "failed requests after kill -9 (%d)" % len(failures))
    fresh = lib.wait_workers(len(pids), 20, exclude=[pids[0]])
    ok(pids[1] in fresh, "the other worker was left alone")


@test
def sighup_reloads_config_without_failures():
    # max_body_bytes is observable from outside: shrink it, reload, and the same body becomes a 413.
    body = b'{"id": "1", "text": "' + b"a" * 40000 + b'"}'
    r = webhook(body)
    ok(r.status != 413, "40 kB body accepted before the reload (got %d)" % r.status)
    hammer = Hammer()
    hammer.start()
    try:
        lib.conf_set("server", "max_body_bytes", "32768")
        lib.reload_pool()
        r = webhook(body)
        error_envelope(r, "payload_too_large", 413)
    finally:
        lib.conf_set("server", "max_body_bytes", str(MAX_BODY))
        lib.reload_pool()
        hammer.finish()
    r = webhook(body)
    ok(r.status != 413, "limit restored after the second reload (got %d)" % r.status)


# ------------------------------------------------------------------------------------- database

@test
def database_down_then_back():
    lib.mdb_stop()
    try:
        r = lib.get("/health/live")
        status(r, 200, "/health/live without the database")
        r = lib.get("/health/ready")
        status(r, 503, "/health/ready")
        eq(dig(r.json(), "status"), "not_ready", "ready status")
        started = time.time()
        r = lib.get("/health")
        status(r, 503, "/health")
        eq(dig(r.json(), "status"), "unhealthy", "health status")
        ok(time.time() - started < 3, "/health answered quickly without the database")
        r = webhook(dict(WEBHOOK_BODY, id="e2e-foundation-2"))
        status(r, 503, "webhook without the database")
        doc = r.json()
        eq(dig(doc, "version"), "v2", "ManyChat v2 body")
        eq(dig(doc, "error.code"), "unavailable", "error.code")
        ok(isinstance(dig(doc, "content.messages"), list), "apology message present")
    finally:
        lib.mdb_start()
    # Recovery without restarting Caloria: the workers reconnect on their next request.
    # "healthy" once a probe is quick again: on a busy machine one probe may take over 50 ms ("degraded").
    lib.wait_for(lambda: lib.get("/health").status == 200, 20, "/health 200 after the restart")
    lib.wait_for(lambda: dig(lib.get("/health").json(), "status") == "healthy", 20, "/health healthy after the restart")
    status(lib.get("/health/ready"), 200, "/health/ready after the restart")
    status(webhook(dict(WEBHOOK_BODY, id="e2e-foundation-3")), 200, "webhook after the restart")


# ------------------------------------------------------------------------------ deployment files

@test
def cron_entries_run():
    """Every command of httpd-conf/caloria.cron runs against the test stack and exits 0."""
    with open(os.path.join(lib.SRCDIR, "httpd-conf", "caloria.cron")) as f:
        entries = [ln.split() for ln in f if ln.strip() and not ln.startswith("#") and "=" not in ln.split()[0]]
    ok(len(entries) >= 2, "cron file has its entries (summaries, cleanup)")
    for fields in entries:
        eq(fields[5], "caloria", "cron entries run as the caloria user")
        argv = fields[6:]
        eq(argv[0], "/usr/local/bin/caloria", "installed CLI path")
        argv = [os.path.join(lib.BUILD, "caloria")] + argv[1:]
        env = dict(os.environ, CALORIA_CONFIG=lib.CONF)
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        eq(r.returncode, 0, "%s exit status (stderr: %s)" % (" ".join(argv[1:]), r.stderr.strip()[-300:]))


@test
def systemd_unit_starts_and_stops_the_pool():
    """ExecStart of httpd-conf/caloria.service (paths moved to a temp dir) serves, reloads and stops."""
    with open(os.path.join(lib.SRCDIR, "httpd-conf", "caloria.service")) as f:
        unit = f.read()
    line = [ln for ln in unit.splitlines() if ln.startswith("ExecStart=")][0]
    argv = shlex.split(line[len("ExecStart="):])
    ok("ExecReload=/bin/kill -HUP $MAINPID" in unit and "KillSignal=SIGTERM" in unit, "reload/stop signals")
    tmp = tempfile.mkdtemp(prefix="caloria-unit-", dir="/tmp")
    subst = {"/usr/local/libexec/caloria.fcgi": os.path.join(lib.BUILD, "caloria.fcgi"),
             "/etc/caloria/caloria.conf": lib.CONF, "/run/caloria/": tmp + "/"}
    for old, new in subst.items():
        ok(any(old in a for a in argv), "ExecStart mentions %s" % old)
        argv = [a.replace(old, new) for a in argv]
    if os.getuid() == 0:
        argv.append("--allow-root")  # the unit itself runs as User=caloria
    log = open(os.path.join(tmp, "stderr.log"), "w")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        sock = os.path.join(tmp, "caloria.sock")
        lib.wait_for(lambda: os.path.exists(sock), 20, "the unit's socket")
        mode = os.stat(sock).st_mode & 0o777
        eq(mode, 0o660, "socket mode")
        r = lib.wait_for(lambda: (lambda x: x if x.status == 200 else None)(lib.fcgi(sock).http("GET", "/health/live")),
                         20, "/health/live over the unit's socket")
        eq(dig(r.json(), "status"), "alive", "status")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        status(lib.fcgi(sock).http("GET", "/health/live"), 200, "after ExecReload (SIGHUP)")
        proc.send_signal(signal.SIGTERM)
        eq(proc.wait(30), 0, "exit status after KillSignal=SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(lib.main())
