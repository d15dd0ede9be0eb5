#!/usr/bin/env python3
"""The ManyChat conversation through nginx and the pool (SPEC §5, §6): the chat quiz in Spanish and in
English with the stored targets checked against §6.3, the form quiz in both shapes, invalid answers,
reset, language, authentication and input validation that write nothing, 64-bit ids, and hostile text
stored and echoed as plain text.

Run by tests/run (environment described in lib.py); each test uses subscriber ids unique to the run.
"""

import json
import sys

import lib
from lib import test, eq, ok, status, dig
import chatlib as c
from chatlib import say, st, sid, q, scalar, count


def chat_quiz(subscriber, locale, answers):
    """First message, then the six answers: 7 requests. Returns the last reply."""
    doc = say(subscriber, "hola" if locale.startswith("es") else "hello", first_name="Ana", locale=locale)
    eq(st(doc), "quiz_question", "first message starts the quiz")
    eq(dig(doc, "caloria.quiz.step"), 1, "step")
    eq(dig(doc, "caloria.quiz.total"), 6, "total")
    fields = ["gender", "age", "weight", "height", "activity_level", "goal"]
    for i, answer in enumerate(answers):
        eq(dig(doc, "caloria.quiz.field"), fields[i], "field of step %d" % (i + 1))
        # ManyChat sends the subscriber's timezone: the 7th question (the timezone) is not asked
        doc = say(subscriber, answer, timezone="UTC-03")
        if i < 5:
            eq(st(doc), "quiz_question", "after answer %d" % (i + 1))
            eq(dig(doc, "caloria.quiz.step"), i + 2, "next step")
    eq(st(doc), "quiz_completed", "sixth answer completes the quiz")
    return doc


def stored(subscriber, columns):
    rows = lib.sql("SELECT %s FROM users WHERE subscriber_id = %s" % (columns, q(subscriber)))
    eq(len(rows), 1, "one user row")
    return rows[0]


def events(subscriber):
    return sorted(r[0] for r in lib.sql("SELECT event FROM activity_log WHERE " + c.user_where(subscriber)))


@test
def chat_quiz_spanish():
    s = sid("quiz-es")
    doc = chat_quiz(s, "es_AR", ["hombre", "30", "70 kg", "1,75", "ligero", "perder peso"])
    bmr, goal = c.energy("male", 30, 70, 175, "lightly_active", "lose_weight")
    eq(dig(doc, "caloria.user.bmr"), bmr, "reply bmr")
    eq(dig(doc, "caloria.user.daily_calorie_goal"), goal, "reply goal")
    eq(dig(doc, "caloria.user.language"), "es", "language")
    eq(dig(doc, "caloria.user.subscription_status"), "trial", "trial started")
    ok(dig(doc, "caloria.user.trial_ends_at").endswith("Z"), "trial_ends_at is RFC 3339 UTC")
    ok(("%d kcal" % int(bmr + 0.5)) in dig(doc, "message") and str(goal) in dig(doc, "message"),
       "BMR (rounded for people) and goal in the text")
    row = stored(s, "bmr, daily_calorie_goal, gender, age, weight_kg, height_cm, activity_level, goal,"
                    " quiz_completed, quiz_step, subscription_status, trial_ends_at > UTC_TIMESTAMP(), first_name")
    eq(row, ["%.1f" % bmr, str(goal), "male", "30", "70.0", "175.0", "lightly_active", "lose_weight", "1", "0",
             "trial", "1", "Ana"], "stored profile")
    eq(events(s), ["first_message", "quiz_completed", "quiz_started"], "funnel events")


@test
def chat_quiz_english():
    s = sid("quiz-en")
    doc = chat_quiz(s, "en_US", ["Woman", "25 years", "60", "170 cm", "moderate", "maintain"])
    bmr, goal = c.energy("female", 25, 60, 170, "moderately_active", "maintain")
    eq(dig(doc, "caloria.user.language"), "en", "language from locale")
    eq(dig(doc, "caloria.user.bmr"), bmr, "reply bmr")
    eq(dig(doc, "caloria.user.daily_calorie_goal"), goal, "reply goal")
    row = stored(s, "bmr, daily_calorie_goal, language, gender, activity_level, goal")
    eq(row, ["%.1f" % bmr, str(goal), "en", "female", "moderately_active", "maintain"], "stored")
    spanish = say(sid("quiz-es-probe"), "ayuda", locale="es_AR")
    english = say(s, "help")
    ok(dig(spanish, "message") != dig(english, "message"), "help differs by language")


@test
def invalid_answer_then_valid():
    s = sid("quiz-invalid")
    say(s, "hola")
    doc = say(s, "banana")
    eq(st(doc), "quiz_invalid_answer", "status")
    eq(dig(doc, "caloria.quiz.step"), 1, "still step 1")
    ok(len(dig(doc, "content.messages")) >= 2, "accepted forms and the question again")
    eq(stored(s, "quiz_step, gender"), ["1", "NULL"], "nothing stored for an invalid answer")
    doc = say(s, "Mujer")
    eq(st(doc), "quiz_question", "valid answer moves on")
    eq(dig(doc, "caloria.quiz.step"), 2, "step 2")
    doc = say(s, "12")
    eq(st(doc), "quiz_invalid_answer", "age 12 is out of range")
    eq(stored(s, "quiz_step, gender, age"), ["2", "female", "NULL"], "progress kept in the database")


@test
def form_quiz_object():
    s = sid("form-obj")
    doc = say(s, quiz={"gender": "female", "age": 40, "weight_kg": 65.5, "height_cm": 160, "activity_level":
                       "light", "goal": "maintain_weight", "first_name": "Lu", "target_weight_kg": 60,
                       "meals_per_day": 4})
    eq(st(doc), "quiz_completed", "status")
    bmr, goal = c.energy("female", 40, 65.5, 160, "lightly_active", "maintain")
    eq(stored(s, "bmr, daily_calorie_goal, first_name, target_weight_kg, meals_per_day, quiz_completed"),
       ["%.1f" % bmr, str(goal), "Lu", "60.0", "4", "1"], "stored")


@test
def form_quiz_message_text():
    s = sid("form-msg")
    data = {"quiz_data": {"gender": "male", "age": "35", "weight": "80 kg", "height": "1.80", "activity_level":
                          "sedentary", "goal": "build_muscle"}}
    doc = say(s, message_type="quiz_response", message_text=json.dumps(data))
    eq(st(doc), "quiz_completed", "status")
    bmr, goal = c.energy("male", 35, 80, 180, "sedentary", "build_muscle")
    eq(stored(s, "bmr, daily_calorie_goal, goal"), ["%.1f" % bmr, str(goal), "build_muscle"], "stored")


@test
def form_quiz_invalid_stores_nothing():
    s = sid("form-bad")
    doc = say(s, quiz={"gender": "male", "weight": 5000, "height": 175, "activity_level": "moderate",
                       "goal": "lose"})
    eq(st(doc), "quiz_invalid_answer", "status")
    bad = sorted(e["field"] for e in dig(doc, "caloria.quiz.errors"))
    eq(bad, ["age", "weight"], "missing and invalid fields listed")
    ok("age" in dig(doc, "message") and "weight" in dig(doc, "message"), "fields named in the text")
    eq(stored(s, "quiz_completed, weight_kg, bmr, subscription_status"), ["0", "NULL", "NULL", "none"],
       "nothing stored")
    r = c.webhook({"id": s, "message_type": "quiz_response", "message_text": "{not json"})
    status(r, 400, "unreadable quiz_response")


@test
def reset_clears_profile():
    s = sid("reset")
    c.profile_user(s)
    doc = say(s, "Reiniciar")
    eq(st(doc), "help", "reset asks first")
    eq(dig(doc, "caloria.confirm.confirm_payload"), "reset_confirm", "confirmation payload")
    eq(stored(s, "quiz_completed"), ["1"], "nothing erased before the confirmation")
    doc = say(s, payload="reset_confirm")
    eq(st(doc), "quiz_question", "confirmed reset restarts the quiz")
    eq(dig(doc, "caloria.quiz.step"), 1, "from step 1")
    eq(dig(doc, "caloria.user.quiz_completed"), False, "reply")
    eq(stored(s, "quiz_completed, quiz_step, bmr, gender, subscription_status"), ["0", "1", "NULL", "NULL", "trial"],
       "profile cleared, subscription kept")


@test
def language_switch():
    s = sid("lang")
    c.profile_user(s)
    doc = say(s, "english")
    eq(st(doc), "language_set", "status")
    eq(dig(doc, "caloria.user.language"), "en", "reply")
    eq(stored(s, "language"), ["en"], "stored")
    en_help = dig(say(s, "help"), "message")
    doc = say(s, payload={"payload": "set_language:es"})
    eq(st(doc), "language_set", "payload form")
    eq(stored(s, "language"), ["es"], "stored")
    ok(dig(say(s, "ayuda"), "message") != en_help, "help follows the language")


@test
def status_and_help_commands():
    s = sid("status")
    c.profile_user(s)
    doc = say(s, "¡Estado!")
    eq(st(doc), "profile", "status command")
    ok("1770" in dig(doc, "message"), "goal in the profile text")
    eq(st(say(s, "?")), "help", "help")
    eq(st(say(s, payload="new_food_log")), "help", "new_food_log payload")
    fresh = sid("status-new")
    doc = say(fresh, "estado")
    eq(st(doc), "profile", "status before the quiz")
    eq(dig(doc, "caloria.user.quiz_completed"), False, "no profile yet")


@test
def bad_token_writes_nothing():
    before = (count("users"), count("activity_log"))
    body = {"id": sid("badtoken"), "text": "hola"}
    for headers in ({"X-Caloria-Token": "wrong"}, {"Authorization": "Bearer wrong"}, {}):
        h = {"Content-Type": "application/json"}
        h.update(headers)
        r = lib.post("/webhook/manychat", body=json.dumps(body), headers=h)
        status(r, 401, "token %r" % headers)
        doc = r.json()
        eq(dig(doc, "error.code"), "unauthorized", "error code")
        eq(doc.get("version"), "v2", "v2 block on errors")
    eq((count("users"), count("activity_log")), before, "no rows written")
    r = lib.post("/webhook/manychat", body=json.dumps(body), headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + lib.conf_get("manychat", "webhook_token")})
    status(r, 200, "Bearer form accepted")


@test
def invalid_input_writes_nothing():
    before = (count("users"), count("activity_log"), count("food_logs"))
    cases = [
        ("{not json", "invalid_json", None),
        ({"text": "hola"}, "validation_error", "id"),
        ({"id": "", "text": "hola"}, "validation_error", "id"),
        ({"id": "a b", "text": "hola"}, "validation_error", "id"),
        ({"id": "x" * 51, "text": "hola"}, "validation_error", "id"),
        ({"id": 12.5, "text": "hola"}, "validation_error", "id"),
        ({"id": True, "text": "hola"}, "validation_error", "id"),
        ({"id": {"v": 1}, "text": "hola"}, "validation_error", "id"),
        ({"id": sid("inv"), "text": "x" * 1001}, "validation_error", "text"),
        ({"id": sid("inv"), "last_input_text": 5}, "validation_error", "text"),
        ({"id": sid("inv"), "first_name": "n" * 101}, "validation_error", "first_name"),
        ({"id": sid("inv"), "image_url": "ftp://example.com/a.jpg"}, "validation_error", "image_url"),
        ({"id": sid("inv"), "audio_url": "https://e.com/" + "a" * 2000}, "validation_error", "audio_url"),
        ({"id": sid("inv"), "quiz": "yes"}, "validation_error", "quiz"),
        ([1, 2], "invalid_json", None),
    ]
    for body, code, field in cases:
        r = c.webhook(body if isinstance(body, str) else json.dumps(body))
        status(r, 400, "%r" % (body if len(str(body)) < 80 else str(body)[:80]))
        doc = r.json()
        eq(dig(doc, "error.code"), code, "code for %r" % str(body)[:60])
        eq(dig(doc, "error.request_id"), r.header("X-Request-ID"), "request id")
        eq(st(doc), "error", "caloria.status")
        ok(dig(doc, "content.messages.0.text"), "apology text")
        if field:
            eq(dig(doc, "error.details.field"), field, "field named")
    # Spanish by default, English when the body's locale says so.
    es = c.webhook(json.dumps({"text": "hola"})).json()
    en = c.webhook(json.dumps({"text": "hello", "locale": "en_US"})).json()
    ok("could not read" in dig(en, "message").lower(), "English text: %r" % dig(en, "message"))
    ok(dig(es, "message") != dig(en, "message"), "Spanish differs")
    eq((count("users"), count("activity_log"), count("food_logs")), before, "nothing written")


@test
def numeric_64bit_id_stored_exactly():
    n = 9007199254740993  # 2^53 + 1: a double would turn it into ...992
    raw = '{"id": %d, "text": "hola", "first_name": "Big"}' % n
    r = c.webhook(raw)
    status(r, 200)
    eq(dig(r.json(), "caloria.user.subscriber_id"), str(n), "reply")
    eq(scalar("SELECT COUNT(*) FROM users WHERE subscriber_id = '%d'" % n), "1", "stored exactly")
    eq(scalar("SELECT COUNT(*) FROM users WHERE subscriber_id = '%d'" % (n - 1)), "0", "not rounded")
    r = c.webhook('{"subscriber_id": %d, "text": "hola"}' % n)
    status(r, 200, "subscriber_id alias")
    eq(dig(r.json(), "caloria.user.subscriber_id"), str(n), "same user via the alias")


@test
def hostile_text_is_plain_text():
    s = sid("hostile")
    sql_text = "'; DROP TABLE users; --"
    html = "<script>alert(1)</script>"
    c.profile_user(s)
    doc = say(s, sql_text, first_name=html, last_name=sql_text)
    eq(st(doc), "food_unclear", "not food")
    eq(stored(s, "first_name, last_name"), [html, sql_text], "names stored as given")
    ok(int(scalar("SELECT COUNT(*) FROM users")) > 0, "users table intact")
    text = "2 huevos " + html
    r = c.webhook({"id": s, "text": text})
    status(r, 200)
    ok(r.header("Content-Type").startswith("application/json"), "JSON, never HTML")
    ok(b"&lt;" not in r.body and b"&#" not in r.body, "no HTML escaping: the client gets plain text")
    doc = r.json()
    eq(st(doc), "food_logged", "the eggs are logged")
    eq(scalar("SELECT raw_input FROM food_logs WHERE id = %d" % dig(doc, "caloria.analysis.food_log_id")), text,
       "raw input stored byte for byte")


@test
def media_is_answered_at_once_and_analysed_later():
    s = sid("media")
    c.profile_user(s)
    media = lib.MOCK + "/media"
    for fields in ({"image_url": media + "/a.jpg"}, {"text": media + "/voice.ogg"},
                   {"audio_url": media + "/a.ogg", "text": "con aceite"}):
        doc = say(s, **fields)
        eq(st(doc), "processing", "media reply for %r" % fields)
        ok("analysis" not in dig(doc, "caloria"), "nothing analysed inside the webhook")
    eq(count("jobs", c.user_where(s) + " AND kind = 'media'"), 3, "one job per media message")


@test
def field_actions_when_enabled():
    s = sid("actions")
    c.profile_user(s)
    ok("actions" not in dig(say(s, "hoy"), "content"), "no actions by default")
    lib.conf_set("manychat", "field_actions", "true")
    try:
        lib.reload_pool()
        doc = say(s, "200 g de pollo a la plancha")
        acts = {a["field_name"]: a["value"] for a in dig(doc, "content.actions")}
        ok(all(a["action"] == "set_field_value" for a in dig(doc, "content.actions")), "set_field_value")
        ok(len(acts) <= 5, "at most 5")
        eq(acts.get("caloria_daily_goal"), 1770, "goal")
        eq(acts.get("caloria_kcal_today"), dig(doc, "caloria.day.consumed_kcal"), "kcal today")
        eq(acts.get("caloria_quiz_completed"), True, "quiz completed")
        eq(acts.get("caloria_subscription"), "trial", "subscription")
    finally:
        lib.conf_set("manychat", "field_actions", "false")
        lib.reload_pool()


@test
def channel_shapes():
    s = sid("channel")
    doc = say(s, "ayuda", channel="facebook")
    ok("type" not in dig(doc, "content"), "facebook omits content.type")
    eq(dig(doc, "content.quick_replies"), [], "facebook has quick_replies")
    doc = say(s, "ayuda", channel="instagram")
    eq(dig(doc, "content.type"), "instagram", "instagram type")
    doc = say(s, "ayuda")
    eq(dig(doc, "content.type"), lib.conf_get("manychat", "channel") or "telegram", "configured channel")
    ok("quick_replies" not in dig(doc, "content"), "no quick replies on telegram")


@test
def rate_limited_reply():
    s = sid("flood")
    limit = int(lib.conf_get("ratelimit", "webhook_per_min") or 100)
    last = None
    for _ in range(limit + 1):
        last = c.webhook({"id": s, "text": "ayuda", "locale": "en_US"})
        if last.status == 429:
            break
    eq(last.status, 429, "over the limit")
    ok(last.header("Retry-After"), "Retry-After")
    doc = last.json()
    eq(dig(doc, "error.code"), "rate_limited", "code")
    eq(st(doc), "rate_limited", "caloria.status")
    ok("too fast" in dig(doc, "message"), "v2 text: %r" % dig(doc, "message"))
    status(say(sid("flood-other"), "ayuda") and c.webhook({"id": sid("flood-other"), "text": "ayuda"}), 200,
           "another subscriber is not limited")


if __name__ == "__main__":
    sys.exit(lib.main())
