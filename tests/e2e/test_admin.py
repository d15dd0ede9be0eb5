#!/usr/bin/env python3
"""Admin panel, JSON API, public pages and privacy commands through nginx (SPEC §10, §4.3, §4.4, §11).

Logins, CSRF refusals, lockout, 401 without credentials, 403 for a viewer, figures equal to SQL counts on a
seeded data set, a chat user named <script>alert(1)</script> rendered inert on every page, every page loaded
in headless Chromium (no console errors; screenshots of the dashboard and of a user page are left in the run
directory), `caloria admin|user|cleanup`, and the chat command "borrar mis datos".

The test database outlives runs and is shared by both e2e passes, so every name is unique to this run, and
every login comes from an X-Forwarded-For address of its own (nginx is a trusted proxy): the lockout of one
test never locks out another, or the next run."""

import base64
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

import lib
import chatlib
from lib import dig, eq, ok, status

TAG = chatlib.RUN_TAG
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CALORIA = os.path.join(lib.BUILD, "caloria")
SHOTS = os.path.join(lib.RUN_DIR or os.path.join(lib.SRCDIR, "build", "test-run"), "screenshots")


def rand_ip():
    return "10.%d.%d.%d" % (random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))


CLIENT_IP = rand_ip()


# ------------------------------------------------------------------------------------------ helpers

def cli(*args, stdin=None, expect=0):
    r = subprocess.run([CALORIA, "--config", lib.CONF] + list(args), input=stdin, capture_output=True, text=True,
                       timeout=60)
    if expect is not None and r.returncode != expect:
        raise AssertionError("caloria %s: exit %d, stderr %r" % (" ".join(args), r.returncode, r.stderr[-300:]))
    return r


def raw(method, path, body=None, headers=None, ip=None):
    """One request without following redirects; returns (status, headers list, body bytes)."""
    u = urllib.parse.urlsplit(lib.BASE)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    h = {"X-Forwarded-For": ip or CLIENT_IP}
    h.update(headers or {})
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
        h.setdefault("Content-Type", "application/x-www-form-urlencoded")
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    hdrs = r.getheaders()
    c.close()
    return r.status, hdrs, data


def header(hdrs, name, all_values=False):
    vals = [v for k, v in hdrs if k.lower() == name.lower()]
    return vals if all_values else (vals[0] if vals else None)


class Browser:
    """A cookie-keeping client of the panel (one login session)."""

    def __init__(self, ip=None):
        self.cookies = {}
        self.ip = ip or CLIENT_IP

    def _cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def req(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = self._cookie_header()
        st, hdrs, body = raw(method, path, body=form, headers=h, ip=self.ip)
        for sc in header(hdrs, "Set-Cookie", all_values=True):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return st, hdrs, body.decode("utf-8", "replace")

    def login_form(self):
        st, hdrs, body = self.req("GET", "/admin")
        status_of(st, 200, "login form")
        m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', body)
        ok(m, "the login form carries a csrf_token")
        return m.group(1)

    def login(self, user, password, csrf=None):
        token = self.login_form() if csrf is None else csrf
        return self.req("POST", "/admin/login", form={"username": user, "password": password, "csrf_token": token})

    def session_csrf(self, page="/admin/dashboard"):
        st, _, body = self.req("GET", page)
        status_of(st, 200, page)
        m = re.search(r'action="/admin/logout"><input type="hidden" name="csrf_token" value="([0-9a-f]+)"', body)
        ok(m, "every panel page carries the logout form with its CSRF token")
        return m.group(1)


def status_of(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected HTTP %d, got %d" % (what, expected, actual))


def logged_in(user, password, ip=None):
    b = Browser(ip)
    st, hdrs, _ = b.login(user, password)
    status_of(st, 303, "login of %s" % user)
    eq(header(hdrs, "Location"), "/admin/dashboard", "login redirects to the dashboard")
    return b


# ------------------------------------------------------------------------------------------- fixture

ADMIN, ADMIN_PW = "adm_" + TAG, secrets.token_hex(12)
VIEWER, VIEWER_PW = "view_" + TAG, secrets.token_hex(12)
LOCKED, LOCKED_PW = "lock_" + TAG, secrets.token_hex(12)
STATE = {}


def q(s):
    return chatlib.q(s)


def seed():
    """Admin users, tokens, a hostile chat user with a profile and a meal, and users in every subscription
    state with payments and funnel events."""
    if STATE:
        return STATE
    for name, pw, role in ((ADMIN, ADMIN_PW, "admin"), (VIEWER, VIEWER_PW, "viewer"), (LOCKED, LOCKED_PW, "admin")):
        cli("admin", "create", name, "--role", role, stdin=pw + "\n")
    STATE["token"] = cli("admin", "token", "create", "tok_" + TAG).stdout.strip()
    STATE["viewer_token"] = cli("admin", "token", "create", "vtok_" + TAG, "--role", "viewer").stdout.strip()
    hostile = chatlib.sid("hostile")
    chatlib.say(hostile, first_name=HOSTILE, last_name=HOSTILE,
                quiz={"gender": "female", "age": 30, "weight": 60, "height": 165, "activity_level": "moderate",
                      "goal": "maintain"})
    doc = chatlib.say(hostile, "2 huevos revueltos y una tostada con manteca", first_name=HOSTILE)
    eq(chatlib.st(doc), "food_logged", "the hostile user's meal is logged")
    STATE["hostile_sid"] = hostile
    STATE["hostile_id"] = int(chatlib.scalar("SELECT id FROM users WHERE subscriber_id = %s" % q(hostile)))
    # Users in each state: sid, status, trial started (days ago) or None, approved payments, rejected payments
    rows = [("trial1", "trial", 0, 0, 0), ("trial2", "trial", 1, 0, 0), ("act1", "active", 20, 1, 0),
            ("act2", "active", 40, 2, 1), ("act3", "active", 3, 1, 0), ("canc", "cancelled", 50, 1, 0),
            ("exp", "trial_expired", 10, 0, 0), ("fail", "payment_failed", 12, 0, 1), ("none", "none", None, 0, 0)]
    for i, (name, st, trial_ago, approved, rejected) in enumerate(rows):
        sid = chatlib.sid("seed-" + name)
        trial = "NULL" if trial_ago is None else "UTC_TIMESTAMP() - INTERVAL %d DAY + INTERVAL 1 DAY" % trial_ago
        lib.sql("INSERT INTO users (subscriber_id, first_name, quiz_completed, quiz_completed_at, subscription_status,"
                " trial_ends_at, created_at) VALUES (%s, %s, %d, %s, %s, %s, UTC_TIMESTAMP() - INTERVAL %d DAY)"
                % (q(sid), q("Seed %s" % name), 0 if trial_ago is None else 1,
                   "NULL" if trial_ago is None else "UTC_TIMESTAMP() - INTERVAL %d DAY" % trial_ago, q(st), trial, i))
        uid = int(chatlib.scalar("SELECT id FROM users WHERE subscriber_id = %s" % q(sid)))
        for k in range(approved + rejected):
            lib.sql("INSERT INTO payments (user_id, mp_payment_id, status, amount, currency, paid_at) VALUES"
                    " (%d, %s, %s, 4999.00, 'ARS', UTC_TIMESTAMP() - INTERVAL %d DAY)"
                    % (uid, q("mp-%s-%s-%d" % (TAG, name, k)), q("approved" if k < approved else "rejected"), k * 9))
        for ev in ("first_message", "quiz_started", "quiz_completed", "first_food_log", "subscription_link")[
                :2 + i % 4]:
            lib.sql("INSERT INTO activity_log (user_id, event) VALUES (%d, %s)" % (uid, q(ev)))
    return STATE


def login_admin():
    return logged_in(ADMIN, ADMIN_PW)


# -------------------------------------------------------------------------------------------- tests

HTML_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def html_headers_present(hdrs, what):
    ok((header(hdrs, "Content-Type") or "").startswith("text/html; charset=utf-8"), "%s: HTML content type" % what)
    for h in HTML_HEADERS:
        ok(header(hdrs, h), "%s: header %s" % (what, h))
    ok("script-src" not in header(hdrs, "Content-Security-Policy") and
       "default-src 'none'" in header(hdrs, "Content-Security-Policy"), "%s: the CSP allows no script" % what)
    eq(header(hdrs, "X-Frame-Options"), "DENY", what + " X-Frame-Options")


@lib.test
def test_public_pages():
    cases = [("/", "es", "Caloria"), ("/?lang=en", "en", "chat assistant"),
             ("/privacy-policy", "es", "borrar mis datos"), ("/privacy-policy?lang=en", "en", "delete my data"),
             ("/terms-and-conditions?lang=es", "es", "4999.00 ARS"),
             ("/terms-and-conditions?lang=en", "en", "free trial of 1 day")]
    for path, lang, text in cases:
        st, hdrs, body = raw("GET", path)
        status_of(st, 200, path)
        html_headers_present(hdrs, path)
        eq(header(hdrs, "Content-Language"), lang, path + " language")
        ok(text in body.decode(), "%s mentions %r" % (path, text))
    st, hdrs, _ = raw("GET", "/privacy-policy", headers={"Accept-Language": "en-US,en;q=0.9"})
    eq(header(hdrs, "Content-Language"), "en", "Accept-Language picks English")
    st, hdrs, _ = raw("POST", "/privacy-policy", body=b"")
    status_of(st, 405, "POST to a page")


@lib.test
def test_unauthenticated_refused():
    seed()
    ip = rand_ip()  # failed authentications count against the address (SPEC §4.4): one of its own
    for path in ("/api/users", "/api/users/1", "/api/users/1/stats", "/api/subscription-analytics",
                 "/api/analytics/funnel", "/metrics", "/health/metrics", "/health/database", "/health/cache"):
        r = lib.get(path, headers={"X-Forwarded-For": ip})
        lib.error_envelope(r, "unauthorized", 401)
    r = lib.get("/api/users", headers={"X-Forwarded-For": ip, "Authorization": "Bearer cal_" + "0" * 40})
    lib.error_envelope(r, "unauthorized", 401)
    for path in ("/admin/dashboard", "/admin/users", "/admin/users/1", "/admin/system-status"):
        st, hdrs, _ = raw("GET", path, ip=ip)
        status_of(st, 303, path + " without a session")
        eq(header(hdrs, "Location"), "/admin", path + " sends the browser to the login form")
    # A forged session cookie is no session.
    st, _, _ = raw("GET", "/admin/dashboard", headers={"Cookie": "caloria_session=%s.%s" % ("a" * 64, "b" * 64)},
                   ip=ip)
    status_of(st, 303, "forged cookie")


@lib.test
def test_login_logout_and_csrf():
    seed()
    b = Browser()
    token = b.login_form()
    login_cookie = b.cookies.get("caloria_login")
    ok(login_cookie, "the login form sets its CSRF nonce cookie")
    # CSRF: a wrong token, and a right token without its cookie, are both refused.
    st, _, body = b.req("POST", "/admin/login", form={"username": ADMIN, "password": ADMIN_PW, "csrf_token": "0" * 64})
    status_of(st, 403, "login with a wrong CSRF token")
    ok("caloria_session" not in b.cookies, "no session after a CSRF refusal")
    st, _, _ = raw("POST", "/admin/login", body={"username": ADMIN, "password": ADMIN_PW, "csrf_token": token})
    status_of(st, 403, "login without the nonce cookie")
    # Wrong password: the form again, with a message that does not say which field was wrong.
    st, _, body = b.req("POST", "/admin/login", form={"username": ADMIN, "password": "wrong-" + ADMIN_PW,
                                                      "csrf_token": token})
    status_of(st, 200, "failed login shows the form")
    ok("Wrong username or password." in body, "generic failure message")
    st, _, body2 = b.req("POST", "/admin/login", form={"username": "nobody_" + TAG, "password": ADMIN_PW,
                                                       "csrf_token": token})
    ok("Wrong username or password." in body2, "same message for an unknown user")
    # Success.
    st, hdrs, _ = b.req("POST", "/admin/login", form={"username": ADMIN, "password": ADMIN_PW, "csrf_token": token})
    status_of(st, 303, "login")
    eq(header(hdrs, "Location"), "/admin/dashboard", "redirect after login")
    sc = [c for c in header(hdrs, "Set-Cookie", all_values=True) if c.startswith("caloria_session=")][0]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=%s" % (lib.conf_get("admin", "session_ttl_s") or "43200")):
        ok(attr in sc, "session cookie has %s: %r" % (attr, sc[:40]))
    ok("Secure" not in sc, "no Secure attribute on an http public URL")
    cookie_value = b.cookies["caloria_session"]
    stored = chatlib.scalar("SELECT COUNT(*) FROM admin_sessions WHERE id = SHA2(%s, 256)" % q(cookie_value.split(".")[0]))
    eq(stored, "1", "the server keeps the session, by hash")
    st, _, body = b.req("GET", "/admin/dashboard")
    status_of(st, 200, "dashboard with a session")
    st, hdrs, _ = b.req("GET", "/admin")
    status_of(st, 303, "/admin when logged in")
    eq(header(hdrs, "Location"), "/admin/dashboard", "/admin redirects a logged-in admin")
    # Logout needs the session's CSRF token.
    st, _, _ = b.req("POST", "/admin/logout", form={"csrf_token": "f" * 64})
    status_of(st, 403, "logout with a wrong CSRF token")
    st, _, _ = b.req("GET", "/admin/dashboard")
    status_of(st, 200, "still logged in after the refused logout")
    csrf = b.session_csrf()
    st, hdrs, _ = b.req("POST", "/admin/logout", form={"csrf_token": csrf})
    status_of(st, 303, "logout")
    eq(header(hdrs, "Location"), "/admin", "logout goes to the login form")
    eq(chatlib.scalar("SELECT COUNT(*) FROM admin_sessions WHERE id = SHA2(%s, 256)" % q(cookie_value.split(".")[0])),
       "0", "logout deletes the server-side session")
    st, _, _ = raw("GET", "/admin/dashboard", headers={"Cookie": "caloria_session=" + cookie_value})
    status_of(st, 303, "the old cookie opens nothing")
    audit = lib.sql("SELECT event FROM activity_log a JOIN admin_users u ON u.id = a.admin_user_id"
                    " WHERE u.username = %s ORDER BY a.id" % q(ADMIN))
    events = [r[0] for r in audit]
    for ev in ("admin_login_failed", "admin_login", "admin_logout"):
        ok(ev in events, "audit log has %s: %r" % (ev, events))


@lib.test
def test_lockout():
    seed()
    # Per username: five failures from anywhere, then even the right password gets 429 with Retry-After.
    for i in range(5):
        st, _, _ = Browser(rand_ip()).login(LOCKED, "wrong-%d" % i)
        status_of(st, 200, "failure %d" % (i + 1))
    st, hdrs, body = Browser(rand_ip()).login(LOCKED, LOCKED_PW)
    status_of(st, 429, "the sixth attempt for the username")
    retry = int(header(hdrs, "Retry-After") or "0")
    ok(800 <= retry <= 900, "Retry-After is the rest of the 15 minutes, got %d" % retry)
    ok("Too many failed sign-ins" in body, "the lockout says so")
    # Per IP: five failures with any names from one address lock that address out, for every account.
    ip = rand_ip()
    for i in range(5):
        st, _, _ = Browser(ip).login("ghost%d_%s" % (i, TAG), "x")
        status_of(st, 200, "IP failure %d" % (i + 1))
    st, hdrs, _ = Browser(ip).login(ADMIN, ADMIN_PW)
    status_of(st, 429, "the sixth attempt from the address")
    ok(header(hdrs, "Retry-After"), "Retry-After on the IP lockout")
    # Another address with the right password still gets in.
    login_admin()


@lib.test
def test_viewer_is_read_only():
    s = seed()
    v = logged_in(VIEWER, VIEWER_PW)
    st, _, body = v.req("GET", "/admin/dashboard")
    status_of(st, 200, "viewer dashboard")
    ok("System status" not in body, "the viewer's menu has no system status")
    st, hdrs, body = v.req("GET", "/admin/system-status")
    status_of(st, 403, "viewer on the system status")
    html_headers_present(hdrs, "403 page")
    st, _, _ = v.req("GET", "/metrics")
    status_of(st, 403, "viewer session on /metrics")
    st, _, body = v.req("GET", "/admin/users?q=" + urllib.parse.quote(s["hostile_sid"]))
    status_of(st, 200, "viewer search")
    table = body[body.index("<table>"):]  # the search box holds the viewer's own query
    ok(s["hostile_sid"] not in table, "the viewer's user list never shows a full subscriber id")
    ok(s["hostile_sid"][:2] + "…" in table, "the list shows the masked id")
    st, _, body = v.req("GET", "/admin/users/%d" % s["hostile_id"])
    status_of(st, 200, "viewer user page")
    ok(s["hostile_sid"] not in body, "the viewer's user page never shows a full subscriber id")
    st, _, body = v.req("GET", "/api/users?per_page=100&q=" + urllib.parse.quote(s["hostile_sid"]))
    users = json.loads(body)["users"]
    eq(len(users), 1, "search by subscriber id")
    ok(users[0]["subscriber_id"] != s["hostile_sid"] and "…" in users[0]["subscriber_id"], "masked for a viewer")
    for tok, full in ((s["viewer_token"], False), (s["token"], True)):
        r = lib.get("/api/users/%d" % s["hostile_id"], headers={"Authorization": "Bearer " + tok,
                                                                 "X-Forwarded-For": CLIENT_IP})
        status(r, 200, "API user with a token")
        eq(r.json()["subscriber_id"] == s["hostile_sid"], full, "full subscriber id only for an admin token")
    # The admin sees it whole, and the ops routes accept an admin session or token from any address.
    a = login_admin()
    st, _, body = a.req("GET", "/admin/users/%d" % s["hostile_id"])
    ok(s["hostile_sid"] in body, "the admin sees the full subscriber id")
    st, _, body = a.req("GET", "/metrics")
    status_of(st, 200, "admin session on /metrics")
    ok("caloria_requests_total" in body or "# TYPE" in body, "Prometheus text")
    r = lib.get("/health/database", headers={"Authorization": "Bearer " + s["token"], "X-Forwarded-For": CLIENT_IP})
    status(r, 200, "token on /health/database")


def sql_figures():
    one = lambda s: int(chatlib.scalar(s))
    f = {
        "total_users": one("SELECT COUNT(*) FROM users"),
        "quiz_completed": one("SELECT COUNT(*) FROM users WHERE quiz_completed = 1"),
        "trial": one("SELECT COUNT(*) FROM users WHERE subscription_status = 'trial'"),
        "active": one("SELECT COUNT(*) FROM users WHERE subscription_status = 'active'"),
        "cancelled": one("SELECT COUNT(*) FROM users WHERE subscription_status = 'cancelled'"),
        "trials_started": one("SELECT COUNT(*) FROM users WHERE trial_ends_at IS NOT NULL"),
        "paid": one("SELECT COUNT(DISTINCT user_id) FROM payments WHERE status = 'approved' AND user_id IS NOT NULL"),
        "paid_after_trial": one("SELECT COUNT(DISTINCT p.user_id) FROM payments p JOIN users u ON u.id = p.user_id"
                                " WHERE p.status = 'approved' AND u.trial_ends_at IS NOT NULL"),
        "logs_text": one("SELECT COUNT(*) FROM food_logs WHERE source = 'text'"),
        "payments_7d": one("SELECT COUNT(*) FROM payments WHERE status = 'approved'"
                           " AND COALESCE(paid_at, created_at) >= UTC_TIMESTAMP() - INTERVAL 7 DAY"),
        "signups_7d": one("SELECT COUNT(*) FROM users WHERE created_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY"),
    }
    price = lib.conf_get("subscription", "price") or "4999.00"
    cents = int(round(float(price) * 100))
    f["mrr"] = "%d.%02d" % (divmod(cents * f["active"], 100))
    f["quiz_completion"] = f["quiz_completed"] / f["total_users"]
    f["trial_to_paid"] = f["paid_after_trial"] / f["trials_started"]
    return f


def funnel_sql(days):
    out = {}
    for ev in ("first_message", "quiz_started", "quiz_completed", "first_food_log", "subscription_link"):
        out[ev] = int(chatlib.scalar("SELECT COUNT(DISTINCT user_id) FROM activity_log WHERE event = %s AND"
                                     " created_at >= UTC_TIMESTAMP() - INTERVAL %d DAY" % (q(ev), days)))
    out["paid"] = int(chatlib.scalar("SELECT COUNT(DISTINCT user_id) FROM payments WHERE status = 'approved' AND"
                                     " user_id IS NOT NULL AND COALESCE(paid_at, created_at) >= UTC_TIMESTAMP()"
                                     " - INTERVAL %d DAY" % days))
    return out


@lib.test
def test_figures_equal_sql():
    s = seed()
    a = login_admin()
    st, _, body = a.req("GET", "/admin/dashboard")
    status_of(st, 200, "dashboard")
    cards = dict(re.findall(r'id="m-(\w+)"><b>([^<]*)</b>', body))
    api = lib.get("/api/subscription-analytics", headers={"Authorization": "Bearer " + s["token"],
                                                         "X-Forwarded-For": CLIENT_IP})
    status(api, 200, "analytics")
    doc = api.json()
    f = sql_figures()
    ok(f["trial"] >= 2 and f["active"] >= 3 and f["paid"] >= 4 and f["trials_started"] >= 8, "seeded data present")
    for key in ("total_users", "quiz_completed", "trial", "active", "trials_started", "paid", "logs_text",
                "payments_7d", "signups_7d"):
        eq(int(cards[key]), f[key], "dashboard %s" % key)
    eq(cards["mrr"], f["mrr"], "dashboard MRR")
    eq(cards["quiz_completion"], "%.1f%%" % (f["quiz_completion"] * 100), "dashboard quiz completion")
    eq(cards["trial_to_paid"], "%.1f%%" % (f["trial_to_paid"] * 100), "dashboard conversion")
    for key in ("total_users", "quiz_completed", "trial", "active", "cancelled"):
        eq(dig(doc, "user_metrics." + key), f[key], "API user_metrics.%s" % key)
    eq(abs(dig(doc, "conversion_rates.quiz_completion") - f["quiz_completion"]) < 1e-4, True, "API quiz_completion")
    eq(abs(dig(doc, "conversion_rates.trial_to_paid") - f["trial_to_paid"]) < 1e-4, True, "API trial_to_paid")
    eq("%.2f" % dig(doc, "revenue.mrr"), f["mrr"], "API MRR")
    eq(dig(doc, "revenue.currency"), lib.conf_get("subscription", "currency") or "ARS", "API currency")
    eq(dig(doc, "trends.payments_7d"), f["payments_7d"], "API payments_7d")
    eq(dig(doc, "trends.signups_7d"), f["signups_7d"], "API signups_7d")
    ok("trials_7d" in doc["trends"], "API trials_7d")
    # Funnel: the page and the API equal SQL.
    want = funnel_sql(30)
    for step, n in want.items():
        m = re.search(r'id="f-%s">(\d+)<' % step, body)
        ok(m, "dashboard funnel row %s" % step)
        eq(int(m.group(1)), n, "dashboard funnel %s" % step)
    fun = lib.get("/api/analytics/funnel?days=7", headers={"Authorization": "Bearer " + s["token"],
                                                          "X-Forwarded-For": CLIENT_IP}).json()
    want7 = funnel_sql(7)
    eq([x["step"] for x in fun["steps"]], list(want7.keys()), "funnel step order")
    eq({x["step"]: x["users"] for x in fun["steps"]}, want7, "API funnel, 7 days")
    ok("<svg" in body and body.count("<rect") > 3, "inline SVG charts with bars")
    ok("http://" not in body.replace(lib.BASE, "") and "https://" not in body, "no external assets")


@lib.test
def test_users_api_pages_and_validation():
    s = seed()
    auth = {"Authorization": "Bearer " + s["token"], "X-Forwarded-For": CLIENT_IP}
    total = int(chatlib.scalar("SELECT COUNT(*) FROM users"))
    p1 = lib.get("/api/users?page=1&per_page=3", headers=auth).json()
    p2 = lib.get("/api/users?page=2&per_page=3", headers=auth).json()
    eq((p1["page"], p1["per_page"], p1["total"]), (1, 3, total), "page fields")
    eq(len(p1["users"]), 3, "three per page")
    ok(not {u["id"] for u in p1["users"]} & {u["id"] for u in p2["users"]}, "pages do not overlap")
    ok(p1["users"][0]["id"] > p2["users"][0]["id"], "newest first")
    for key in ("id", "subscriber_id", "first_name", "last_name", "language", "quiz_completed",
                "subscription_status", "daily_calorie_goal", "created_at", "last_interaction"):
        ok(key in p1["users"][0], "user field %s" % key)
    found = lib.get("/api/users?q=" + urllib.parse.quote("Seed act"), headers=auth).json()
    eq(found["total"], int(chatlib.scalar("SELECT COUNT(*) FROM users WHERE first_name LIKE 'Seed act%'")),
       "search by name")
    pct = lib.get("/api/users?q=%25", headers=auth).json()
    eq(pct["total"], int(chatlib.scalar("SELECT COUNT(*) FROM users WHERE subscriber_id LIKE '%\\%%'"
                                        " OR first_name LIKE '%\\%%' OR last_name LIKE '%\\%%'")),
       "a % in the search is literal")
    for bad, field in (("per_page=0", "per_page"), ("per_page=101", "per_page"), ("page=x", "page"),
                       ("q=" + "a" * 101, "q")):
        r = lib.get("/api/users?" + bad, headers=auth)
        doc = lib.error_envelope(r, "validation_error", 400)
        eq(dig(doc, "error.details.field"), field, "the field is named")
    r = lib.get("/api/users/999999999999", headers=auth)
    lib.error_envelope(r, "not_found", 404)
    r = lib.get("/api/users/abc", headers=auth)
    lib.error_envelope(r, "not_found", 404)
    # One user's profile and days.
    uid = s["hostile_id"]
    prof = lib.get("/api/users/%d" % uid, headers=auth).json()
    eq(prof["id"], uid, "profile id")
    eq(prof["first_name"], HOSTILE, "the API returns the name as data")
    ok(abs(prof["bmi"] - 60 / 1.65 ** 2) < 0.06, "BMI from weight and height, got %r" % prof["bmi"])
    ok(prof["daily_calorie_goal"] > 0 and prof["quiz_completed"] is True, "targets in the profile")
    stats = lib.get("/api/users/%d/stats?days=7" % uid, headers=auth).json()
    eq(stats["user_id"], uid, "stats user_id")
    eq(len(stats["days"]), 7, "seven days")
    today = chatlib.scalar("SELECT DATE(UTC_TIMESTAMP() + INTERVAL utc_offset_min MINUTE) FROM users WHERE id = %d" % uid)
    eq(stats["days"][-1]["date"], today, "the days end on the user's local today")
    row = lib.sql("SELECT total_calories, meals_logged FROM daily_stats WHERE user_id = %d AND local_date = %s"
                  % (uid, q(today)))[0]
    last = stats["days"][-1]
    eq("%.1f" % last["total_calories"], row[0], "today's calories")
    eq(last["meals_logged"], int(row[1]), "today's meals")
    eq(round(last["calorie_difference"], 1), round(float(row[0]) - last["goal_calories"], 1), "difference")
    for key in ("date", "total_calories", "goal_calories", "total_protein", "total_carbs", "total_fat",
                "meals_logged", "calorie_difference"):
        ok(key in stats["days"][0], "day field %s" % key)
    r = lib.get("/api/users/%d/stats?days=0" % uid, headers=auth)
    lib.error_envelope(r, "validation_error", 400)


PAGES = ["/", "/privacy-policy", "/terms-and-conditions", "/admin/dashboard", "/admin/users",
         "/admin/users?q=" + urllib.parse.quote(HOSTILE), "/admin/users/%(uid)d", "/admin/system-status"]


@lib.test
def test_hostile_name_is_inert_everywhere():
    s = seed()
    a = login_admin()
    for path in PAGES:
        path = path % {"uid": s["hostile_id"]} if "%" in path and "uid" in path else path
        st, hdrs, body = a.req("GET", path)
        status_of(st, 200, path)
        html_headers_present(hdrs, path)
        ok(HOSTILE not in body and "<script" not in body.lower(), "%s has no script element" % path)
    for path in ("/admin/users", "/admin/users/%d" % s["hostile_id"], "/admin/users?q=" + urllib.parse.quote(HOSTILE)):
        _, _, body = a.req("GET", path)
        ok(ESCAPED in body, "%s shows the name as text" % path)
    r = lib.get("/api/users/%d" % s["hostile_id"], headers={"Authorization": "Bearer " + s["token"],
                                                            "X-Forwarded-For": CLIENT_IP})
    eq(r.header("Content-Type"), "application/json; charset=utf-8", "the API is JSON, never HTML")
    ok(chatlib.scalar("SELECT COUNT(*) FROM activity_log a JOIN admin_users u ON u.id = a.admin_user_id"
                      " WHERE u.username = %s AND a.event = 'admin_user_viewed'" % q(ADMIN)) != "0",
       "viewing a user's page is in the audit log")


# ------------------------------------------------------------------------------ headless Chromium

class WebDriver:
    """The few W3C WebDriver calls the page walk needs, over chromedriver's HTTP API."""
    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

    def __init__(self, profile_dir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(["/usr/bin/chromedriver", "--port=%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.sid = None
        lib.wait_for(lambda: self.call("GET", "/status")["value"]["ready"] or True, 20, "chromedriver")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile_dir, "--window-size=1280,900"]}}}}
        self.sid = self.call("POST", "/session", caps, timeout=90)["value"]["sessionId"]

    def call(self, method, path, body=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        doc = json.loads(r.read() or b"{}")
        c.close()
        if r.status >= 400:
            raise AssertionError("webdriver %s %s: %d %s" % (method, path, r.status, json.dumps(doc)[:300]))
        return doc

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.sid, path), body)["value"]

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[self.ELEMENT]

    def type(self, css, text):
        self.s("POST", "/element/%s/value" % self.find(css), {"text": text})

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.find(css), {})

    def text(self, css):
        return self.s("GET", "/element/%s/text" % self.find(css))

    def logs(self):
        try:
            return self.s("POST", "/se/log", {"type": "browser"})
        except AssertionError:
            return self.s("POST", "/log", {"type": "browser"})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def alert_open(self):
        try:
            self.s("GET", "/alert/text")
            return True
        except AssertionError:
            return False

    def close(self):
        try:
            if self.sid:
                self.call("DELETE", "/session/" + self.sid, timeout=30)
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@lib.test
def test_every_page_in_headless_chromium():
    if not (os.path.exists("/usr/bin/chromedriver") and os.path.exists("/usr/bin/chromium")):
        lib.skip("chromium and chromium-driver are not installed")
    s = seed()
    os.makedirs(SHOTS, exist_ok=True)
    profile = os.path.join(SHOTS, "profile-%s" % TAG)
    wd = WebDriver(profile)
    try:
        wd.go(lib.BASE + "/admin")
        wd.type("#username", ADMIN)
        wd.type("#password", ADMIN_PW)
        wd.click("button.primary")
        lib.wait_for(lambda: wd.s("GET", "/url").endswith("/admin/dashboard"), 20, "login through the form")
        seen = []
        for path in PAGES:
            path = path % {"uid": s["hostile_id"]} if "uid" in path else path
            wd.go(lib.BASE + path)
            ok(not wd.alert_open(), "%s: no script ran (no alert)" % path)
            seen.append(path)
            if path == "/admin/dashboard":
                eq(wd.text("#m-total_users b"), chatlib.scalar("SELECT COUNT(*) FROM users"), "rendered figure")
                wd.s("POST", "/window/rect", {"width": 1280, "height": 2000})  # the whole page, charts too
                wd.screenshot(os.path.join(SHOTS, "dashboard.png"))
                wd.s("POST", "/window/rect", {"width": 1280, "height": 900})
            if path.startswith("/admin/users/"):
                eq(wd.text("#u-first_name"), HOSTILE, "the hostile name is shown as text")
                wd.s("POST", "/window/rect", {"width": 412, "height": 915})
                wd.screenshot(os.path.join(SHOTS, "user-detail-phone.png"))
                wd.s("POST", "/window/rect", {"width": 1280, "height": 2600})
                wd.screenshot(os.path.join(SHOTS, "user-detail.png"))
                wd.s("POST", "/window/rect", {"width": 1280, "height": 900})
        # Logging out through the form's button works in a real browser too.
        wd.go(lib.BASE + "/admin/dashboard")
        wd.click("header form button")
        lib.wait_for(lambda: wd.s("GET", "/url").endswith("/admin"), 20, "logout back to the login form")
        logs = wd.logs()
        errors = [e for e in logs if e.get("level") in ("SEVERE", "ERROR")]
        eq(errors, [], "browser console errors on %s" % seen)
        for name in ("dashboard.png", "user-detail.png", "user-detail-phone.png"):
            p = os.path.join(SHOTS, name)
            with open(p, "rb") as f:
                head = f.read(8)
            ok(head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(p) > 10000, "%s is a real screenshot" % name)
        print("screenshots in %s" % SHOTS, flush=True)
    finally:
        wd.close()
        shutil.rmtree(profile, ignore_errors=True)


# ----------------------------------------------------------------------------------- privacy, CLI

@lib.test
def test_chat_delete_my_data():
    sid = chatlib.sid("forgetme")
    chatlib.say(sid, quiz={"gender": "male", "age": 40, "weight": 80, "height": 180, "activity_level": "light",
                           "goal": "lose_weight"})
    eq(chatlib.st(chatlib.say(sid, "un café con leche y dos medialunas")), "food_logged", "meal")
    uid = int(chatlib.scalar("SELECT id FROM users WHERE subscriber_id = %s" % q(sid)))
    lib.sql("INSERT INTO payments (user_id, mp_payment_id, status, amount, currency, raw) VALUES"
            " (%d, %s, 'approved', 4999.00, 'ARS', '{\"payer\": {\"email\": \"x@example.com\"}}')"
            % (uid, q("mp-forget-" + TAG)))
    # A confirmation without a request erases nothing.
    doc = chatlib.say(sid, "confirm delete")
    eq(chatlib.st(doc), "data_deletion_confirm", "confirmation without a request")
    eq(chatlib.count("users", "id = %d" % uid), 1, "nothing erased yet")
    doc = chatlib.say(sid, "Borrar mis datos")
    eq(chatlib.st(doc), "data_deletion_confirm", "asks to confirm")
    ok("CONFIRMAR BORRADO" in doc["message"], "says how to confirm")
    eq(chatlib.count("users", "id = %d" % uid), 1, "asking erases nothing")
    doc = chatlib.say(sid, "confirmar borrado")
    eq(chatlib.st(doc), "data_deleted", "erased")
    for table in ("users WHERE id", "food_logs WHERE user_id", "daily_stats WHERE user_id",
                  "activity_log WHERE user_id", "analyses WHERE user_id", "jobs WHERE user_id"):
        eq(chatlib.scalar("SELECT COUNT(*) FROM %s = %d" % (table, uid)), "0", "nothing left in " + table)
    row = lib.sql("SELECT user_id, amount, raw FROM payments WHERE mp_payment_id = %s" % q("mp-forget-" + TAG))[0]
    eq(row, ["NULL", "4999.00", "NULL"], "the payment is kept, anonymised")
    eq(chatlib.st(chatlib.say(sid, "hola")), "quiz_question", "a new message starts from scratch")


@lib.test
def test_cli_user_export_delete_and_cleanup():
    sid = chatlib.sid("export")
    chatlib.say(sid, first_name="Ana", quiz={"gender": "female", "age": 25, "weight": 55, "height": 160,
                                             "activity_level": "active", "goal": "maintain"})
    chatlib.say(sid, "200 g de pollo a la plancha")
    uid = int(chatlib.scalar("SELECT id FROM users WHERE subscriber_id = %s" % q(sid)))
    out = cli("user", "export", str(uid)).stdout
    doc = json.loads(out)
    eq(doc["user"]["subscriber_id"], sid, "export: the user")
    eq(len(doc["food_logs"]), 1, "export: the meal")
    ok(isinstance(doc["food_logs"][0]["items"], list) and doc["food_logs"][0]["items"], "items as JSON")
    eq(len(doc["daily_stats"]), 1, "export: the day")
    ok(any(e["event"] == "quiz_completed" for e in doc["activity"]), "export: the funnel events")
    for key in ("analyses", "subscriptions", "payments", "jobs"):
        ok(isinstance(doc[key], list), "export has %s" % key)
    cli("user", "export", "999999999999", expect=1)
    cli("user", "export", "abc", expect=2)
    cli("user", "delete", str(uid))
    eq(chatlib.count("users", "id = %d" % uid), 0, "deleted")
    eq(chatlib.count("food_logs", "user_id = %d" % uid), 0, "logs deleted")
    cli("user", "delete", str(uid), expect=1)
    ok(chatlib.scalar("SELECT COUNT(*) FROM activity_log WHERE event = 'user_deleted' AND detail = %s"
                      % q("user %d (cli)" % uid)) == "1", "the deletion is audited without personal data")
    lib.sql("INSERT INTO admin_login_failures (username, client_ip, created_at) VALUES"
            " ('old_%s', '10.9.9.9', UTC_TIMESTAMP() - INTERVAL 8 DAY)" % TAG)
    out = cli("cleanup").stdout
    ok("old failed admin logins: " in out and "expired admin sessions: " in out, "cleanup reports: %r" % out)
    eq(chatlib.count("admin_login_failures", "username = 'old_%s'" % TAG), 0, "old failures removed")


@lib.test
def test_cli_admin_commands():
    seed()
    r = cli("admin", "create", "short_" + TAG, "--role", "admin", stdin="tooshort\n", expect=1)
    ok("at least" in r.stderr, "minimum length is enforced")
    cli("admin", "create", "nostdin_" + TAG, "--role", "admin", stdin="", expect=1)
    cli("admin", "create", ADMIN, "--role", "admin", stdin="another-long-password\n", expect=1)
    cli("admin", "create", "bad name", "--role", "admin", stdin="another-long-password\n", expect=2)
    cli("admin", "create", "x_" + TAG, "--role", "root", stdin="another-long-password\n", expect=2)
    h = chatlib.scalar("SELECT password_hash FROM admin_users WHERE username = %s" % q(VIEWER))
    ok(h.startswith("scrypt$16384$8$1$") and VIEWER_PW not in h, "scrypt hash with its parameters")
    other = chatlib.scalar("SELECT password_hash FROM admin_users WHERE username = %s" % q(LOCKED))
    ok(h.split("$")[4] != other.split("$")[4], "per-user salt")
    # passwd: the new password works, the old one does not, and open sessions end.
    v = logged_in(VIEWER, VIEWER_PW)
    new_pw = secrets.token_hex(12)
    cli("admin", "passwd", VIEWER, stdin=new_pw + "\n")
    st, _, _ = v.req("GET", "/admin/dashboard")
    status_of(st, 303, "sessions end when the password changes")
    logged_in(VIEWER, new_pw)
    cli("admin", "passwd", "nobody_" + TAG, stdin=new_pw + "\n", expect=1)
    # token: printed once, only its hash stored.
    tok = cli("admin", "token", "create", "t2_" + TAG).stdout.strip()
    ok(re.fullmatch(r"cal_[0-9a-f]{40}", tok), "token format")
    eq(chatlib.scalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash = SHA2(%s, 256) AND name = %s"
                      % (q(tok), q("t2_" + TAG))), "1", "stored as its SHA-256")
    eq(chatlib.scalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash = %s" % q(tok)), "0", "never in clear")
    ok(chatlib.scalar("SELECT COUNT(*) FROM activity_log WHERE event = 'admin_token_created' AND detail LIKE %s"
                      % q("%t2_" + TAG + "%")) == "1", "audited")


if __name__ == "__main__":
    sys.exit(lib.main())
