"""Shared helpers of the conversation suites (test_conversation.py, test_foodlog.py): posting ManyChat
webhooks through nginx, fresh subscriber ids per run, a user with a completed profile, and row counts in
the private MariaDB. SPEC §5, §6, §8."""

import os
import time

import lib
from lib import dig, eq, ok, status

RUN_TAG = "%x%x" % (int(time.time()) & 0xFFFFFF, os.getpid() & 0xFFFF)


def sid(name):
    """A subscriber id unique to this run (the test database outlives runs)."""
    return "e2e-%s-%s" % (name, RUN_TAG)


def webhook(body, headers=None):
    h = lib.webhook_headers()
    h.update(headers or {})
    if isinstance(body, (bytes, str)):
        h.setdefault("Content-Type", "application/json")
    return lib.post("/webhook/manychat", body=body, headers=h)


def say(subscriber, text=None, expect=200, **fields):
    """One chat message; asserts the HTTP status and the v2 shape, returns the parsed body."""
    body = {"id": subscriber}
    if text is not None:
        body["text"] = text
    body.update(fields)
    r = webhook(body)
    status(r, expect, "webhook %r" % (text,))
    doc = r.json()
    eq(doc.get("version"), "v2", "version")
    ok(isinstance(dig(doc, "content.messages"), list) and dig(doc, "content.messages"), "has messages")
    return doc


def st(doc):
    return dig(doc, "caloria.status")


def q(s):
    """SQL string literal for the mariadb client (test-controlled values only)."""
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def scalar(statement):
    rows = lib.sql(statement)
    ok(len(rows) == 1, "one row from %s, got %r" % (statement, rows))
    return rows[0][0]


def count(table, where="1=1"):
    return int(scalar("SELECT COUNT(*) FROM %s WHERE %s" % (table, where)))


def user_where(subscriber):
    return "user_id = (SELECT id FROM users WHERE subscriber_id = %s)" % q(subscriber)


def profile_user(subscriber, locale="es_AR"):
    """A user with a completed profile through the form quiz (male, 30, 70 kg, 175 cm, light, lose)."""
    doc = say(subscriber, locale=locale, quiz={"gender": "male", "age": 30, "weight": 70, "height": 175,
                                               "activity_level": "lightly_active", "goal": "lose_weight"})
    eq(st(doc), "quiz_completed", "form quiz completed")
    return doc


def energy(gender, age, kg, cm, activity, goal):
    """SPEC §6.3 computed independently, in tenths to stay exact: (bmr, daily goal)."""
    base = 100 * kg + int(round(62.5 * cm)) - 50 * age  # tenths of kcal
    base += {"male": 50, "female": -1610, "other": -780}[gender]
    bmr = base / 10.0
    factor = {"sedentary": 1200, "lightly_active": 1375, "moderately_active": 1550, "very_active": 1725,
              "extra_active": 1900}[activity]
    delta = {"lose_weight": -500, "maintain": 0, "gain_weight": 300, "build_muscle": 200}[goal]
    tdee_tenths = base * factor / 1000.0  # tenths of kcal
    goal_kcal = (tdee_tenths + delta * 10) / 10.0
    rounded = int((goal_kcal + 5) // 10 * 10)
    return bmr, max(1200, min(4500, rounded))
