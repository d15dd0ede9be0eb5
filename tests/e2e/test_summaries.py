#!/usr/bin/env python3
"""`caloria send-daily-summaries` against the test stack (SPEC §8, §11): the private MariaDB holds users and
daily_stats rows written directly with the mariadb client, the mock ManyChat records every sendContent.

Checked: one send per due user with that user's numbers in their language; each user's own local yesterday,
only after 08:00 local; nothing for days without meals, for today or for rows already sent; a second run
sends nothing; a failed send leaves the row unmarked (summary_attempts counts the tries) and the next run
sends it exactly once; --dry-run sends and writes nothing; --date picks that day only; bad arguments are
usage errors; an empty manychat.api_token sends nothing; a run started while another holds the lock does
nothing and exits 1; at most 20 sends in any second over 30 users.

Every row this suite makes belongs to subscribers named with a random prefix and is deleted at the end;
runs that need other days use dates far in the past, so other suites' rows never mix in.
"""

import datetime
import json
import os
import random
import subprocess
import sys
import time

import lib
from lib import test, eq, ok

PREFIX = "sum%04d" % random.randrange(10000)
# A day nobody else uses, different on every run of the suite (both e2e passes share the database).
BASE_DAY = datetime.date(2001, 1, 1) + datetime.timedelta(days=random.randrange(3000))
_seq = [0]


def q(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def caloria(*args, env=None):
    argv = [os.path.join(lib.BUILD, "caloria"), "--config", lib.CONF, "send-daily-summaries"] + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, **(env or {})))


def offset_for_local_hour(hour):
    """A UTC offset in minutes (inside -12:00..+14:00) at which the local clock now shows `hour`."""
    h = hour - time.gmtime().tm_hour
    if h < -12:
        h += 24
    if h > 14:
        h -= 24
    return h * 60


def local_date(offset_min, days=0):
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=offset_min)
    return (now.date() + datetime.timedelta(days=days)).isoformat()


def make_user(lang="es", offset_min=-180, goal=2000, protein=110):
    """A user with a completed profile; returns (id, subscriber_id)."""
    _seq[0] += 1
    sid = "%s-%03d" % (PREFIX, _seq[0])
    lib.sql("INSERT INTO users (subscriber_id, first_name, language, utc_offset_min, daily_calorie_goal, "
            "protein_target_g, carbs_target_g, fat_target_g, quiz_completed, subscription_status) VALUES "
            "(%s, 'Test', %s, %d, %d, %d, 250, 65, 1, 'trial')" % (q(sid), q(lang), offset_min, goal, protein))
    uid = int(lib.sql("SELECT id FROM users WHERE subscriber_id = %s" % q(sid))[0][0])
    return uid, sid


def add_day(uid, date, kcal, meals=2, goal=2000, sent=False, fiber=25, sodium=1500, protein=120):
    lib.sql("INSERT INTO daily_stats (user_id, local_date, total_calories, total_protein, total_carbs, total_fat, "
            "total_fiber, total_sodium, meals_logged, analyses_count, goal_calories, summary_sent_at) VALUES "
            "(%d, %s, %.1f, %.1f, 200, 60, %.1f, %.1f, %d, %d, %d, %s)"
            % (uid, q(date), kcal, protein, fiber, sodium, meals, meals, goal,
               "UTC_TIMESTAMP()" if sent else "NULL"))


def add_log(uid, date, items):
    lib.sql("INSERT INTO food_logs (user_id, local_date, logged_at, source, raw_input, items, kcal, protein_g, "
            "carbs_g, fat_g) VALUES (%d, %s, UTC_TIMESTAMP(3), 'text', 'test', %s, %.1f, 10, 10, 10)"
            % (uid, q(date), q(json.dumps(items)), sum(i["kcal"] for i in items if i.get("matched", True))))


def row(uid, date):
    r = lib.sql("SELECT summary_sent_at IS NOT NULL, summary_attempts FROM daily_stats "
                "WHERE user_id = %d AND local_date = %s" % (uid, q(date)))
    return (r[0][0] == "1", int(r[0][1]))


def sends():
    """sendContent requests of this suite's subscribers: [(subscriber_id, text, ts)] in arrival order."""
    out = []
    for r in lib.mock_requests("manychat"):
        if r["path"] != "/fb/sending/sendContent":
            continue
        body = json.loads(r["body"])
        sid = str(body["subscriber_id"])
        if not sid.startswith(PREFIX):
            continue
        eq(body["message_tag"], "ACCOUNT_UPDATE", "message_tag")
        eq(body["data"]["version"], "v2", "data.version")
        msgs = body["data"]["content"]["messages"]
        eq(len(msgs), 1, "one message per summary")
        eq(msgs[0]["type"], "text", "message type")
        ok(r["headers"].get("Authorization", "").startswith("Bearer "), "Bearer token on sendContent")
        out.append((sid, msgs[0]["text"], r["ts"]))
    return out


def per_user(rows):
    counts = {}
    for sid, _, _ in rows:
        counts[sid] = counts.get(sid, 0) + 1
    return counts


MONTHS = {"es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                  "noviembre", "diciembre"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}


def date_words(date, lang):
    """The date as the summary says it: "3 de diciembre" / "December 3" (never ISO)."""
    y, m, d = (int(x) for x in date.split("-"))
    month = MONTHS[lang][m - 1]
    return "%d de %s" % (d, month) if lang == "es" else "%s %d" % (month, d)


def check_text(text, lang, date, kcal, goal):
    first = text.split("\n", 1)[0]
    ok(date_words(date, lang) in first and date not in first, "date %s in words in the first line: %r" % (date, first))
    ok(("%d" % kcal) in first and ("%d" % goal) in first, "consumed %d and goal %d in %r" % (kcal, goal, first))
    if lang == "en":
        ok(first.startswith("Summary"), "English text: %r" % first)
    else:
        ok(first.startswith("Resumen"), "Spanish text: %r" % first)
    ok(len(text.encode()) <= 2000, "text within ManyChat's 2000 bytes")


# ------------------------------------------------------------------------------------------- tests

STATE = {}


@test
def yesterday_in_each_users_time_zone():
    """Users across time zones whose local clock is past 08:00 get their local yesterday, once each."""
    lib.mock_reset()
    due = []
    for i, hour in enumerate((9, 12, 15, 18, 21, 10)):
        off = offset_for_local_hour(hour) + (30 if i == 5 else 0)  # one half-hour zone
        lang = "en" if i % 2 else "es"
        uid, sid = make_user(lang=lang, offset_min=off)
        day = local_date(off, -1)
        add_day(uid, day, 1500 + i)
        add_day(uid, local_date(off, -2), 900)  # the day before yesterday was never sent: not due any more
        due.append((uid, sid, lang, day, 1500 + i, off))
    add_log(due[0][0], due[0][3], [{"name": "huevo", "grams": 100, "kcal": 155, "matched": True},
                                   {"name": "coca-cola", "quantity": 1, "unit": "can", "grams": 368, "ml": 354.9,
                                    "kcal": 136, "matched": True},
                                   {"name": "cosa rara", "grams": 0, "kcal": 0, "matched": False}])
    early_off = offset_for_local_hour(3)
    early, _ = make_user(offset_min=early_off)
    add_day(early, local_date(early_off, -1), 1200)
    quiet_off = offset_for_local_hour(12)
    no_meals, _ = make_user(offset_min=quiet_off)
    add_day(no_meals, local_date(quiet_off, -1), 0, meals=0)
    today_only, _ = make_user(offset_min=quiet_off)
    add_day(today_only, local_date(quiet_off, 0), 800)
    already, _ = make_user(offset_min=quiet_off)
    add_day(already, local_date(quiet_off, -1), 1000, sent=True)

    r = caloria()
    eq(r.returncode, 0, "exit status (stdout %r, stderr %r)" % (r.stdout[-300:], r.stderr[-300:]))
    got = sends()
    eq(sorted(per_user(got).items()), sorted((d[1], 1) for d in due), "one send per due user")
    texts = {sid: text for sid, text, _ in got}
    for uid, sid, lang, day, kcal, off in due:
        check_text(texts[sid], lang, day, kcal, 2000)
        eq(row(uid, day), (True, 1), "row of %s marked after one try" % sid)
        eq(row(uid, local_date(off, -2)), (False, 0), "only yesterday is due, not the day before")
    ok("huevo (100 g): 155 kcal" in texts[due[0][1]], "the day's items are listed: %r" % texts[due[0][1]])
    ok(("1 lata de coca-cola (355 ml): 136 kcal" if due[0][2] == "es" else "1 can of coca-cola (355 ml): 136 kcal")
       in texts[due[0][1]], "a drink is listed in ml: %r" % texts[due[0][1]])
    ok("cosa rara" not in texts[due[0][1]], "unmatched items are not listed")
    eq(row(early, local_date(early_off, -1)), (False, 0), "before 08:00 local nothing is sent")
    eq(row(no_meals, local_date(quiet_off, -1)), (False, 0), "a day without meals gets no summary")
    eq(row(today_only, local_date(quiet_off, 0)), (False, 0), "today is not summarised yet")
    STATE["due"] = due


@test
def second_run_sends_nothing():
    if "due" not in STATE:
        lib.skip("needs yesterday_in_each_users_time_zone")
    lib.mock_reset()
    r = caloria()
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    eq(sends(), [], "nothing sent twice")
    for uid, sid, _, day, _, _ in STATE["due"]:
        eq(row(uid, day), (True, 1), "row of %s unchanged" % sid)


@test
def dry_run_prints_and_changes_nothing():
    lib.mock_reset()
    day = (BASE_DAY + datetime.timedelta(days=1)).isoformat()
    users = [make_user(lang=lang) for lang in ("es", "en")]
    for i, (uid, _) in enumerate(users):
        add_day(uid, day, 1700 + i)
    r = caloria("--dry-run", "--date", day)
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    for i, (uid, sid) in enumerate(users):
        ok(sid in r.stdout, "%s listed in the dry run" % sid)
        ok(("%d de 2000 kcal" if i == 0 else "%d of 2000 kcal") % (1700 + i) in r.stdout,
           "the text is printed: %r" % r.stdout[-500:])
        eq(row(uid, day), (False, 0), "dry run marks nothing")
    eq(sends(), [], "dry run sends nothing")
    # and the real run afterwards sends them
    r = caloria("--date", day)
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    eq(sorted(per_user(sends()).items()), sorted((sid, 1) for _, sid in users), "sent after the dry run")


@test
def failed_send_stays_unmarked_and_goes_out_next_run():
    lib.mock_reset()
    day = (BASE_DAY + datetime.timedelta(days=2)).isoformat()
    users = [make_user() for _ in range(4)]
    for uid, _ in users:
        add_day(uid, day, 1800)
    # Every try of the first user fails (ManyChat 500 three times: the first try and its two retries).
    lib.mock_script("manychat", path="/fb/sending/sendContent", status=500, times=3,
                    json={"status": "error", "message": "boom"})
    started = time.time()
    r = caloria("--date", day)
    eq(r.returncode, 1, "exit status 1 when a send failed (stdout %r)" % r.stdout[-300:])
    ok("1 failed" in r.stdout, "the counts say so: %r" % r.stdout)
    got = sends()
    failed_sid = got[0][0]
    eq([s for s, _, _ in got[:3]], [failed_sid] * 3, "the three failing tries were one user's")
    ok(got[2][2] - got[0][2] >= 0.7, "tries are spaced by back-off (%.2fs)" % (got[2][2] - got[0][2]))
    ok(time.time() - started < 60, "the run ends")
    counts = per_user(got)
    for uid, sid in users:
        if sid == failed_sid:
            eq(counts[sid], 3, "failed user tried three times")
            eq(row(uid, day), (False, 3), "failed user stays unmarked, three attempts recorded")
        else:
            eq(counts.get(sid), 1, "other users sent once")
            eq(row(uid, day), (True, 1), "other users marked")

    # A 200 answer that is not {"status": "success"} is a failure too.
    lib.mock_reset()
    lib.mock_script("manychat", path="/fb/sending/sendContent", status=200, times=1, json={"status": "error"})
    lib.mock_script("manychat", path="/fb/sending/sendContent", status=200, times=2, json={"status": "success"})
    r = caloria("--date", day)
    eq(r.returncode, 0, "next run succeeds (stderr %r)" % r.stderr[-300:])
    eq(per_user(sends()), {failed_sid: 2}, "only the unsent user is tried again (one refusal, then sent)")
    failed_uid = [u for u, s in users if s == failed_sid][0]
    eq(row(failed_uid, day), (True, 5), "marked now; five attempts in all")

    lib.mock_reset()
    r = caloria("--date", day)
    eq(r.returncode, 0, "third run")
    eq(sends(), [], "nothing left to send")


@test
def date_option_picks_that_day_only():
    lib.mock_reset()
    d1 = (BASE_DAY + datetime.timedelta(days=3)).isoformat()
    d2 = (BASE_DAY + datetime.timedelta(days=4)).isoformat()
    uid, sid = make_user(lang="en")
    add_day(uid, d1, 1111)
    add_day(uid, d2, 2222)
    r = caloria("--date=" + d1)
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    got = sends()
    eq(len(got), 1, "one send")
    check_text(got[0][1], "en", d1, 1111, 2000)
    eq(row(uid, d1), (True, 1), "that day marked")
    eq(row(uid, d2), (False, 0), "the other day untouched")


@test
def bad_arguments_are_usage_errors():
    lib.mock_reset()
    for args in (["--date", "2025-02-30"], ["--date", "yesterday"], ["--date"], ["--bogus"],
                 ["--date", "2025-1-5"]):
        r = caloria(*args)
        eq(r.returncode, 2, "exit status of %r" % args)
        ok("usage" in r.stderr, "usage on stderr for %r" % args)
    eq(sends(), [], "nothing sent")


@test
def no_token_means_no_pushes():
    lib.mock_reset()
    day = (BASE_DAY + datetime.timedelta(days=5)).isoformat()
    uid, _ = make_user()
    add_day(uid, day, 1500)
    r = caloria("--date", day, env={"CALORIA_MANYCHAT_API_TOKEN": ""})
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    ok("pushes are off" in r.stderr, "says why: %r" % r.stderr)
    eq(sends(), [], "nothing sent")
    eq(row(uid, day), (False, 0), "nothing marked")


@test
def at_most_twenty_sends_per_second():
    lib.mock_reset()
    day = (BASE_DAY + datetime.timedelta(days=6)).isoformat()
    users = [make_user() for _ in range(30)]
    for uid, _ in users:
        add_day(uid, day, 1600)
    r = caloria("--date", day)
    eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr[-300:])
    got = sends()
    eq(len(got), 30, "thirty sends")
    eq(len(per_user(got)), 30, "one per user")
    ts = sorted(t for _, _, t in got)
    worst = max(sum(1 for t in ts[i:] if t < ts[i] + 1.0) for i in range(len(ts)))
    ok(worst <= 20, "at most 20 sends in any second (saw %d)" % worst)
    rate = (len(ts) - 1) / (ts[-1] - ts[0])
    ok(rate <= 20.5, "overall rate %.1f/s" % rate)
    ok(rate >= 5, "but not needlessly slow (%.1f/s)" % rate)


@test
def one_run_at_a_time():
    """While another run holds the named lock, a second run does nothing and says so."""
    lib.mock_reset()
    day = (BASE_DAY + datetime.timedelta(days=7)).isoformat()
    uid, _ = make_user()
    add_day(uid, day, 1500)
    holder = subprocess.Popen(
        ["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + os.path.join(lib.MDB_DIR, "mysqld.sock"),
         "-uroot", "-N", "-B", "-e", "SELECT GET_LOCK('caloria.send-daily-summaries', 0); SELECT SLEEP(20);"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lib.wait_for(lambda: lib.sql("SELECT IS_USED_LOCK('caloria.send-daily-summaries') IS NOT NULL")
                     == [["1"]], 10, "the lock to be held")
        r = caloria("--date", day)
        eq(r.returncode, 1, "exit status while another run holds the lock")
        ok("another run" in r.stderr, "says why: %r" % r.stderr)
        eq(sends(), [], "nothing sent")
        eq(row(uid, day), (False, 0), "nothing marked")
    finally:
        holder.terminate()
        holder.wait(10)
    lib.wait_for(lambda: lib.sql("SELECT IS_USED_LOCK('caloria.send-daily-summaries') IS NULL") == [["1"]],
                 20, "the lock to be released")
    r = caloria("--date", day)
    eq(r.returncode, 0, "runs once the lock is free (stderr %r)" % r.stderr[-300:])
    eq(row(uid, day), (True, 1), "sent then")


@test
def cleanup():
    lib.sql("DELETE FROM users WHERE subscriber_id LIKE %s" % q(PREFIX + "-%"))
    eq(lib.sql("SELECT COUNT(*) FROM daily_stats d JOIN users u ON u.id = d.user_id "
               "WHERE u.subscriber_id LIKE %s" % q(PREFIX + "-%")), [["0"]], "rows removed")


if __name__ == "__main__":
    sys.exit(lib.main())
