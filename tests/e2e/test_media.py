#!/usr/bin/env python3
"""Photos, voice notes and provider look-ups of text (SPEC §7.2–§7.5) through nginx, the pool and its job
runner, with every provider mocked by tests/e2e/mockapi.py (media files are served by the mock too).

Checked: the webhook answers `processing` at once and the result arrives as a ManyChat push; a photo is
logged with SR24's numbers for the food Gemini names; the caption goes to the provider and is stored; a
Telegram file URL never reaches a row, a job payload or a log line; Gemini answers with thought parts and
code fences, cut by MAX_TOKENS, blocked for safety, or plain garbage are each handled (the next provider
answers where one is needed); a low-confidence photo waits for confirm:<id> / cancel:<id> (the buttons
carry the webhook token only on the way to ManyChat); a voice note is transcribed (OGG_OPUS 48 kHz, es-AR or
en-US by user, Gemini when Speech hears nothing), logged and echoed; a text meal with an unknown food is
logged at once and completed by a look-up; oversized, wrongly typed and endlessly redirected media fail
with a friendly push; providers that stay down end in a friendly push after bounded retries while the
breaker opens; a job runner killed mid-job leaves every job finished exactly once; media URLs on loopback
or private addresses are refused when media.allow_private_hosts = false.
"""

import json
import os
import signal
import sys
import time

import chatlib as c
import lib
from lib import test, eq, ok, dig

MEDIA = lib.MOCK + "/media"


def q(s):
    return c.q(s)


_salt = [0]


def fresh(name):
    """A media URL whose bytes no earlier analysis had (the image cache is keyed by the bytes)."""
    _salt[0] += 1
    return MEDIA + "/" + name + "?salt=" + c.RUN_TAG + "-" + str(_salt[0])


pushes = lib.manychat_pushes


def texts(push):
    return "\n".join(m.get("text", "") for m in dig(push, "data.content.messages"))


def wait_push(sub, n=1, seconds=30):
    return lib.wait_for(lambda: pushes(sub) if len(pushes(sub)) >= n else None, seconds,
                        "%d push(es) to %s" % (n, sub))


def media_jobs(sub):
    return lib.sql("SELECT id, state, attempts, COALESCE(last_error, ''), payload FROM jobs WHERE kind = 'media'"
                   " AND " + c.user_where(sub) + " ORDER BY id")


def wait_jobs_end(sub, seconds=40):
    def ended():
        rows = media_jobs(sub)
        return rows if rows and all(r[1] in ("done", "failed") for r in rows) else None
    return lib.wait_for(ended, seconds, "media jobs of %s to end" % sub)


def new_user(name, locale="es_AR"):
    """A fresh mock (no scripted answers left, nothing recorded) and a user with a profile."""
    lib.mock_reset()
    s = c.sid(name)
    c.profile_user(s, locale=locale)
    return s


def send(sub, expect_status="processing", **fields):
    doc = c.say(sub, **fields)
    eq(c.st(doc), expect_status, "immediate reply status")
    ok("analysis" not in dig(doc, "caloria"), "nothing analysed inside the webhook")
    return doc


def logs(sub):
    return lib.sql("SELECT id, source, raw_input, COALESCE(caption, ''), items, kcal, provider, confidence"
                   " FROM food_logs WHERE " + c.user_where(sub) + " ORDER BY id")


def gemini_calls():
    return [r for r in lib.mock_requests("gemini") if ":generateContent" in r["path"]]


def food_logs_metric(source):
    for line in lib.get("/metrics").body.decode().splitlines():
        if line.startswith('caloria_food_logs_total{source="%s"}' % source):
            return float(line.split()[-1])
    return 0.0


@test
def photo_logged_with_table_numbers():
    s = new_user("photo")
    images = food_logs_metric("image")
    t0 = time.time()
    doc = send(s, image_url=fresh("plate.jpg"))
    ok("📷" in doc["message"], "says it is analysing the photo: %r" % doc["message"])
    push = wait_push(s)[0]
    ok("banana" in texts(push) and "105 kcal" in texts(push), "the pushed log: %r" % texts(push))
    eq(dig(push, "data.content.type"), "telegram", "channel format")
    rows = logs(s)
    eq(len(rows), 1, "one food log")
    eq(rows[0][1], "image", "source")
    items = json.loads(rows[0][4])
    eq(items[0]["name"], "banana", "item name from Gemini")
    eq(items[0].get("table"), "ndb:09040", "SR24 supplied the numbers")
    eq(rows[0][6], "gemini", "provider")
    an = lib.sql("SELECT status, media_sha256 FROM analyses WHERE " + c.user_where(s))
    eq(an[0][0], "logged", "analysis logged")
    eq(len(an[0][1]), 64, "the photo is remembered by its SHA-256 only")
    call = gemini_calls()[-1]
    body = json.loads(call["body"])
    part = dig(body, "contents.0.parts.1.inline_data")
    eq(part["mime_type"], "image/jpeg", "image sent inline")
    ok(len(part["data"]) > 100, "with its bytes")
    eq(call["headers"].get("x-goog-api-key"), "mock-gemini-key", "key in a header")
    ok("key=" not in call["query"], "never in the URL")
    ok(time.time() - t0 < 20, "pushed within seconds")
    ok(food_logs_metric("image") >= images + 1, "counted in caloria_food_logs_total{source=\"image\"}")


@test
def same_photo_answered_from_cache():
    s = new_user("cache")
    send(s, image_url=MEDIA + "/plate.jpg?salt=same-" + c.RUN_TAG)
    wait_push(s)
    before = len(gemini_calls())
    send(s, image_url=MEDIA + "/again/plate.jpg?salt=same-" + c.RUN_TAG)  # same bytes, another URL
    wait_push(s, 2)
    eq(len(gemini_calls()), before, "the second analysis of the same bytes came from the cache")
    eq(len(logs(s)), 2, "both logged")


@test
def caption_goes_to_the_provider_and_is_stored():
    s = new_user("caption")
    send(s, image_url=fresh("caption.png"), text="comí la mitad, con aceite de oliva")
    wait_push(s)
    prompt = dig(json.loads(gemini_calls()[-1]["body"]), "contents.0.parts.0.text")
    ok("comí la mitad, con aceite de oliva" in prompt, "caption in the prompt: %r" % prompt[-200:])
    eq(logs(s)[0][3], "comí la mitad, con aceite de oliva", "caption stored with the log")


@test
def telegram_file_url_never_stored_or_logged():
    s = new_user("tg")
    token = "987654321:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
    url = MEDIA + "/file/bot%s/photos/file_42.jpg" % token
    send(s, image_url=url)
    wait_push(s)
    wait_jobs_end(s)
    ok(any("/file/bot" + token in r["path"] for r in lib.mock_requests("media")), "the file was downloaded")
    for row in media_jobs(s):
        ok(token not in row[4] and "AAHfiqks" not in row[4], "job payload holds no token: %r" % row[4][:200])
        ok('"sealed"' not in row[4], "the sealed URL is dropped when the job ends")
    for r in logs(s):
        ok(token not in r[2] and "AAHfiqks" not in r[2], "raw_input masked: %r" % r[2])
    with open(lib.conf_get("log", "file") or os.path.join(lib.RUN_DIR, "caloria.log"), encoding="utf-8",
              errors="replace") as f:
        ok("AAHfiqks" not in f.read(), "the bot token appears in no log line")


@test
def gemini_answer_shapes_are_tolerated():
    s = new_user("shapes")
    lib.mock_script("gemini", fixture="gemini_fenced", times=1)
    send(s, image_url=fresh("fenced.jpg"))
    wait_push(s)
    names = [i["name"] for i in json.loads(logs(s)[0][4])]
    eq(names, ["scrambled eggs", "toast"], "thought part skipped, fence and prose stripped")
    lib.mock_script("gemini", fixture="gemini_max_tokens", times=1)
    send(s, image_url=fresh("cut.png"))
    wait_push(s, 2)
    names = [i["name"] for i in json.loads(logs(s)[1][4])]
    eq(names, ["banana"], "the complete item of an answer cut by MAX_TOKENS is kept")


@test
def blocked_or_garbage_answers_fall_back_to_spoonacular():
    s = new_user("fallback")
    for i, fixture in enumerate(("gemini_safety", "gemini_prompt_blocked", "gemini_garbage")):
        lib.mock_script("gemini", fixture=fixture, times=1)
        send(s, image_url=fresh("fb%d.webp" % i))
        wait_push(s, i + 1)
        row = logs(s)[i]
        eq(row[6], "spoonacular", "%s: Spoonacular answered instead" % fixture)
        eq(json.loads(row[4])[0]["name"], "pizza", "its item")
    files = [r for r in lib.mock_requests("spoonacular") if r["path"] == "/food/images/analyze"]
    eq(len(files), 3, "three image uploads")
    ok("multipart/form-data; boundary=" in files[0]["headers"].get("Content-Type", ""), "multipart upload")


def pending(sub):
    rows = lib.sql("SELECT id, status FROM analyses WHERE " + c.user_where(sub) + " ORDER BY id DESC LIMIT 1")
    return int(rows[0][0]), rows[0][1]


@test
def low_confidence_photo_confirmed():
    s = new_user("confirm")
    lib.mock_script("gemini", fixture="gemini_low_confidence", times=1)
    send(s, image_url=fresh("unsure.jpg"))
    push = wait_push(s)[0]
    aid, status = pending(s)
    eq(status, "pending", "waits for the user")
    eq(len(logs(s)), 0, "not logged yet")
    eq(len(dig(push, "data.content.messages")), 1, "one bubble, like a text guess: %r" % texts(push))
    buttons = [b for m in dig(push, "data.content.messages") for b in m.get("buttons", [])]
    eq([b["payload"]["payload"] for b in buttons], ["confirm:%d" % aid, "cancel:%d" % aid], "the two payloads")
    eq(buttons[0]["type"], "dynamic_block_callback", "callback buttons")
    eq(buttons[0]["headers"]["X-Caloria-Token"], lib.conf_get("manychat", "webhook_token"),
       "the callback authenticates like ManyChat's own requests")
    stored = lib.sql("SELECT payload FROM jobs WHERE kind = 'push' AND payload LIKE %s" % q("%confirm:" + str(aid) + "%"))
    ok(stored and "X-Caloria-Token" not in stored[0][0], "the token is not stored with the push")
    doc = c.say(s, payload="confirm:%d" % aid)
    eq(c.st(doc), "food_logged", "confirmed")
    eq(dig(doc, "caloria.analysis.id"), aid, "that analysis")
    eq(len(logs(s)), 1, "logged once")
    eq(pending(s)[1], "logged", "analysis logged")
    eq(c.st(c.say(s, payload="confirm:%d" % aid)), "error", "a second confirm changes nothing")
    eq(len(logs(s)), 1, "still one log")


@test
def low_confidence_photo_cancelled():
    s = new_user("cancel")
    lib.mock_script("gemini", fixture="gemini_low_confidence", times=1)
    send(s, image_url=fresh("unsure2.jpg"))
    wait_push(s)
    aid, _ = pending(s)
    doc = c.say(s, payload={"payload": "cancel:%d" % aid})
    ok(c.st(doc) != "food_logged", "not logged")
    eq(pending(s)[1], "cancelled", "analysis cancelled")
    eq(len(logs(s)), 0, "nothing logged")


@test
def voice_note_logged_with_transcript():
    s = new_user("voice")
    audio = food_logs_metric("audio")
    send(s, audio_url=fresh("voice.ogg"))
    push = wait_push(s)[0]
    ok('"una manzana"' in texts(push), "transcript echoed: %r" % texts(push))
    ok(food_logs_metric("audio") >= audio + 1, "counted as an audio food log")
    rows = logs(s)
    eq(rows[0][1], "audio", "source audio")
    eq(json.loads(rows[0][4])[0]["name"].lower()[:7], "manzana", "parsed by the text parser")
    eq(lib.sql("SELECT transcript FROM analyses WHERE " + c.user_where(s))[0][0], "una manzana", "transcript stored")
    req = json.loads([r for r in lib.mock_requests("google_speech")][-1]["body"])
    eq(dig(req, "config.encoding"), "OGG_OPUS", "Telegram voice notes are Opus")
    eq(dig(req, "config.sampleRateHertz"), 48000, "at 48 kHz")
    eq(dig(req, "config.languageCode"), "es-AR", "Spanish user")


def speech_says(transcript):
    lib.mock_script("google_speech", times=1, json={"results": [{"alternatives": [
        {"transcript": transcript, "confidence": 0.9}], "languageCode": "es-ar"}], "totalBilledTime": "2s"})


@test
def voice_guess_asked_in_one_bubble():
    """A voice note the reader only guesses is asked about like a text guess: one message (what was heard,
    what was understood, the question) with the confirm and cancel buttons; confirming logs it."""
    s = new_user("voice-guess")
    speech_says("milaneza con pure")
    send(s, audio_url=fresh("guess.ogg"))
    push = wait_push(s)[0]
    aid, status = pending(s)
    eq(status, "pending", "waits for the user")
    msgs = dig(push, "data.content.messages")
    eq(len(msgs), 1, "one bubble: %r" % texts(push))
    lines = msgs[0]["text"].split("\n")
    eq(lines[0], '🎤 Entendí: "milaneza con pure"', "what was heard first")
    ok(lines[1].startswith("milanesa") and "milaneza → milanesa" in lines[1], "what was understood: %r" % lines[1])
    ok(lines[2].startswith("Calculo unas ") and lines[2].endswith("¿Lo anoto? También podés describirlo con palabras."),
       "the question: %r" % lines[2])
    eq([b["payload"]["payload"] for b in msgs[0].get("buttons", [])], ["confirm:%d" % aid, "cancel:%d" % aid],
       "confirm and cancel on that bubble")
    eq(len(logs(s)), 0, "not logged yet")
    eq(c.st(c.say(s, payload="confirm:%d" % aid)), "food_logged", "confirmed")
    eq(logs(s)[0][1], "audio", "logged as a voice note")


@test
def voice_without_food_in_one_bubble():
    s = new_user("voice-none")
    speech_says("hola qué tal")
    send(s, audio_url=fresh("chat.ogg"))
    msgs = dig(wait_push(s)[0], "data.content.messages")
    eq([m["text"] for m in msgs], ['🎤 Entendí: "hola qué tal"\nNo reconocí ningún alimento 🤔 ¿Me contás qué comiste, '
                                   'como "2 huevos y una tostada"?'], "what was heard and the answer, one bubble")
    eq(len(logs(s)), 0, "nothing logged")


@test
def voice_in_english_and_gemini_fallback():
    s = new_user("voice-en", locale="en_US")
    lib.mock_script("google_speech", fixture="speech_en", times=1)
    send(s, media_url=fresh("note.oga"))
    wait_push(s)
    eq(dig(json.loads(lib.mock_requests("google_speech")[-1]["body"]), "config.languageCode"), "en-US", "English")
    ok("banana" in logs(s)[0][4], "logged from the English transcript")
    # Speech hears nothing: Gemini transcribes instead.
    lib.mock_script("google_speech", fixture="speech_empty", times=1)
    lib.mock_script("gemini", fixture="gemini_transcript", times=1)
    send(s, audio_url=fresh("second.ogg"))
    push = wait_push(s, 2)[1]
    ok("Dos huevos revueltos y una tostada" in texts(push), "Gemini's transcript echoed")
    eq(logs(s)[1][6], "gemini", "provider")


@test
def unknown_text_food_completed_by_lookup():
    s = new_user("lookup")
    lib.mock_script("gemini", fixture="gemini_lookup", times=1)
    doc = c.say(s, "2 huevos y un xoconostle")
    eq(c.st(doc), "food_logged", "the eggs are logged at once")
    ok("xoconostle" in doc["message"] and "🔎" in doc["message"], "says it is looking up the rest")
    first = float(dig(doc, "caloria.analysis.total.kcal"))
    push = wait_push(s)[0]
    ok("xoconostle" in texts(push), "completion pushed: %r" % texts(push))
    rows = logs(s)
    eq(len(rows), 1, "the same log was completed")
    eq(float(rows[0][5]), round(first + 50.0, 1), "its total grew by the looked-up item")
    items = json.loads(rows[0][4])
    ok(all(i["matched"] for i in items), "every item matched now")
    eq(float(c.scalar("SELECT total_calories FROM daily_stats WHERE " + c.user_where(s))), float(rows[0][5]),
       "the day's total fixed in the same transaction")


@test
def lookup_that_finds_nothing_says_so():
    s = new_user("lookup-none")
    # A name of this run only, so no earlier run's answer sits in the response cache.
    food = "zz" + "".join(chr(ord("a") + int(ch, 16)) for ch in c.RUN_TAG)
    lib.mock_script("gemini", json={"candidates": [{"content": {"parts": [{"text": '{"items": [{"name": "%s", '
                                                                              '"grams": 0, "kcal": 0}]}' % food}]},
                                                    "finishReason": "STOP"}]}, times=1)
    lib.mock_script("spoonacular", path="/recipes/parseIngredients", json=[], times=1)
    doc = c.say(s, "2 huevos y un " + food)
    eq(c.st(doc), "food_logged", "the eggs are logged")
    push = wait_push(s)[0]
    ok(food in texts(push) and "No pude encontrar" in texts(push), "says what was left out: %r" % texts(push))
    rows = lib.sql("SELECT state FROM jobs WHERE kind = 'lookup' AND " + c.user_where(s))
    eq(rows, [["failed"]], "the look-up failed once, without retries")
    eq(len(logs(s)), 1, "the meal stays logged")


@test
def hung_and_oversized_provider_answers_are_survived():
    # Gemini hangs (cut by http_client.timeout_ms), Spoonacular answers a body over the response cap: the
    # first attempt fails for a passing reason, the job is retried and the next attempt is logged.
    s = new_user("hang")
    lib.mock_script("gemini", fail="hang", times=1)
    lib.mock_script("spoonacular", path="/food/images/analyze", text="x" * (5 << 20), times=1)
    send(s, image_url=fresh("hang.jpg"))
    rows = wait_jobs_end(s, 60)
    eq(rows[0][1], "done", "logged in the end")
    eq(int(rows[0][2]), 2, "on the second attempt")
    eq(logs(s)[0][6], "gemini", "by Gemini once it answered")
    wait_push(s)


@test
def bad_media_fail_with_a_friendly_push():
    s = new_user("badmedia")
    max_image = int(lib.conf_get("media", "max_image_bytes") or 10485760)
    send(s, image_url=MEDIA + "/huge.jpg?bytes=%d" % (max_image + 1))
    send(s, image_url=MEDIA + "/page.jpg?ct=text/html")
    lib.mock_script("media", path="/loop.jpg", status=302, headers={"Location": MEDIA + "/loop.jpg"})
    send(s, image_url=MEDIA + "/loop.jpg")
    rows = wait_jobs_end(s)
    eq([r[1] for r in rows], ["failed"] * 3, "all three fail")
    errors = sorted(r[3] for r in rows)
    ok(any("too large" in e for e in errors), "oversized: %r" % errors)
    ok(any("unsupported" in e for e in errors), "wrong Content-Type: %r" % errors)
    eq(len([r for r in lib.mock_requests("media") if r["path"] == "/loop.jpg"]), 4, "redirects bounded (3)")
    for p in wait_push(s, 3):
        ok("Perdón" in texts(p), "friendly failure text: %r" % texts(p))
    eq(logs(s), [], "nothing logged")


@test
def providers_down_end_in_a_friendly_push_and_the_breaker_opens():
    s = new_user("down")
    lib.mock_script("gemini", status=503, json={"error": {"code": 503, "status": "UNAVAILABLE"}})
    lib.mock_script("spoonacular", status=429, headers={"Retry-After": "1"}, json={"status": "failure"})
    log_before = len(lib.log_lines())
    send(s, image_url=fresh("down.jpg"))
    rows = wait_jobs_end(s, 90)
    eq(rows[0][1], "failed", "gave up")
    eq(int(rows[0][2]), int(lib.conf_get("jobs", "max_attempts") or 5), "after jobs.max_attempts tries")
    push = wait_push(s)[0]
    ok("Perdón" in texts(push), "friendly failure: %r" % texts(push))
    calls = len(gemini_calls())
    lib.mock_reset()
    ok(calls <= 5 * 3, "bounded calls to Gemini: %d" % calls)
    opened = [l for l in lib.log_lines()[log_before:] if "skipping it for" in l.get("msg", "")]
    ok(opened, "the breaker opened (logged by the runner)")
    # Fresh breakers for the suites after this one.
    lib.reload_pool()


@test
def runner_killed_mid_job_every_job_finishes_once():
    lib.mock_reset()
    users = [c.sid("kill%d" % i) for i in range(6)]
    for s in users:
        c.profile_user(s)
    lib.mock_script("gemini", delay_ms=1500, default=True, times=6)
    for i, s in enumerate(users):
        send(s, image_url=fresh("k%d.jpg" % i))
    lib.wait_for(lambda: int(c.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'media' AND state = 'running'")) > 0,
                 20, "jobs in flight")
    runner = lib.runner_pids()
    ok(len(runner) == 1, "one runner")
    os.kill(runner[0], signal.SIGKILL)
    lib.wait_for(lambda: [p for p in lib.runner_pids() if p not in runner], 20, "the runner restarted")
    for s in users:
        rows = wait_jobs_end(s, 60)
        eq([r[1] for r in rows], ["done"], "%s: its job done" % s)
        eq(len(logs(s)), 1, "%s: logged exactly once" % s)
        eq(int(c.scalar("SELECT COUNT(*) FROM analyses WHERE " + c.user_where(s))), 1, "%s: one analysis" % s)
        ok(len(wait_push(s)) >= 1, "%s: told" % s)


@test
def private_media_hosts_refused():
    lib.conf_set("media", "allow_private_hosts", "false")
    lib.reload_pool()
    try:
        lib.mock_reset()
        s = c.sid("ssrf")
        c.profile_user(s)
        send(s, image_url=MEDIA + "/local.jpg")
        send(s, image_url="http://10.1.2.3/internal.jpg")
        send(s, audio_url="http://[::1]:9/voice.ogg")
        rows = wait_jobs_end(s)
        eq([r[1] for r in rows], ["failed"] * 3, "all refused")
        ok(all("private" in r[3] for r in rows), "for the SSRF rule: %r" % [r[3] for r in rows])
        eq(lib.mock_requests("media"), [], "no request reached the loopback host")
        wait_push(s, 3)
    finally:
        lib.conf_set("media", "allow_private_hosts", "true")
        lib.reload_pool()


if __name__ == "__main__":
    sys.exit(lib.main())
