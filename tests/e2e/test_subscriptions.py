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
           query=True):
    """One MercadoPago notification; the signature is valid unless a parameter forges it."""
    rid = request_id or "req-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    ts = str(int(time.time())) if ts is None else ts
    body = {"id": random.randrange(1 << 40), "type": topic, "action": action, "live_mode": False,
            "data": {"id": resource_id}}
    path = "/webhook/mercadopago"
    if query:
        path += "?" + urllib.parse.urlencode({"data.id": resource_id, "type": topic})
    hdrs = {}
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
def test_subscribe_page_refuses_forged_and_expired_links():
    s = sid("forge")
    profile_user(s)
    url = subscribe_url(say(s, "premium"))
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["t"][0]
    sub, exp, mac = token.split(".")
    for forged in ("other." + exp + "." + mac, sub + "." + str(int(exp) + 10) + "." + mac, "garbage", ""):
        r = lib.get("/subscribe?t=" + urllib.parse.quote(forged))
        status(r, 403, "forged token %r" % forged[:20])
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


if __name__ == "__main__":
    sys.exit(lib.main())
