#!/usr/bin/env python3
"""End-to-end tests of the pool-wide state (SPEC §4.4, §12, §13): rate limits, metrics and the cache are
shared by every worker process, so their numbers are exact however requests spread over the pool.

The suite starts its own pool of 4 workers on the test database (same config as the stack, through
CALORIA_* overrides: its own cache file, run directory and log), and talks FastCGI to it directly, so no
other suite's traffic can touch its counters. Needs the environment tests/run provides (CALORIA_E2E_CONF,
CALORIA_E2E_BUILD). Ends with `N passed, M failed`.
"""

import concurrent.futures
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

WORKERS = 4
LIMIT = 100  # ratelimit.webhook_per_min used by this suite


class Pool(lib.PrivatePool):
    """A 4-worker private pool whose webhook limit is LIMIT per minute."""

    def __init__(self, warm_top=0):
        super().__init__(WORKERS, {"CALORIA_RATELIMIT_WEBHOOK_PER_MIN": str(LIMIT)}, warm_top)


def message(pool, subscriber, text):
    body = json.dumps({"id": subscriber, "text": text}).encode()
    return pool.http("POST", "/webhook/manychat", body,
                     {"Content-Type": "application/json", **lib.webhook_headers()})


@lib.test
def rate_limit_is_exact_across_workers():
    pool = Pool()
    try:
        subscriber = "rl%d" % (time.time() * 1000)
        other = subscriber + "x"
        # 100 messages in parallel over 4 workers: all answered normally.
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            statuses = list(ex.map(lambda i: message(pool, subscriber, "hola %d" % i).status, range(LIMIT)))
        lib.eq(statuses.count(200), LIMIT, "the first %d messages are answered" % LIMIT)
        served_by = pool.access_pids("webhook_manychat")
        lib.ok(len(served_by) >= 2, "messages were spread over several workers (%r)" % served_by)
        # The 101st, whichever worker takes it, is limited.
        r = message(pool, subscriber, "hola otra vez")
        lib.status(r, 429, "the 101st message")
        lib.ok(r.header("Retry-After") and int(r.header("Retry-After")) >= 1, "Retry-After is set")
        doc = r.json()
        lib.eq(lib.dig(doc, "error.code"), "rate_limited", "error code")
        lib.eq(doc.get("version"), "v2", "ManyChat still gets a v2 block")
        lib.ok(doc.get("message"), "the v2 block carries the 'too fast' text")
        # A different subscriber is not affected.
        lib.status(message(pool, other, "hola"), 200, "another subscriber")
    finally:
        pool.close()


def prom_value(body, prefix):
    """Sum of the samples whose line starts with prefix (a metric name and the start of its labels)."""
    return sum(int(float(l.rsplit(" ", 1)[1])) for l in body.splitlines() if l.startswith(prefix))


def snapshot(pool):
    """Counters read through /metrics (the read itself is counted under route "metrics", not below)."""
    r = pool.http("GET", "/metrics")
    lib.status(r, 200, "GET /metrics")
    body = r.body.decode()
    return {
        "live": prom_value(body, 'caloria_http_requests_total{route="health_live"'),
        "unmatched": prom_value(body, 'caloria_http_requests_total{route="unmatched"'),
        "live_hist": prom_value(body, 'caloria_http_request_duration_seconds_count{route="health_live"'),
        "not_found": prom_value(body, 'caloria_errors_total{code="not_found"'),
    }


@lib.test
def metrics_totals_equal_requests_sent():
    pool = Pool()
    try:
        before = snapshot(pool)
        jobs = [("GET", "/health/live")] * 57 + [("GET", "/no/such/path")] * 13
        batches = 0
        # A /health/live takes so little time that on a loaded machine one worker may win every accept of a
        # batch; more batches until at least two workers have served, so the totals are truly pool-wide.
        while batches == 0 or (len(pool.access_pids("health_live")) < 2 and batches < 10):
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                results = list(ex.map(lambda j: pool.http(j[0], j[1]).status, jobs))
            lib.eq(results.count(200), 57, "every /health/live answered")
            lib.eq(results.count(404), 13, "every unknown path got 404")
            batches += 1
        lib.ok(len(pool.access_pids("health_live")) >= 2, "requests were spread over several workers")
        after = snapshot(pool)
        lib.eq(after["live"] - before["live"], 57 * batches, "Prometheus total for health_live")
        lib.eq(after["unmatched"] - before["unmatched"], 13 * batches, "Prometheus total for unmatched paths")
        lib.eq(after["live_hist"] - before["live_hist"], 57 * batches, "latency histogram count for health_live")
        lib.eq(after["not_found"] - before["not_found"], 13 * batches, "not_found errors counted once each")
        # The JSON view reads the same counters.
        doc = pool.metrics()
        lib.eq(lib.dig(doc, "requests.health_live.total"), after["live"], "JSON total for health_live")
        lib.eq(lib.dig(doc, "requests.unmatched.by_status.4xx"), after["unmatched"], "JSON 4xx for unmatched")
    finally:
        pool.close()


@lib.test
def food_analysis_cache_is_shared():
    pool = Pool()
    try:
        text = "2 huevos revueltos y una tostada con manteca"
        before = pool.http("GET", "/health/cache").json()
        # Complete two profiles through the form quiz, then log the same text from both.
        base = "cache%d" % (time.time() * 1000)
        quiz = {"gender": "female", "age": 30, "weight": 60, "height": 165, "activity_level": 2, "goal": 2}
        for s in (base + "a", base + "b"):
            body = json.dumps({"id": s, "quiz": quiz}).encode()
            r = pool.http("POST", "/webhook/manychat", body,
                          {"Content-Type": "application/json", **lib.webhook_headers()})
            lib.eq(lib.dig(r.json(), "caloria.status"), "quiz_completed", "form quiz for %s" % s)
        first = message(pool, base + "a", text).json()
        second = message(pool, base + "b", text).json()
        lib.eq(lib.dig(first, "caloria.status"), "food_logged", "first log")
        lib.eq(lib.dig(second, "caloria.status"), "food_logged", "second log")
        lib.eq(lib.dig(first, "caloria.analysis.total"), lib.dig(second, "caloria.analysis.total"),
               "a cache hit gives the same numbers")
        after = pool.http("GET", "/health/cache").json()
        lib.ok(after["hits"] >= before["hits"] + 1, "the second analysis was a hit (%r -> %r)" % (before, after))
        lib.ok(after["entries"] >= 1, "entries are counted")
    finally:
        pool.close()


@lib.test
def week_view_is_cached_and_invalidated_by_food_writes():
    pool = Pool()
    try:
        s = "week%d" % (time.time() * 1000)
        quiz = {"gender": "female", "age": 35, "weight": 65, "height": 168, "activity_level": 1, "goal": 2}
        body = json.dumps({"id": s, "quiz": quiz}).encode()
        pool.http("POST", "/webhook/manychat", body, {"Content-Type": "application/json", **lib.webhook_headers()})

        def today_kcal():
            doc = message(pool, s, "semana").json()
            lib.eq(lib.dig(doc, "caloria.status"), "week_summary", "week reply")
            return lib.dig(doc, "caloria.week.days")[-1]["consumed_kcal"]  # today: the last day shown

        lib.eq(today_kcal(), 0, "nothing logged yet")
        hits = pool.http("GET", "/health/cache").json()["hits"]
        lib.eq(today_kcal(), 0, "second read")
        lib.ok(pool.http("GET", "/health/cache").json()["hits"] > hits, "the second week read is a cache hit")
        logged = message(pool, s, "una banana").json()
        lib.eq(lib.dig(logged, "caloria.status"), "food_logged", "log")
        kcal = lib.dig(logged, "caloria.day.consumed_kcal")
        lib.ok(kcal > 0, "the banana has calories")
        lib.eq(today_kcal(), kcal, "the week shows the new log at once (cache invalidated by the write)")
        lib.eq(lib.dig(message(pool, s, "deshacer").json(), "caloria.status"), "undone", "undo")
        lib.eq(today_kcal(), 0, "the week shows the undo at once")
    finally:
        pool.close()


@lib.test
def cache_is_warmed_at_start():
    # Log three distinct descriptions (the previous tests' logs count too), then start a fresh pool with an
    # empty cache file: the warmer analyses the week's most frequent descriptions before anyone asks.
    pool = Pool()
    try:
        s = "warm%d" % (time.time() * 1000)
        quiz = {"gender": "male", "age": 40, "weight": 80, "height": 178, "activity_level": 3, "goal": 1}
        body = json.dumps({"id": s, "quiz": quiz}).encode()
        pool.http("POST", "/webhook/manychat", body, {"Content-Type": "application/json", **lib.webhook_headers()})
        for text in ("una banana", "200 g de pollo a la plancha", "1 cup of oatmeal with a banana"):
            lib.eq(lib.dig(message(pool, s, text).json(), "caloria.status"), "food_logged", text)
    finally:
        pool.close()
    pool = Pool(warm_top=200)
    try:
        lib.wait_for(lambda: pool.http("GET", "/health/cache").json()["entries"] >= 3, 30,
                     "the warmer to fill the cache")
        before = pool.http("GET", "/health/cache").json()
        r = message(pool, s, "200 g de pollo a la plancha")
        lib.eq(lib.dig(r.json(), "caloria.status"), "food_logged", "log after warming")
        after = pool.http("GET", "/health/cache").json()
        lib.ok(after["hits"] >= before["hits"] + 1, "the first analysis after start is a cache hit")
        lib.eq(after["misses"], before["misses"], "and nothing missed")
    finally:
        pool.close()


if __name__ == "__main__":
    sys.exit(lib.main())
