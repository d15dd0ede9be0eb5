#!/usr/bin/env python3
"""End-to-end tests of subscriptions (SPEC §9): MercadoPago signatures checked on the query string and headers
before anything is stored, notifications stored once, the subscribe link in the chat, the /subscribe page and
POST /api/create-subscription creating preapprovals with an idempotency key, the return pages, the trial's end
told once, the free daily quota in the user's own day with limit_reached and a subscribe button, and (when the
job runner is built) processing: the state each user ends in is the one the MercadoPago mock says."""

import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import lib
from lib import dig, eq, ok, status
from chatlib import count, profile_user, q, say, scalar, sid, st

SECRET = None


def secret():
    global SECRET
    if SECRET is None:
        SECRET = lib.conf_get("mercadopago", "webhook_secret") or ""
    return SECRET


def signature(data_id, request_id, ts, key=None):
    """x-signature for the manifest of SPEC §9.3, computed here independently of the C code."""
    manifest = ""
    if data_id is not None:
        manifest += "id:%s;" % data_id.lower()
    if request_id is not None:
        manifest += "request-id:%s;" % request_id
    if ts is not None:
        manifest += "ts:%s;" % ts
    mac = hmac.new((key or secret()).encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return ("ts=%s,v1=%s" % (ts, mac)) if ts is not None else "v1=" + mac


def notify(topic, resource_id, action="", sign_id=None, key=None, ts=None, headers=True, request_id=None,
           query=True, ip=None):
    """One MercadoPago notification; the signature is valid unless a parameter forges it. It comes from one
    of MercadoPago's many addresses (X-Forwarded-For through the trusted nginx), as real ones do: the webhook
    rate limit is per client address (SPEC §4.4), and a test must not spend its own address's budget."""
    rid = request_id or "req-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    ts = str(int(time.time())) if ts is None else ts
    body = {"id": random.randrange(1 << 40), "type": topic, "action": action, "live_mode": False,
            "data": {"id": resource_id}}
    path = "/webhook/mercadopago"
    if query:
        path += "?" + urllib.parse.urlencode({"data.id": resource_id, "type": topic})
    hdrs = {"X-Forwarded-For": ip or "10.14.%d.%d" % (random.randrange(256), random.randrange(1, 255))}
    if headers:
        hdrs["X-Request-Id"] = rid
        hdrs["X-Signature"] = signature(sign_id if sign_id is not None else (resource_id if query else None),
                                        rid, ts, key)
    return lib.post(path, body=body, headers=hdrs)


def notifications(resource_id):
    return count("mp_notifications", "resource_id = %s" % q(resource_id))


def uid(name):
    return str(random.randrange(10 ** 11, 10 ** 12)) + str(abs(hash(name)) % 1000)


def user_row(subscriber):
    rows = lib.sql("SELECT subscription_status, COALESCE(UNIX_TIMESTAMP(paid_until), 0) FROM users "
                   "WHERE subscriber_id = %s" % q(subscriber))
    ok(len(rows) == 1, "user %s exists" % subscriber)
    return rows[0][0], int(float(rows[0][1]))


def mp_control(**doc):
    r = lib.request("POST", "/__control/mercadopago", body=doc, base=lib.MOCK)
    status(r, 200, "mercadopago mock control")
    return r.json()


def buttons(doc):
    return [b for m in dig(doc, "content.messages") for b in m.get("buttons", [])]


def subscribe_url(doc):
    urls = [b["url"] for b in buttons(doc) if b.get("type") == "url"]
    ok(urls, "a url button in %s" % json.dumps(doc)[:300])
    ok("/subscribe?t=" in urls[0], "button goes to the subscribe page: %s" % urls[0])
    return urls[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_form_no_redirect(path, form):
    """POST a form and return the redirect itself (the checkout lives outside the test network)."""
    req = urllib.request.Request(lib.BASE + path, data=form.encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=15) as r:
            return lib.Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return lib.Response(e.code, e.headers, e.read())


def local_path(url):
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


# ------------------------------------------------------------------------------------------- signatures

@lib.test
def test_forged_notifications_are_refused_and_store_nothing():
    rid = uid("forged")
    cases = [
        ("wrong secret", notify("payment", rid, key="not-the-secret")),
        ("tampered data.id", notify("payment", rid, sign_id=str(int(rid) + 1))),
        ("missing header", notify("payment", rid, headers=False)),
        ("stale ts", notify("payment", rid, ts=str(int(time.time()) - 3600))),
        ("future ts", notify("payment", rid, ts=str(int(time.time()) + 3600))),
    ]
    for what, r in cases:
        lib.error_envelope(r, "unauthorized", 401)
    eq(notifications(rid), 0, "nothing stored for forged notifications")


@lib.test
def test_signature_rules_data_id_case_and_milliseconds():
    rid = "AbC%d" % random.randrange(1 << 30)
    # data.id is lower-cased in the manifest: the query may carry any case
    status(notify("preapproval", rid), 200, "mixed-case data.id")
    ms = str(int(time.time() * 1000))
    status(notify("preapproval", rid, action="updated", ts=ms), 200, "ts in milliseconds")
    eq(notifications(rid), 2, "two distinct notifications stored")


@lib.test
def test_redeliveries_are_no_ops_and_unknown_types_ignored():
    rid = uid("dup")
    ids = set()
    for _ in range(5):
        r = notify("payment", rid, action="payment.created")
        status(r, 200, "valid notification")
        doc = r.json()
        eq(doc["status"], "received", "status")
        ids.add(doc["id"])
    eq(len(ids), 1, "the same row every time")
    eq(notifications(rid), 1, "stored once")
    r = notify("merchant_order", rid)
    status(r, 200, "unknown type")
    eq(r.json()["status"], "ignored", "unknown type ignored")
    eq(notifications(rid), 1, "nothing stored for an unknown type")


# ------------------------------------------------------------------------------------------- links

@lib.test
def test_subscribe_command_replies_with_a_signed_link_and_no_preapproval():
    lib.mock_reset()
    s = sid("premium")
    profile_user(s)
    doc = say(s, "premium")
    eq(st(doc), "subscription_link", "status")
    url = subscribe_url(doc)
    eq(dig(doc, "caloria.subscription.payment_link"), url, "caloria.subscription.payment_link")
    doc = say(s, payload="subscribe")
    eq(st(doc), "subscription_link", "payload subscribe")
    eq([r for r in lib.mock_requests("mercadopago") if r["method"] == "POST"], [],
       "the chat webhook never creates a preapproval")


@lib.test
def test_subscribe_page_creates_one_preapproval_and_redirects():
    lib.mock_reset()
    s = sid("page")
    say(s, "hola", first_name="Zoë <b>")
    profile_user(s)
    url = subscribe_url(say(s, "premium"))
    path = local_path(url)
    r = lib.get(path)
    status(r, 200, "subscribe page")
    ok((r.header("Content-Type") or "").startswith("text/html"), "HTML")
    for h in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        ok(r.header(h), "header %s" % h)
    body = r.body.decode()
    ok("Zoë &lt;b&gt;" in body and "<b>" not in body.split("<body>")[1].split("</h1>")[0].replace("<h1>", ""),
       "first name shown escaped")
    ok('name="email"' in body, "asks for the e-mail")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = lib.post(path, body="email=not-an-email", headers=form)
    status(r, 400, "invalid e-mail")
    ok("email-error" in r.body.decode(), "says the e-mail is invalid")
    eq(mp_control()["created"], [], "no preapproval for an invalid e-mail")
    for _ in range(2):  # a double submit
        r = post_form_no_redirect(path, "email=zoe%40example.com")
        status(r, 303, "redirect to checkout")
        ok(r.header("Location").startswith("https://www.mercadopago.com.ar/"), "to init_point")
    created = mp_control()["created"]
    eq(len(created), 1, "one preapproval for a double submit")
    posts = [x for x in lib.mock_requests("mercadopago") if x["method"] == "POST"]
    ok(all(x["headers"].get("X-Idempotency-Key") for x in posts), "X-Idempotency-Key sent")
    sent = json.loads(posts[0]["body"])
    eq(sent["external_reference"], s, "external_reference")
    eq(sent["auto_recurring"]["frequency_type"], "months", "monthly")
    ok(sent["back_url"].endswith("/subscription-success"), "back_url")
    eq(scalar("SELECT preapproval_id FROM users WHERE subscriber_id = %s" % q(s)), created[0], "stored")
    eq(count("subscriptions", "preapproval_id = %s" % q(created[0])), 1, "subscription row")


@lib.test
def test_subscribe_page_speaks_the_users_language():
    s = sid("page-en")
    profile_user(s, locale="en_US")
    path = local_path(subscribe_url(say(s, "subscribe")))
    r = lib.get(path)
    status(r, 200, "English page")
    body = r.body.decode()
    ok('<html lang="en">' in body and "Continue to MercadoPago" in body, "form in English")
    r = lib.post(path, body="email=nope", headers={"Content-Type": "application/x-www-form-urlencoded"})
    status(r, 400, "invalid e-mail")
    ok("does not look valid" in r.body.decode(), "error in English")


@lib.test
def test_subscribe_page_refuses_forged_and_expired_links():
    s = sid("forge")
    profile_user(s)
    url = subscribe_url(say(s, "premium"))
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["t"][0]
    sub, exp, mac = token.split(".")
    for forged in ("other." + exp + "." + mac, sub + "." + str(int(exp) + 10) + "." + mac, "garbage", ""):
        r = lib.get("/subscribe?t=" + urllib.parse.quote(forged))
        status(r, 403, "forged token %r" % forged[:20])
        ok((r.header("Content-Type") or "").startswith("text/html"), "refused as a page")
        ok(r.header("X-Frame-Options") == "DENY", "with the page headers")
        r = post_form_no_redirect("/subscribe?t=" + urllib.parse.quote(forged), "email=a%40example.com")
        status(r, 403, "forged token on POST")
    key = hmac.new(lib.conf_get("manychat", "webhook_token").encode(), b"caloria subscribe link v1",
                   hashlib.sha256).hexdigest()
    old = "%s.%d" % (s, int(time.time()) - 10)
    expired = old + "." + hmac.new(key.encode(), old.encode(), hashlib.sha256).hexdigest()
    r = lib.get("/subscribe?t=" + expired)
    status(r, 403, "expired token")
    ok("venció" in r.body.decode() or "expired" in r.body.decode(), "says it expired")


@lib.test
def test_create_subscription_api():
    lib.mock_reset()
    s = sid("api")
    profile_user(s)
    h = lib.webhook_headers()
    lib.error_envelope(lib.post("/api/create-subscription", body={"subscriber_id": s}), "unauthorized", 401)
    lib.error_envelope(lib.post("/api/create-subscription", body={"subscriber_id": "nobody-" + s}, headers=h),
                       "not_found", 404)
    lib.error_envelope(lib.post("/api/create-subscription", body={"subscriber_id": s, "payer_email": "x"},
                                headers=h), "validation_error", 400)
    r = lib.post("/api/create-subscription", body={"subscriber_id": s}, headers=h)
    status(r, 200, "link without e-mail")
    doc = r.json()
    ok("/subscribe?t=" in doc["payment_link"], "signed page link")
    eq(doc["subscriber_id"], s, "subscriber_id")
    eq((doc["currency"], doc["trial_days"]), ("ARS", 1), "currency, trial_days")
    ok(abs(doc["price"] - 4999.0) < 0.001, "price")
    r = lib.post("/api/create-subscription", body={"subscriber_id": s, "payer_email": "ana@example.com"}, headers=h)
    status(r, 200, "with e-mail")
    ok(r.json()["payment_link"].startswith("https://www.mercadopago.com.ar/"), "init_point")
    eq(len(mp_control()["created"]), 1, "one preapproval")
    lib.sql("UPDATE users SET subscription_status = 'active', paid_until = UTC_TIMESTAMP() + INTERVAL 20 DAY "
            "WHERE subscriber_id = %s" % q(s))
    lib.error_envelope(lib.post("/api/create-subscription", body={"subscriber_id": s}, headers=h), "conflict", 409)


@lib.test
def test_return_pages():
    for path, word in (("/subscription-success", "Gracias"), ("/subscription-cancel", "cobro")):
        r = lib.get(path)
        status(r, 200, path)
        ok(word in r.body.decode(), "%s in Spanish" % path)
        ok(r.header("Content-Security-Policy") and r.header("X-Frame-Options") == "DENY", "headers")
        r = lib.get(path + "?lang=en")
        ok("<html lang=\"en\">" in r.body.decode(), "%s in English" % path)


# ------------------------------------------------------------------------------------- trial and gate

def local_offset_away_from_utc_day():
    """A UTC offset whose local date differs from the UTC date right now (+14 h or -12 h)."""
    hour = time.gmtime().tm_hour
    return ("+14:00", 14 * 60) if hour >= 10 else ("-12:00", -12 * 60)


@lib.test
def test_trial_expiry_told_once_then_free_quota_in_the_users_day():
    tz, offset = local_offset_away_from_utc_day()
    s = sid("gate")
    doc = say(s, "hola", timezone=tz)
    profile_user(s)
    eq(user_row(s)[0], "trial", "trial after the quiz")
    ends = dig(say(s, "estado"), "caloria.user.trial_ends_at")
    ok(ends, "trial_ends_at")
    doc = say(s, "estado")
    ok(any(ends[:10] in m["text"] or "hasta" in m["text"] for m in dig(doc, "content.messages")),
       "estado shows the trial's end")
    # the trial ends
    lib.sql("UPDATE users SET trial_ends_at = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE subscriber_id = %s" % q(s))
    # a count on the UTC date (not the user's) must not use up the user's quota
    utc_day = time.strftime("%Y-%m-%d", time.gmtime())
    lib.sql("INSERT INTO daily_stats (user_id, local_date, analyses_count) SELECT id, %s, 99 FROM users "
            "WHERE subscriber_id = %s" % (q(utc_day), q(s)))
    told = 0
    for i in range(3):
        doc = say(s, "una manzana")
        eq(st(doc), "food_logged", "free analysis %d" % (i + 1))
        told += sum(1 for m in dig(doc, "content.messages") if "prueba gratis" in m["text"].lower()
                    or "trial has ended" in m["text"].lower())
    eq(told, 1, "the end of the trial is told exactly once")
    eq(user_row(s)[0], "trial_expired", "status")
    doc = say(s, "una manzana")
    eq(st(doc), "limit_reached", "the 4th analysis of the day")
    subscribe_url(doc)
    for cmd in ("hoy", "estado", "ayuda"):
        ok(st(say(s, cmd)) != "limit_reached", "%s is never gated" % cmd)
    local_day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 60))
    eq(scalar("SELECT analyses_count FROM daily_stats WHERE %s AND local_date = %s" %
              ("user_id = (SELECT id FROM users WHERE subscriber_id = %s)" % q(s), q(local_day))), "3",
       "three analyses counted on the user's local day")
    eq(count("activity_log", "event = 'trial_expired' AND user_id = (SELECT id FROM users WHERE subscriber_id = %s)"
             % q(s)), 1, "one trial_expired event")


# ------------------------------------------------------------------------------------------ processing

def processed(resource_ids, seconds, what):
    """Waits until every listed resource's notifications left 'pending'."""
    ids = ",".join(q(r) for r in resource_ids)

    def done():
        rows = lib.sql("SELECT COUNT(*) FROM mp_notifications WHERE resource_id IN (%s) AND status = 'pending'" % ids)
        return int(rows[0][0]) == 0
    lib.wait_for(done, seconds, what, interval=0.25)


def mp_time(t):
    """A MercadoPago timestamp (local time of Buenos Aires, with its offset)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000-03:00", time.gmtime(t - 3 * 3600))


def add_month(t):
    """+1 calendar month clamped to the month's end: SPEC §9.3 paid_until, as MariaDB's INTERVAL 1 MONTH."""
    tm = time.gmtime(t)
    y, m = (tm.tm_year + 1, 1) if tm.tm_mon == 12 else (tm.tm_year, tm.tm_mon + 1)
    days = [31, 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    import calendar
    return calendar.timegm((y, m, min(tm.tm_mday, days[m - 1]), tm.tm_hour, tm.tm_min, tm.tm_sec, 0, 0, 0))


def expected(pre_status, payments, now):
    """The state the mock's resources imply (README "Subscriptions", written here independently):
    returns (status, paid_until)."""
    paid_until = max([add_month(t) for st_, t in payments if st_ == "approved"] or [0])
    refund = any(st_ in ("refunded", "charged_back") for st_, _ in payments)
    last = max(payments, key=lambda p: (p[1], p[0] == "rejected")) if payments else None
    if pre_status == "cancelled":
        return "cancelled", paid_until
    if pre_status == "paused":
        return "paused", paid_until
    if paid_until > now:
        return "active", paid_until
    if refund:
        return "cancelled", paid_until
    if last is not None and last[0] == "rejected":
        return "payment_failed", paid_until
    if paid_until > 0 and pre_status == "authorized":
        return "active", paid_until
    if pre_status in ("pending", "authorized"):
        return "pending", paid_until
    return "trial_expired", paid_until


def make_users(tag, n):
    subs = ["rp-%s-%02d" % (tag, i) for i in range(n)]
    lib.sql("INSERT INTO users (subscriber_id, language, subscription_status, quiz_completed) VALUES " +
            ", ".join("(%s, 'es', 'trial_expired', 1)" % q(s_) for s_ in subs))
    return subs


@lib.test
def test_replay_of_200_notifications_converges_to_the_api():
    rnd = random.Random(1409)
    tag = "%x" % random.randrange(1 << 32)
    now = int(time.time())
    lib.mock_reset()
    subs = make_users(tag, 20)
    pre_choices = ["authorized"] * 5 + ["paused", "cancelled", "pending"]
    pay_choices = ["approved", "approved", "approved", "rejected", "refunded", "charged_back"]
    state = {"preapprovals": {}, "payments": {}, "authorized_payments": {}}
    facts = {}          # subscriber → (preapproval status, [(payment status, time)])
    valid = []          # (topic, resource id, action)
    charge_ids = []     # MercadoPago payment ids Caloria should end up with one row each
    for i, s_ in enumerate(subs):
        pid = "pre%s%02d" % (tag, i)
        pst = pre_choices[i % len(pre_choices)]
        state["preapprovals"][pid] = {"id": pid, "status": pst, "external_reference": s_,
                                      "auto_recurring": {"transaction_amount": 4999.0, "currency_id": "ARS"}}
        valid.append(("preapproval", pid, "updated"))
        pays = []
        for k in range([2, 2, 1, 1, 1, 1, 1, 1][i] if i < 8 else 0):
            pay_id = str(9000000000 + i * 10 + k + (int(tag, 16) % 100000) * 1000)
            pst_ = pay_choices[rnd.randrange(len(pay_choices))]
            t = now - rnd.choice([2, 5, 12, 45, 70]) * 86400 - rnd.randrange(3600)
            pays.append((pst_, t))
            charge_ids.append(pay_id)
            if k == 0:  # a plain payment
                state["payments"][pay_id] = {"id": int(pay_id), "status": pst_, "date_approved": mp_time(t),
                                             "date_created": mp_time(t), "transaction_amount": 4999.0,
                                             "currency_id": "ARS", "external_reference": s_,
                                             "metadata": {"preapproval_id": pid}}
                valid.append(("payment", pay_id, "payment.updated"))
            else:       # a charge of the preapproval, told as an authorized payment
                ap = "ap%s%02d%d" % (tag, i, k)
                state["authorized_payments"][ap] = {"id": ap, "status": "processed", "preapproval_id": pid,
                                                    "external_reference": s_, "debit_date": mp_time(t),
                                                    "transaction_amount": 4999.0, "currency_id": "ARS",
                                                    "payment": {"id": int(pay_id), "status": pst_}}
                valid.append(("subscription_authorized_payment", ap, "created"))
        facts[s_] = (pst, pays)
    eq(len(valid), 30, "distinct valid notifications")
    # bait: approved payments the API knows of, announced only by forged notifications
    bait = []
    for i in (10, 11, 12, 13):
        b = str(8000000000 + i + (int(tag, 16) % 100000) * 100)
        state["payments"][b] = {"id": int(b), "status": "approved", "date_approved": mp_time(now - 3600),
                                "external_reference": subs[i], "transaction_amount": 4999.0, "currency_id": "ARS"}
        bait.append(b)
    # the API is down for a third of the resources (each fails twice, then answers)
    down = {}
    for n_, (topic, rid, _) in enumerate(valid):
        if n_ % 3 == 0:
            kind = {"subscription_authorized_payment": "authorized_payment"}.get(topic, topic)
            down["%s:%s" % (kind, rid)] = 2
    mp_control(strict=True, down=down, **state)

    sends = [("valid", v) for v in valid for _ in range(5)]
    forgeries = ["wrong secret", "tampered data.id", "missing header", "stale ts"]
    targets = [("payment", b, "payment.created") for b in bait] + valid
    for n_ in range(50):
        sends.append((forgeries[n_ % 4], targets[n_ % len(targets)]))
    rnd.shuffle(sends)
    eq(len(sends), 200, "notifications sent")
    for kind, (topic, rid, action) in sends:
        if kind == "valid":
            r = notify(topic, rid, action=action)
            status(r, 200, "valid %s %s" % (topic, rid))
        else:
            r = {"wrong secret": lambda: notify(topic, rid, action=action, key="forger"),
                 "tampered data.id": lambda: notify(topic, rid, action=action, sign_id=rid + "0"),
                 "missing header": lambda: notify(topic, rid, action=action, headers=False),
                 "stale ts": lambda: notify(topic, rid, action=action, ts=str(int(time.time()) - 900))}[kind]()
            status(r, 401, "%s for %s" % (kind, rid))

    processed([rid for _, rid, _ in valid], 120, "every valid notification processed")
    eq(count("mp_notifications", "resource_id IN (%s)" % ",".join(q(r) for _, r, _ in valid)), 30,
       "one stored notification per topic, resource and action")
    eq(count("mp_notifications", "resource_id IN (%s)" % ",".join(q(b) for b in bait)), 0,
       "forged notifications stored nothing")
    eq(count("mp_notifications", "resource_id IN (%s) AND status <> 'processed'" %
             ",".join(q(r) for _, r, _ in valid)), 0, "all processed")
    now = int(time.time())
    for s_ in subs:
        pst, pays = facts[s_]
        want_status, want_paid = expected(pst, pays, now)
        got_status, got_paid = user_row(s_)
        eq(got_status, want_status, "status of %s (preapproval %s, payments %s)" % (s_, pst, pays))
        ok(abs(got_paid - want_paid) <= 1, "paid_until of %s: %s vs %s" % (s_, got_paid, want_paid))
    for c in charge_ids:
        eq(count("payments", "mp_payment_id = %s" % q(c)), 1, "one payment row for charge %s" % c)
    for b in bait:
        eq(count("payments", "mp_payment_id = %s" % q(b)), 0, "no row for the forged payment %s" % b)
    approved_ids = {str(p["id"]) for p in state["payments"].values() if p["status"] == "approved"} | \
        {str(a["payment"]["id"]) for a in state["authorized_payments"].values() if a["payment"]["status"] == "approved"}
    approved_ids -= set(bait)
    sub_list = ",".join(q(s_) for s_ in subs)
    eq(count("payments", "status = 'approved' AND user_id IN (SELECT id FROM users WHERE subscriber_id IN (%s))"
             % sub_list), len(approved_ids), "exactly one row per approved payment")
    for s_ in subs:
        activated = count("activity_log", "event = 'subscription_active' AND user_id = "
                                          "(SELECT id FROM users WHERE subscriber_id = %s)" % q(s_))
        rows = lib.sql("SELECT mp_payment_id FROM payments WHERE status = 'approved' AND user_id = "
                       "(SELECT id FROM users WHERE subscriber_id = %s)" % q(s_))
        fetched = {r_[0] for r_ in rows} & approved_ids
        ok(activated == 0 or fetched, "%s activated without an approved payment fetched from the API" % s_)
        if user_row(s_)[0] == "active":
            ok(fetched, "%s is active with an approved payment" % s_)
    gets = [r_ for r_ in lib.mock_requests("mercadopago") if r_["method"] == "GET"]
    for key in down:
        kind, rid = key.split(":", 1)
        tries = [g for g in gets if g["path"].rstrip("/").endswith("/" + rid)]
        ok(len(tries) >= 3, "%s was fetched again after the API failed twice (%d fetches)" % (key, len(tries)))
    ok(all(r_["headers"].get("Authorization", "").startswith("Bearer ") for r_ in gets), "fetched with the token")
    eq([r_ for r_ in gets if any(b in r_["path"] for b in bait)], [], "forged resources never fetched")


def wait_status(subscriber, want, seconds=60):
    return lib.wait_for(lambda: user_row(subscriber)[0] == want, seconds, "%s becomes %s" % (subscriber, want))


def pushes_to(subscriber):
    out = []
    for r_ in lib.mock_requests("manychat"):
        try:
            body = json.loads(r_.get("body") or "{}")
        except ValueError:
            continue
        if str(body.get("subscriber_id")) == subscriber:
            out.append(" ".join(m.get("text", "") for m in body["data"]["content"]["messages"]))
    return out


@lib.test
def test_trial_to_paid_to_refunded_end_to_end():
    lib.mock_reset()
    mp_control(strict=True)
    s = sid("journey")
    profile_user(s)
    eq(user_row(s)[0], "trial", "trial")
    lib.sql("UPDATE users SET trial_ends_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE subscriber_id = %s" % q(s))
    for _ in range(3):
        eq(st(say(s, "una banana")), "food_logged", "free analyses")
    eq(user_row(s)[0], "trial_expired", "trial over")
    doc = say(s, "una banana")
    eq(st(doc), "limit_reached", "quota used")
    path = local_path(subscribe_url(doc))
    status(lib.get(path), 200, "page")
    r = post_form_no_redirect(path, "email=pagador%40example.com")
    status(r, 303, "to checkout")
    pre = mp_control()["created"][0]
    eq(user_row(s)[0], "pending", "checkout started")
    # the payer authorizes; MercadoPago charges the first month and tells us
    t = int(time.time()) - 60
    mp_control(preapprovals={pre: {"status": "authorized"}},
               payments={"7700%d" % t: {"id": int("7700%d" % t), "status": "approved", "date_approved": mp_time(t),
                                        "external_reference": s, "transaction_amount": 4999.0, "currency_id": "ARS"}})
    status(notify("subscription_preapproval", pre, action="updated"), 200, "preapproval notification")
    processed([pre], 60, "preapproval processed")
    eq(user_row(s)[0], "pending", "an authorized preapproval alone does not activate")
    status(notify("payment", "7700%d" % t, action="payment.created"), 200, "payment notification")
    wait_status(s, "active")
    ok(abs(user_row(s)[1] - add_month(t)) <= 1, "paid_until = payment date + 1 month")
    lib.wait_for(lambda: any("activo" in x for x in pushes_to(s)), 30, "activation pushed")
    for _ in range(2):
        eq(st(say(s, "una banana")), "food_logged", "unlimited while active")
    # refunded: access revoked
    mp_control(payments={"7700%d" % t: {"status": "refunded"}})
    status(notify("payment", "7700%d" % t, action="payment.updated"), 200, "refund notification")
    wait_status(s, "cancelled")
    lib.wait_for(lambda: any("devuelto" in x for x in pushes_to(s)), 30, "revocation pushed")
    eq(st(say(s, "una banana")), "limit_reached", "access revoked")
    eq(count("payments", "mp_payment_id = %s" % q("7700%d" % t)), 1, "one payment row through the refund")


def caloria(*args):
    return subprocess.run([os.path.join(lib.BUILD, "caloria"), "--config", lib.CONF] + list(args),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@lib.test
def test_sweep_ends_due_trials_once_and_requeues_stuck_notifications():
    lib.mock_reset()
    s = sid("sweep")
    profile_user(s)
    lib.sql("UPDATE users SET trial_ends_at = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE subscriber_id = %s" % q(s))
    r = caloria("subscriptions-sweep")
    eq(r.returncode, 0, "sweep exit status (%s)" % r.stderr)
    ok("trials ended:" in r.stdout, "says how many trials ended")
    eq(user_row(s)[0], "trial_expired", "trial ended by the sweep")
    lib.wait_for(lambda: any("prueba gratis" in x for x in pushes_to(s)), 30, "the user is told by a push")
    caloria("subscriptions-sweep")
    doc = say(s, "una manzana")
    ok(not any("prueba gratis" in m["text"] for m in dig(doc, "content.messages")), "told once, not again in chat")
    eq(count("activity_log", "event = 'trial_expired' AND user_id = (SELECT id FROM users WHERE subscriber_id = %s)"
             % q(s)), 1, "one trial_expired event")
    # a notification whose processing gave up long ago (no live job) is queued again
    rid = uid("stuck")
    mp_control(strict=True, preapprovals={rid: {"status": "authorized", "external_reference": s}})
    lib.sql("INSERT INTO mp_notifications (topic, resource_id, action, received_at, attempts) VALUES "
            "('preapproval', %s, 'updated', UTC_TIMESTAMP() - INTERVAL 1 HOUR, 5)" % q(rid))
    r = caloria("subscriptions-sweep")
    ok("notifications requeued: 1" in r.stdout, "requeued: %r" % r.stdout)
    processed([rid], 60, "the requeued notification is processed")
    eq(scalar("SELECT status FROM subscriptions WHERE preapproval_id = %s" % q(rid)), "authorized", "stored")


if __name__ == "__main__":
    sys.exit(lib.main())
