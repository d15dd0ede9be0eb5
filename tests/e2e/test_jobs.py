#!/usr/bin/env python3
"""The background job queue and its runners (SPEC §7.5, §11) against the test stack: jobs are rows written
straight into the private MariaDB (as a webhook's transaction would write them), run by the pool's job
runner child or by `caloria jobs run --once`, and observed through the jobs table and the mock ManyChat.

Checked: a push job reaches ManyChat sendContent with the v2 content and ends done after one attempt; a
push that meets 500s is retried with back-off and delivered once ManyChat answers; one that ManyChat
rejects (400) fails at once without retrying; one whose provider never recovers fails after
jobs.max_attempts tries; a job whose kind does not exist fails without a push; the runner child killed
with SIGKILL is restarted by the pool and a job claimed by a dead runner is taken back at once;
`caloria jobs run --once` runs what is due and exits 0; `jobs` with bad arguments is a usage error.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import lib
from lib import test, eq, ok

TAG = "job%04d" % random.randrange(10000)
_seq = [0]


def q(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def subscriber():
    _seq[0] += 1
    return "%s-%d" % (TAG, _seq[0])


def enqueue(kind, payload, extra_cols="", extra_vals=""):
    lib.sql("INSERT INTO jobs (kind, payload%s) VALUES (%s, %s%s)" % (extra_cols, q(kind), q(json.dumps(payload)),
                                                                   extra_vals))
    return int(lib.sql("SELECT MAX(id) FROM jobs WHERE kind = %s" % q(kind))[0][0])


def job(jid):
    rows = lib.sql("SELECT state, attempts, COALESCE(last_error, ''), COALESCE(locked_by, '') FROM jobs"
                   " WHERE id = %d" % jid)
    ok(len(rows) == 1, "job %d exists" % jid)
    return {"state": rows[0][0], "attempts": int(rows[0][1]), "error": rows[0][2], "locked_by": rows[0][3]}


def wait_state(jid, states, seconds=30):
    return lib.wait_for(lambda: job(jid) if job(jid)["state"] in states else None, seconds,
                        "job %d in %s" % (jid, states))


pushes_to = lib.manychat_pushes


def push_payload(sub, text):
    return {"subscriber_id": sub, "content": {"type": "telegram", "messages": [{"type": "text", "text": text}]}}


@test
def push_job_is_delivered_once():
    sub = subscriber()
    jid = enqueue("push", push_payload(sub, "hola desde un job"))
    j = wait_state(jid, ("done",))
    eq(j["attempts"], 1, "one attempt")
    eq(j["locked_by"], "", "claim released")
    sent = pushes_to(sub)
    eq(len(sent), 1, "one sendContent")
    eq(lib.dig(sent[0], "data.version"), "v2", "v2 block")
    eq(lib.dig(sent[0], "data.content.messages.0.text"), "hola desde un job", "the text")
    eq(sent[0].get("message_tag"), "ACCOUNT_UPDATE", "message tag")


@test
def push_retried_after_server_errors():
    sub = subscriber()
    lib.mock_script("manychat", path="/fb/sending/sendContent", status=500, json={"status": "error"}, times=2)
    jid = enqueue("push", push_payload(sub, "retry me"))
    j = wait_state(jid, ("done", "failed"), 60)
    eq(j["state"], "done", "delivered in the end")
    eq(j["attempts"], 3, "two failed tries, then success")
    eq(len(pushes_to(sub)), 3, "two refused sends, then the accepted one; nothing after it")


@test
def push_rejected_fails_without_retry():
    sub = subscriber()
    lib.mock_script("manychat", path="/fb/sending/sendContent", status=400,
                    json={"status": "error", "message": "Subscriber does not exist"}, times=1)
    jid = enqueue("push", push_payload(sub, "nobody home"))
    j = wait_state(jid, ("done", "failed"))
    eq(j["state"], "failed", "rejected push fails")
    eq(j["attempts"], 1, "no retry for a 400")
    ok("rejected" in j["error"], "last_error says why: %r" % j["error"])


@test
def provider_down_fails_after_max_attempts():
    sub = subscriber()
    lib.mock_script("manychat", path="/fb/sending/sendContent", status=503, json={"status": "error"}, times=40)
    jid = enqueue("push", push_payload(sub, "never"), ", max_attempts", ", 3")
    j = wait_state(jid, ("done", "failed"), 90)
    lib.mock_reset()
    eq(j["state"], "failed", "gave up")
    eq(j["attempts"], 3, "exactly max_attempts tries")


@test
def unknown_kind_fails_quietly():
    sub = subscriber()
    jid = enqueue("no_such_kind", {"subscriber_id": sub})
    j = wait_state(jid, ("done", "failed"))
    eq(j["state"], "failed", "unknown kind fails")
    ok("unknown" in j["error"], "last_error: %r" % j["error"])
    eq(pushes_to(sub), [], "nobody is pushed for it")


@test
def runner_killed_is_restarted_and_its_jobs_taken_back():
    before = lib.wait_for(lib.runner_pids, 20, "the job runner")
    ok(len(before) == 1, "one job runner child: %r" % before)
    os.kill(before[0], signal.SIGKILL)
    after = lib.wait_for(lambda: [p for p in lib.runner_pids() if p not in before], 20, "a new job runner")
    ok(len(after) == 1, "one new runner")
    # A job claimed by a runner of this host whose process is gone (the killed one) comes back at once,
    # without waiting for its lease.
    sub = subscriber()
    host = os.uname().nodename.replace(":", "_")
    jid = enqueue("push", push_payload(sub, "orphan"), ", state, locked_by, lease_until, attempts",
                  ", 'running', %s, UTC_TIMESTAMP(3) + INTERVAL 1 HOUR, 1" % q("%s:%d:deadbeef" % (host, before[0])))
    j = wait_state(jid, ("done",), 30)
    eq(j["attempts"], 2, "taken back and run once more")
    eq(len(pushes_to(sub)), 1, "delivered once")


@test
def expired_lease_is_taken_back():
    sub = subscriber()
    jid = enqueue("push", push_payload(sub, "lease"), ", state, locked_by, lease_until, attempts",
                  ", 'running', 'elsewhere:1:00000000', UTC_TIMESTAMP(3) - INTERVAL 1 SECOND, 1")
    j = wait_state(jid, ("done",), 40)
    eq(j["attempts"], 2, "run again after the lease ran out")
    eq(len(pushes_to(sub)), 1, "delivered once")


def caloria(*args):
    argv = [os.path.join(lib.BUILD, "caloria"), "--config", lib.CONF, "jobs"] + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@test
def cli_once_runs_due_jobs_and_exits():
    sub = subscriber()
    jid = enqueue("push", push_payload(sub, "cli"))
    r = caloria("run", "--once")
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    ok("job(s) ended" in r.stdout, "prints a count: %r" % r.stdout)
    # Whichever runner got it (the CLI or the pool's), it ran exactly once.
    j = wait_state(jid, ("done",))
    eq(j["attempts"], 1, "one attempt")
    eq(len(pushes_to(sub)), 1, "one send")


@test
def cli_usage_errors():
    for args in ([], ["walk"], ["run", "--twice"], ["run", "--once", "x"]):
        r = caloria(*args)
        eq(r.returncode, 2, "exit status for %r" % args)
        ok("usage" in r.stderr, "usage on stderr for %r" % args)


if __name__ == "__main__":
    lib.mock_reset()
    rc = lib.main()
    lib.sql("DELETE FROM jobs WHERE payload LIKE %s" % q('%' + TAG + '%'))
    sys.exit(rc)
