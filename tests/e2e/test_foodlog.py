#!/usr/bin/env python3
"""Food logging through the ManyChat webhook (SPEC §7.2, §8): a text meal is analysed, logged and added to
the day in one transaction; today, week and undo read and fix the same totals; nothing matched writes
nothing; repeated descriptions (served from the shared cache) give the same numbers.

Run by tests/run (environment described in lib.py). Data notes: `tostada` = toast, `manteca` = butter.
"""

import sys

import lib
from lib import test, eq, ok, dig
import chatlib as c
from chatlib import say, st, sid, scalar, count

EGGS = "2 huevos revueltos y una tostada con manteca"
CHICKEN = "200 g de pollo a la plancha"


def day_row(subscriber):
    rows = lib.sql("SELECT total_calories, total_protein, meals_logged, analyses_count, goal_calories,"
                   " DATE_FORMAT(local_date, '%%Y-%%m-%%d') FROM daily_stats WHERE %s" % c.user_where(subscriber))
    eq(len(rows), 1, "one daily_stats row")
    r = rows[0]
    return {"kcal": float(r[0]), "protein": float(r[1]), "meals": int(r[2]), "analyses": int(r[3]),
            "goal": int(r[4]), "date": r[5]}


def logs_sum(subscriber):
    return float(scalar("SELECT COALESCE(SUM(kcal), 0) FROM food_logs WHERE " + c.user_where(subscriber)))


@test
def log_eggs_and_toast():
    s = sid("eggs")
    c.profile_user(s)
    doc = say(s, EGGS)
    eq(st(doc), "food_logged", "status")
    items = dig(doc, "caloria.analysis.items")
    names = [i["name"] for i in items]
    eq(len(items), 3, "three items: %r" % names)
    ok(all(i["matched"] for i in items), "all matched")
    ok(any("huevo" in n for n in names) and any("tostada" in n for n in names) and
       any("manteca" in n for n in names), "items named: %r" % names)
    eggs = [i for i in items if "huevo" in i["name"]][0]
    eq(eggs["quantity"], 2, "two eggs")
    total = dig(doc, "caloria.analysis.total")
    ok(abs(sum(i["kcal"] for i in items) - total["kcal"]) < 0.2, "total = sum of items")
    ok(150 < total["kcal"] < 600, "plausible kcal %r" % total["kcal"])
    for key in ("id", "food_log_id", "source", "provider", "confidence"):
        ok(key in dig(doc, "caloria.analysis"), "analysis.%s" % key)
    eq(dig(doc, "caloria.analysis.source"), "text", "source")
    day = dig(doc, "caloria.day")
    eq(day["meals"], 1, "meals")
    eq(day["consumed_kcal"], round(total["kcal"]), "consumed")
    eq(day["goal_kcal"], 1770, "goal")
    eq(day["remaining_kcal"], 1770 - round(total["kcal"]), "remaining")
    row = day_row(s)
    eq(row["kcal"], total["kcal"], "daily_stats kcal")
    eq(row["protein"], total["protein_g"], "daily_stats protein")
    eq((row["meals"], row["analyses"], row["goal"], row["date"]), (1, 1, 1770, day["date"]), "daily_stats")
    log = lib.sql("SELECT source, raw_input, kcal, analysis_id, JSON_LENGTH(items) FROM food_logs WHERE id = %d"
                  % dig(doc, "caloria.analysis.food_log_id"))[0]
    eq(log, ["text", EGGS, "%.1f" % total["kcal"], "NULL", "3"], "food_logs row")
    # A text's analysis is recorded as its food log; analyses rows are only for photos waiting for confirmation.
    eq(dig(doc, "caloria.analysis.id"), None, "analysis.id of a text")
    eq(count("analyses", c.user_where(s)), 0, "no analyses row for a text")
    eq(count("activity_log", c.user_where(s) + " AND event = 'first_food_log'"), 1, "first_food_log event")
    text = dig(doc, "message")
    ok(str(round(total["kcal"])) in text and "1770" in text, "meal and day in the text: %r" % text)


@test
def today_second_log_undo_week():
    s = sid("day")
    c.profile_user(s)
    empty = say(s, "hoy")
    eq(st(empty), "day_summary", "today with nothing logged")
    eq(dig(empty, "caloria.day.meals"), 0, "no meals")
    first = dig(say(s, EGGS), "caloria.analysis.total.kcal")
    doc = say(s, "hoy")
    eq(st(doc), "day_summary", "today")
    eq(dig(doc, "caloria.day.consumed_kcal"), round(first), "today shows the log")
    second_doc = say(s, CHICKEN)
    eq(st(second_doc), "food_logged", "second log")
    second = dig(second_doc, "caloria.analysis.total.kcal")
    ok(second > 200, "200 g of chicken counted: %r" % second)
    eq(dig(second_doc, "caloria.day.meals"), 2, "two meals")
    eq(dig(second_doc, "caloria.day.consumed_kcal"), round(first + second), "adds up")
    row = day_row(s)
    eq((row["meals"], row["analyses"]), (2, 2), "counts")
    ok(abs(row["kcal"] - (first + second)) < 0.05, "stored total %r" % row["kcal"])
    eq(row["kcal"], logs_sum(s), "daily_stats equals the sum of food_logs")
    eq(count("activity_log", c.user_where(s) + " AND event = 'first_food_log'"), 1, "first_food_log once")

    week = say(s, "semana")
    eq(st(week), "week_summary", "week")
    days = dig(week, "caloria.week.days")
    eq(len(days), 1, "only the days since sign-up (today)")
    eq(days[-1]["date"], row["date"], "ends today")
    ok(all(d["goal_kcal"] == 1770 for d in days), "goal on every day")
    ok(all(a["date"] < b["date"] for a, b in zip(days, days[1:])), "oldest first, consecutive")
    eq(dig(week, "caloria.week.average_kcal"), round(first + second), "average over logged days")
    eq(dig(week, "caloria.week.logged_days"), 1, "one logged day")
    eq(len(dig(week, "message").splitlines()), 3, "head, today's line, average")

    doc = say(s, "deshacer")
    eq(st(doc), "undone", "undo")
    eq(dig(doc, "caloria.day.meals"), 1, "one meal left")
    eq(dig(doc, "caloria.day.consumed_kcal"), round(first), "totals fixed")
    row = day_row(s)
    eq((row["meals"], row["kcal"]), (1, first), "stored totals fixed")
    eq(row["kcal"], logs_sum(s), "still equal to the logs")
    eq(row["analyses"], 2, "analyses still counted (the gate counts work done)")
    eq(st(say(s, payload="undo")), "undone", "undo payload removes the first")
    doc = say(s, "undo")
    eq(st(doc), "nothing_to_undo", "nothing left")
    row = day_row(s)
    eq((row["meals"], row["kcal"]), (0, 0.0), "empty day")
    eq(count("food_logs", c.user_where(s)), 0, "no logs")


@test
def meal_before_profile_is_not_logged():
    # The worker analyses a meal before it reads the user; the one-round-trip food turn logs it only for a
    # complete profile without a quiz in progress, otherwise the ordinary turn goes on (§5.3 steps 5-6).
    s = sid("early-meal")
    doc = say(s, "2 huevos y una tostada", first_name="Eva", locale="es_AR")
    eq(st(doc), "quiz_question", "a new user's meal starts the quiz")
    eq(dig(doc, "caloria.quiz.step"), 1, "step 1")
    eq(scalar("SELECT first_name FROM users WHERE subscriber_id = " + c.q(s)), "Eva", "user created")
    eq(count("activity_log", c.user_where(s) + " AND event = 'first_message'"), 1, "first_message event")
    doc = say(s, "una manzana")
    eq(st(doc), "quiz_invalid_answer", "a meal during the quiz is an answer to the current question")
    eq(scalar("SELECT quiz_step FROM users WHERE subscriber_id = " + c.q(s)), "1", "still step 1")
    eq((count("food_logs", c.user_where(s)), count("daily_stats", c.user_where(s))), (0, 0), "nothing logged")
    ok(scalar("SELECT last_interaction >= UTC_TIMESTAMP() - INTERVAL 60 SECOND FROM users WHERE subscriber_id = "
              + c.q(s)) == "1", "the turn still touched the user")
    c.profile_user(s)
    doc = say(s, "una manzana", first_name="Eva María")
    eq(st(doc), "food_logged", "logged once the profile is complete")
    eq(scalar("SELECT first_name FROM users WHERE subscriber_id = " + c.q(s)), "Eva María",
       "the food turn refreshes the name too")
    eq(count("food_logs", c.user_where(s)), 1, "one log")


@test
def nothing_matched_writes_nothing():
    s = sid("unclear")
    c.profile_user(s)
    before = (count("food_logs"), count("analyses"), count("daily_stats", c.user_where(s)))
    doc = say(s, "xyzzy plugh qwerty")
    eq(st(doc), "food_unclear", "status")
    ok(all(not i["matched"] for i in dig(doc, "caloria.analysis.items")), "nothing matched")
    ok("food_log_id" not in dig(doc, "caloria.analysis"), "no log id")
    eq((count("food_logs"), count("analyses"), count("daily_stats", c.user_where(s))), before, "no rows")


@test
def a_guess_is_asked_not_logged():
    """Confidence below 0.5 (SPEC §7.1): a typo read as a food is shown and asked about, never logged silently;
    confirm:<id> logs exactly what was shown."""
    s = sid("guess")
    c.profile_user(s)
    before = count("food_logs", c.user_where(s))
    doc = say(s, "milaneza con pure")
    eq(st(doc), "food_pending_confirmation", "asked, not logged")
    ok(dig(doc, "caloria.analysis.confidence") < 0.5, "low confidence")
    ok("food_log_id" not in dig(doc, "caloria.analysis"), "no log id")
    eq(count("food_logs", c.user_where(s)), before, "nothing logged yet")
    items = dig(doc, "caloria.analysis.items")
    eq(items[0].get("assumed"), "milaneza \u2192 milanesa", "the assumption is in the analysis")
    text = " ".join(m.get("text", "") for m in dig(doc, "content.messages"))
    ok("milaneza" in text, "the reply shows what was assumed: %r" % text)
    aid = dig(doc, "caloria.analysis.id")
    eq(scalar("SELECT status FROM analyses WHERE id = %d" % aid), "pending", "stored as pending")
    payloads = [b.get("payload", {}).get("payload") for m in dig(doc, "content.messages")
                for b in m.get("buttons", [])]
    ok("confirm:%d" % aid in payloads and "cancel:%d" % aid in payloads, "confirm and cancel buttons: %r" % payloads)
    done = say(s, payload="confirm:%d" % aid)
    eq(st(done), "food_logged", "confirmed")
    eq(dig(done, "caloria.analysis.total.kcal"), dig(doc, "caloria.analysis.total.kcal"), "what was shown")
    eq(count("food_logs", c.user_where(s)), before + 1, "one log")
    eq(day_row(s)["kcal"], logs_sum(s), "daily_stats equals the logs")


@test
def same_text_same_numbers():
    a, b = sid("cache-a"), sid("cache-b")
    c.profile_user(a)
    c.profile_user(b)
    one = dig(say(a, "un café con leche y dos medialunas"), "caloria.analysis")
    two = dig(say(b, "Un  café con leche y dos medialunas"), "caloria.analysis")
    eq(two["items"], one["items"], "items")
    eq(two["total"], one["total"], "total")
    ok(one["total"]["kcal"] > 0, "counted")


@test
def english_meal_and_reply():
    s = sid("en-meal")
    c.profile_user(s, locale="en_US")
    doc = say(s, "1 cup of oatmeal with a banana")
    eq(st(doc), "food_logged", "status")
    eq(len([i for i in dig(doc, "caloria.analysis.items") if i["matched"]]), 2, "both matched")
    eq(dig(doc, "caloria.user.language"), "en", "English user")
    doc = say(s, "today")
    eq(st(doc), "day_summary", "today in English")


@test
def quiz_user_cannot_log_yet():
    s = sid("noprofile")
    doc = say(s, EGGS)
    eq(st(doc), "quiz_question", "no profile: the quiz starts instead")
    eq(count("food_logs", c.user_where(s)), 0, "nothing logged")


def pending_analysis(subscriber, kcal):
    """A low-confidence photo analysis waiting for confirmation, as the photo path stores it (§7.3)."""
    items = '[{"name": "milanesa", "quantity": 1, "unit": "unit", "grams": 150, "kcal": %.1f, "protein_g": 20,' \
            ' "carbs_g": 10, "fat_g": 12, "fiber_g": 1, "matched": true}]' % kcal
    lib.sql("INSERT INTO analyses (user_id, source, status, raw_input, items, kcal, protein_g, carbs_g, fat_g,"
            " fiber_g, sodium_mg, provider, confidence) SELECT id, 'image', 'pending', 'photo', %s, %.1f, 20, 10,"
            " 12, 1, 300, 'gemini', 0.40 FROM users WHERE subscriber_id = %s" % (c.q(items), kcal, c.q(subscriber)))
    return int(scalar("SELECT MAX(id) FROM analyses WHERE " + c.user_where(subscriber)))


@test
def confirm_and_cancel_pending():
    s, other = sid("confirm"), sid("confirm-other")
    c.profile_user(s)
    c.profile_user(other)
    a1, a2 = pending_analysis(s, 412.4), pending_analysis(s, 100.0)
    foreign = pending_analysis(other, 50.0)
    doc = say(s, payload="confirm:%d" % a1)
    eq(st(doc), "food_logged", "confirm logs it")
    eq(dig(doc, "caloria.analysis.id"), a1, "analysis id")
    eq(dig(doc, "caloria.analysis.source"), "image", "source")
    eq(dig(doc, "caloria.analysis.total.kcal"), 412.4, "total")
    eq(dig(doc, "caloria.day.consumed_kcal"), 412, "day")
    row = day_row(s)
    eq((row["kcal"], row["meals"], row["analyses"]), (412.4, 1, 0), "day totals; counted when made, not again")
    eq(scalar("SELECT CONCAT(status, ':', food_log_id) FROM analyses WHERE id = %d" % a1),
       "logged:%d" % dig(doc, "caloria.analysis.food_log_id"), "analysis logged and linked")
    eq(st(say(s, payload="confirm:%d" % a1)), "error", "a second confirm does nothing")
    eq(count("food_logs", c.user_where(s)), 1, "one log")
    doc = say(s, payload="cancel:%d" % a2)
    eq(scalar("SELECT status FROM analyses WHERE id = %d" % a2), "cancelled", "cancelled")
    eq(st(say(s, payload="confirm:%d" % a2)), "error", "a cancelled analysis cannot be confirmed")
    eq(st(say(s, payload="confirm:%d" % foreign)), "error", "another user's analysis")
    eq(scalar("SELECT status FROM analyses WHERE id = %d" % foreign), "pending", "left alone")
    eq(count("food_logs", c.user_where(s)), 1, "still one log")
    eq(day_row(s)["kcal"], logs_sum(s), "daily_stats equals the logs")


def age_of_last_interaction(subscriber):
    """Seconds between now and the user's stored last_interaction."""
    return int(scalar("SELECT TIMESTAMPDIFF(SECOND, last_interaction, UTC_TIMESTAMP()) FROM users"
                      " WHERE subscriber_id = %s" % c.q(subscriber)))


def set_last_interaction(subscriber, seconds_ago):
    lib.sql("UPDATE users SET last_interaction = UTC_TIMESTAMP() - INTERVAL %d SECOND WHERE subscriber_id = %s"
            % (seconds_ago, c.q(subscriber)))


@test
def last_interaction_written_at_most_once_a_minute():
    """SPEC §5.2: the user's row is written only when last_interaction is over 60 s old or something in it
    changes; a food log or any other message within the minute leaves it as it is."""
    s = sid("touch")
    c.profile_user(s)
    say(s, "hoy", first_name="Ana")  # the name is new: this one writes the row
    ok(age_of_last_interaction(s) < 30, "fresh after the quiz")
    for text in (CHICKEN, "hoy"):
        set_last_interaction(s, 30)
        doc = say(s, text, first_name="Ana")
        ok(st(doc) in ("food_logged", "day_summary"), "answered %r: %r" % (text, st(doc)))
        age = age_of_last_interaction(s)
        ok(30 <= age < 40, "%r within the minute left last_interaction alone (now %d s old)" % (text, age))
        set_last_interaction(s, 90)
        say(s, text, first_name="Ana")
        ok(age_of_last_interaction(s) < 10, "%r after a minute refreshed last_interaction" % text)
    set_last_interaction(s, 30)
    eq(st(say(s, CHICKEN, first_name="Ana María")), "food_logged", "logged with a new name")
    eq(scalar("SELECT first_name FROM users WHERE subscriber_id = %s" % c.q(s)), "Ana María", "name refreshed")
    ok(age_of_last_interaction(s) < 10, "a changed row is written with last_interaction")
    eq(count("users", "subscriber_id = %s" % c.q(s)), 1, "still one user")


if __name__ == "__main__":
    sys.exit(lib.main())
