#!/usr/bin/env python3
"""A first week with Caloria, played as two new users would (SPEC §5, §6.1, §8): a Spanish user who answers
the quiz with numbers in words and is asked for their country, and an English user who says "hi" and switches
language in the middle of the quiz. Seven days of meals, `hoy`/`today`, `semana`/`week`, undo, delete by
number, small talk, the reset confirmation and `estado`.

Every reply is asserted, and every reply is also checked for what a coach would never send: an ISO date,
"(s)", more than two bubbles, or lines that contradict each other (over the goal and under it at once).

Days pass by moving the user's rows one day into the past (food logs, day totals, sign-up, trial end), so
"today" is always the server's today and the week view sees a week of history.
"""

import re
import sys

import lib
from lib import test, eq, ok, dig
import chatlib as c
from chatlib import sid, q, st

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# The day line's verdicts (src/services/reply.c cal_reply_day_line): saying "over" and "left" at once is a
# contradiction, and so is any kcal verdict besides the day line.
OVER = {"es": ["te pasaste"], "en": ["over. tomorrow", "over, just about"]}
UNDER = {"es": ["te quedan", "te faltan", "muy cerca"], "en": [" left", "on track", "under today"]}
WEEKDAYS = {"es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
            "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]}
MONTHS = {"es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                 "octubre", "noviembre", "diciembre"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                 "October", "November", "December"]}


class User:
    def __init__(self, name, lang):
        self.sid = sid(name)
        self.lang = lang
        self.replies = 0

    def say(self, text=None, status=None, **fields):
        """One message; the reply passes the coach checks and is returned with its texts."""
        doc = c.say(self.sid, text, **fields)
        texts = [m["text"] for m in dig(doc, "content.messages")]
        what = "reply to %r" % (text if text is not None else fields)
        ok(1 <= len(texts) <= 2, "%s: at most two bubbles, got %d: %r" % (what, len(texts), texts))
        for t in texts:
            ok(not ISO_DATE.search(t), "%s: ISO date in %r" % (what, t))
            ok("(s)" not in t, "%s: '(s)' in %r" % (what, t))
        joined = "\n".join(texts)
        low = joined.lower()
        over = any(w in low for w in OVER[self.lang])
        under = any(w in low for w in UNDER[self.lang])
        ok(not (over and under), "%s: contradicting lines: %r" % (what, joined))
        if status is not None:
            eq(st(doc), status, "%s: status" % what)
        self.replies += 1
        return doc, texts

    def where(self):
        return "user_id = (SELECT id FROM users WHERE subscriber_id = %s)" % q(self.sid)

    def next_day(self):
        """Everything the user has moves one day into the past: tomorrow has come."""
        lib.sql("UPDATE food_logs SET local_date = local_date - INTERVAL 1 DAY, logged_at = logged_at - INTERVAL 1 DAY"
                " WHERE " + self.where())
        lib.sql("UPDATE daily_stats SET local_date = local_date - INTERVAL 1 DAY WHERE " + self.where() +
                " ORDER BY local_date")
        lib.sql("UPDATE users SET created_at = created_at - INTERVAL 1 DAY WHERE subscriber_id = " + q(self.sid))

    def premium(self):
        """Paid for a month, so a week of meals never meets the free plan's daily limit (SPEC §9.4)."""
        lib.sql("UPDATE users SET subscription_status = 'active', paid_until = UTC_TIMESTAMP() + INTERVAL 30 DAY"
                " WHERE subscriber_id = " + q(self.sid))


def day_line(lang, consumed, goal):
    """The one line that sets the day against its goal (four exclusive states)."""
    diff = consumed - goal
    if lang == "es":
        head = "Hoy llevás %d de %d kcal; " % (consumed, goal)
        if diff > 200:
            return head + "te pasaste por %d. Mañana es otro día." % diff
        if diff > 0:
            return head + "te pasaste por %d, casi justo en tu meta." % diff
        if diff >= -200:
            return head + "te quedan %d: ¡vas muy cerca de tu meta! 👌" % -diff
        return head + "te quedan %d." % -diff
    head = "Today: %d of %d kcal; " % (consumed, goal)
    if diff > 200:
        return head + "%d over. Tomorrow is another day." % diff
    if diff > 0:
        return head + "%d over, just about on your goal." % diff
    if diff >= -200:
        return head + "%d left: you're right on track! 👌" % -diff
    return head + "%d left." % -diff


def date_words(lang, iso):
    """"jueves 3 de diciembre" / "Thursday, December 3" for an ISO date, as the bot says it."""
    import datetime
    d = datetime.date.fromisoformat(iso)
    wd, mo = WEEKDAYS[lang][d.weekday()], MONTHS[lang][d.month - 1]
    return "%s %d de %s" % (wd, d.day, mo) if lang == "es" else "%s, %s %d" % (wd, mo, d.day)


def log_meal(u, text, items):
    """A meal: one bubble with the items in words, the meal and the day line; a tip only from meal 2 on."""
    doc, texts = u.say(text, status="food_logged")
    day = dig(doc, "caloria.day")
    lines = texts[0].split("\n")
    eq(lines[0], "Anotado ✅" if u.lang == "es" else "Logged ✅", "first line")
    analysis = dig(doc, "caloria.analysis.items")
    eq(len(lines), 1 + len(analysis) + 2, "a line per item, the meal, the day: %r" % texts[0])
    for line, item, words in zip(lines[1:], analysis, items):
        eq(line, "• %s: %d kcal" % (words, int(item["kcal"] + 0.5)), "item line")
    meal = dig(doc, "caloria.analysis.total.kcal")
    ok(lines[-2].startswith(("Esta comida: %d kcal" if u.lang == "es" else "This meal: %d kcal") % int(meal + 0.5)),
       "meal line %r" % lines[-2])
    eq(lines[-1], day_line(u.lang, day["consumed_kcal"], day["goal_kcal"]), "day line")
    if day["meals"] == 1:
        eq(len(texts), 1, "no tip on the day's first meal: %r" % texts)
    return doc


def check_today(u, entries):
    """`hoy`: numbered meals with local time, items and kcal, the day line and the macros."""
    doc, texts = u.say("hoy" if u.lang == "es" else "today", status="day_summary")
    day = dig(doc, "caloria.day")
    lines = texts[0].split("\n")
    eq(lines[0], ("Hoy, %s:" if u.lang == "es" else "Today, %s:") % date_words(u.lang, day["date"]), "head")
    listed = dig(doc, "caloria.day.entries")
    eq([e["items"] for e in listed], entries, "today's meals in order")
    for i, e in enumerate(listed):
        ok(re.fullmatch(r"\d\d:\d\d", e["time"]), "local time %r" % e["time"])
        eq(lines[1 + i], "%d. %s · %s · %d kcal" % (i + 1, e["time"], e["items"], e["kcal"]), "entry line")
    eq(sum(e["kcal"] for e in listed) - day["consumed_kcal"] in (-1, 0, 1), True, "entries add up to the day")
    eq(lines[1 + len(listed)], day_line(u.lang, day["consumed_kcal"], day["goal_kcal"]), "day line")
    ok(lines[2 + len(listed)].startswith("Proteínas " if u.lang == "es" else "Protein "), "macros vs targets")
    ok(re.search(r"\d+/\d+ g", lines[2 + len(listed)]), "macros as eaten/target: %r" % lines[2 + len(listed)])
    return doc


def spanish_quiz(u):
    doc, texts = u.say("hola", status="quiz_question", first_name="Lucía")
    ok(texts[0].startswith("¡Hola! Soy Caloria"), "welcome")
    ok("english" in texts[0], "the welcome says English is available: %r" % texts[0])
    ok(texts[1].startswith("1/6"), "question 1")
    answers = [("mujer", 2), ("treinta y cinco", 3), ("sesenta y ocho kilos", 4), ("uno sesenta y cinco", 5),
               ("moderado", 6)]
    for answer, step in answers:
        doc, texts = u.say(answer, status="quiz_question")
        eq(dig(doc, "caloria.quiz.step"), step, "after %r" % answer)
        ok(texts[0].startswith("%d/6" % step), "question %d in Spanish" % step)
    doc, texts = u.say("banana", status="quiz_invalid_answer")
    eq(dig(doc, "caloria.quiz.step"), 6, "an invalid goal keeps step 6")
    ok(texts[0].startswith("No entendí tu respuesta"), "says what it accepts")
    doc, texts = u.say("perder peso", status="quiz_question")
    eq(dig(doc, "caloria.quiz.step"), 7, "no request carried a timezone: the 7th question")
    eq(dig(doc, "caloria.quiz.field"), "timezone", "field")
    ok("país o ciudad" in texts[0], "asks for the country: %r" % texts[0])
    doc, texts = u.say("Narnia", status="quiz_invalid_answer")
    doc, texts = u.say("Argentina", status="quiz_completed")
    row = lib.sql("SELECT utc_offset_min, timezone_set, age, weight_kg, height_cm FROM users WHERE subscriber_id = "
                  + q(u.sid))[0]
    eq(row, ["-180", "1", "35", "68.0", "165.0"], "offset of Argentina, numbers in words stored")
    bmr, goal = c.energy("female", 35, 68, 165, "moderately_active", "lose_weight")
    ok("Metabolismo basal: %d kcal" % int(bmr + 0.5) in texts[0], "BMR rounded for people: %r" % texts[0])
    ok("Meta diaria: %d kcal" % goal in texts[0], "goal")
    ok("prueba gratis de 1 día ya empezó" in texts[0], "trial in words, singular: %r" % texts[0])
    return goal


def english_quiz(u):
    doc, texts = u.say("hi", status="quiz_question")
    eq(dig(doc, "caloria.user.language"), "en", "a first 'hi' starts the user in English")
    ok(texts[0].startswith("Hi! I'm Caloria"), "English welcome")
    ok("español" in texts[0], "the welcome says Spanish is available: %r" % texts[0])
    doc, texts = u.say("male", status="quiz_question")
    doc, texts = u.say("español", status="language_set")
    eq(texts, ["Listo, ahora te hablo en español.", texts[1]], "switch confirmed in Spanish")
    ok(texts[1].startswith("2/6 · ¿Cuántos años tenés?"), "the pending question again, in Spanish: %r" % texts[1])
    eq(dig(doc, "caloria.quiz.step"), 2, "still step 2")
    doc, texts = u.say("english", status="language_set")
    ok(texts[1].startswith("2/6 · How old are you?"), "and back in English: %r" % texts[1])
    for answer, step in [("forty", 3), ("eighty kilos", 4), ("5'11\"", 5), ("very active", 6)]:
        doc, texts = u.say(answer, status="quiz_question", timezone="UTC-05")
        eq(dig(doc, "caloria.quiz.step"), step, "after %r" % answer)
    doc, texts = u.say("build muscle", status="quiz_completed", timezone="UTC-05")
    eq(dig_or_none(doc, "caloria.quiz"), None, "a request with a timezone skips the 7th question")
    bmr, goal = c.energy("male", 40, 80, 180.3, "very_active", "build_muscle")
    ok("Daily goal: %d kcal" % goal in texts[0], "goal: %r" % texts[0])
    ok("free trial of 1 day has started" in texts[0], "singular day: %r" % texts[0])
    eq(lib.sql("SELECT utc_offset_min, timezone_set FROM users WHERE subscriber_id = " + q(u.sid))[0],
       ["-300", "0"], "offset from the requests, question never asked")
    return goal


def dig_or_none(doc, path):
    try:
        return dig(doc, path)
    except AssertionError:
        return None


@test
def spanish_first_week():
    u = User("week-es", "es")
    goal = spanish_quiz(u)
    u.premium()

    # day 1: breakfast and lunch, today's list, thanks
    log_meal(u, "2 huevos revueltos y una lata de coca cola", ["2 huevos revueltos (122 g)", "1 lata de coca-cola (355 ml)"])
    log_meal(u, "milanesa con puré", ["milanesa (150 g)", "puré (210 g)"])
    check_today(u, ["2 huevos revueltos, 1 lata de coca-cola", "milanesa, puré"])
    doc, texts = u.say("gracias", status="help")
    eq(texts, ["¡De nada! 😊 Cuando comas algo, contame y lo anoto."], "small talk, not food")
    u.next_day()

    # day 2: a meal too many, undone; the reply names what went
    log_meal(u, "un café con leche y dos medialunas", ["1 café con leche (240 ml)", "2 medialunas (80 g)"])
    doc = log_meal(u, "una empanada de carne", ["1 empanada de carne (89 g)"])
    after = dig(doc, "caloria.day.consumed_kcal")
    doc, texts = u.say("deshacer", status="undone")
    day = dig(doc, "caloria.day")
    eq(texts, ["Borré: 1 empanada de carne, 298 kcal.\n" + day_line("es", day["consumed_kcal"], goal)], "undo says what")
    ok(after - day["consumed_kcal"] in (297, 298, 299), "the day lost the empanada")
    check_today(u, ["1 café con leche, 2 medialunas"])
    u.next_day()

    # day 3: a big day goes over the goal: the day line says so, and nothing says otherwise
    log_meal(u, "3 porciones de pizza", ["3 porciones de pizza (321 g)"])
    log_meal(u, "milanesa con puré", ["milanesa (150 g)", "puré (210 g)"])
    doc = log_meal(u, "2 empanadas de carne", ["2 empanadas de carne (178 g)"])
    doc = log_meal(u, "un alfajor", ["1 alfajor (50 g)"])
    eq(dig(doc, "caloria.day.consumed_kcal") > goal, True, "over the goal")
    u.next_day()

    # day 4: delete by number
    log_meal(u, "200 g de pollo a la plancha", ["200 g de pollo a la plancha"])
    log_meal(u, "ensalada de lechuga, tomate y media palta",
             ["ensalada de lechuga (94 g)", "tomate (123 g)", "½ palta (101 g)"])
    doc, texts = u.say("borrar 1", status="undone")
    day = dig(doc, "caloria.day")
    eq(texts, ["Borré la comida 1 de hoy: 200 g de pollo a la plancha, 330 kcal.\n" +
               day_line("es", day["consumed_kcal"], goal)], "delete by number says what")
    check_today(u, ["ensalada de lechuga, tomate, ½ palta"])
    before = dig(doc, "caloria.day.consumed_kcal")
    doc, texts = u.say("cambiar 1 por 2 huevos revueltos", status="food_logged")
    day = dig(doc, "caloria.day")
    eq(texts, ["Corregí la comida 1: ahora 2 huevos revueltos, 182 kcal (antes ensalada de lechuga, tomate, ½ palta, "
               "199 kcal).\n" + day_line("es", day["consumed_kcal"], goal)], "an entry corrected by number")
    ok(before - day["consumed_kcal"] in (16, 17, 18), "the day moved by the difference")
    eq(lib.sql("SELECT ROUND(SUM(kcal)) FROM food_logs WHERE local_date = (SELECT MAX(local_date) FROM food_logs WHERE "
               + u.where() + ") AND " + u.where())[0][0],
       "%d" % round(float(lib.sql("SELECT total_calories FROM daily_stats WHERE " + u.where() +
                                  " ORDER BY local_date DESC LIMIT 1")[0][0])), "daily_stats equals the sum of the logs")
    check_today(u, ["2 huevos revueltos"])
    doc, texts = u.say("borrar 5", status="nothing_to_undo")
    eq(texts, ['Hoy no hay una comida número 5. Escribí "hoy" para ver la lista.'], "no such entry")
    doc, texts = u.say("cambiar 5 por una manzana", status="nothing_to_undo")
    eq(texts, ['Hoy no hay una comida número 5. Escribí "hoy" para ver la lista.'], "no such entry to correct")
    check_today(u, ["2 huevos revueltos"])
    u.next_day()

    # day 5: small talk all day long
    doc, texts = u.say("hola", status="help")
    eq(texts, ["¡Hola, Lucía! 👋 ¿Qué comiste? Contame y lo anoto."], "hello from a known user")
    for word in ["ok", "👍"]:
        doc, texts = u.say(word, status="help")
        eq(texts, ["👍 Cuando quieras, contame qué comiste."], "small talk %r" % word)
    doc, texts = u.say("chau", status="help")
    eq(texts, ["¡Hasta luego! 👋"], "bye")
    log_meal(u, "un café con leche y dos medialunas", ["1 café con leche (240 ml)", "2 medialunas (80 g)"])
    u.next_day()

    # day 6: reset asked, declined
    log_meal(u, "2 huevos revueltos y una lata de coca cola", ["2 huevos revueltos (122 g)", "1 lata de coca-cola (355 ml)"])
    doc, texts = u.say("reiniciar", status="help")
    ok(texts[0].startswith("¿Seguro que querés borrar tu perfil"), "asks first: %r" % texts)
    ok('"sí, reiniciar"' in texts[0], "says how to confirm on a channel without quick replies")
    eq(dig(doc, "caloria.confirm.confirm_payload"), "reset_confirm", "payload for flows")
    doc, texts = u.say(payload="reset_cancel", status="help")
    eq(texts, ["Listo, tu perfil queda como está."], "declined")
    eq(lib.sql("SELECT quiz_completed FROM users WHERE subscriber_id = " + q(u.sid))[0], ["1"], "profile kept")
    u.next_day()

    # day 7: the week, from sign-up, with weekday names; the plan with its end date
    log_meal(u, "milanesa con puré", ["milanesa (150 g)", "puré (210 g)"])
    doc, texts = u.say("semana", status="week_summary")
    days = dig(doc, "caloria.week.days")
    eq(len(days), 7, "seven days since sign-up")
    lines = texts[0].split("\n")
    eq(lines[0], "Tus últimos 7 días:", "head")
    for d, line in zip(days, lines[1:8]):
        name = date_words("es", d["date"]).split(" de ")[0]  # "jueves 3"
        if d["meals"] > 0:
            eq(line, "• %s: %d / %d kcal" % (name, d["consumed_kcal"], d["goal_kcal"]), "day line")
        else:
            eq(line, "• %s: sin registros" % name, "empty day")
    eq(dig(doc, "caloria.week.logged_days"), 7, "a log every day")
    eq(lines[8], "Promedio: %d kcal por día (7 días con registros)." % dig(doc, "caloria.week.average_kcal"), "average")
    doc, texts = u.say("estado", status="profile")
    ok("• Mujer, 35 años, 68 kg, 165 cm" in texts[0], "profile in plain numbers: %r" % texts[0])
    ok(re.search(r"• Plan: Premium activo hasta el \d+ de [a-z]+$", texts[0]), "plan with its end date in words: %r" % texts[0])
    doc, texts = u.say("ayuda", status="help")
    ok("• borrar 2:" in texts[0], "help names delete by number")
    ok("• premium:" in texts[0], "and premium, now that subscriptions exist")
    ok(u.replies >= 35, "a week of replies checked: %d" % u.replies)


@test
def english_first_week():
    u = User("week-en", "en")
    goal = english_quiz(u)
    u.premium()
    tz = {"timezone": "UTC-05"}

    log_meal(u, "2 scrambled eggs and a coke", ["2 scrambled eggs (122 g)", "1 coke (237 ml)"])
    log_meal(u, "1 cup of oatmeal with a banana", ["1 cup of oatmeal (234 g)", "1 banana (118 g)"])
    check_today(u, ["2 scrambled eggs, 1 coke", "1 cup of oatmeal, 1 banana"])
    doc, texts = u.say("thanks", status="help", **tz)
    eq(texts, ["You're welcome! 😊 When you eat something, tell me and I'll log it."], "thanks")
    u.next_day()

    log_meal(u, "a cheeseburger and fries", ["1 cheeseburger (127 g)", "fries (134 g)"])
    doc, texts = u.say("undo", status="undone", **tz)
    day = dig(doc, "caloria.day")
    eq(texts, ["Removed: 1 cheeseburger, fries, 764 kcal.\n" + day_line("en", day["consumed_kcal"], goal)],
       "undo says what")
    doc, texts = u.say("undo", status="nothing_to_undo", **tz)
    eq(texts, ["There is nothing to undo today."], "nothing left")
    u.next_day()

    log_meal(u, "a slice of pizza", ["1 slice of pizza (107 g)"])
    log_meal(u, "an apple", ["1 apple (182 g)"])
    log_meal(u, "a glass of milk", ["1 glass of milk (240 ml)"])
    doc, texts = u.say("delete 2", status="undone", **tz)
    ok(texts[0].startswith("Removed meal 2 of today: 1 apple, 95 kcal."), "delete by number: %r" % texts)
    check_today(u, ["1 slice of pizza", "1 glass of milk"])
    u.next_day()

    # the language can change any day, and the replies follow it
    doc, texts = u.say("español", status="language_set", **tz)
    eq(texts, ["Listo, ahora te hablo en español."], "switch outside the quiz: one bubble")
    u.lang = "es"
    doc, texts = u.say("hoy", status="day_summary", **tz)
    eq(texts, ["Todavía no registraste nada hoy. Contame qué comiste."], "empty day in Spanish")
    doc, texts = u.say("language en", status="language_set", **tz)
    u.lang = "en"
    eq(texts, ["Done, I'll speak English from now on."], "back to English")
    log_meal(u, "grilled chicken with rice", ["grilled chicken (140 g)", "rice (158 g)"])
    for _ in range(3):
        u.next_day()
        log_meal(u, "a cheeseburger and fries", ["1 cheeseburger (127 g)", "fries (134 g)"])
        log_meal(u, "a cheeseburger and fries", ["1 cheeseburger (127 g)", "fries (134 g)"])
        log_meal(u, "a slice of pizza", ["1 slice of pizza (107 g)"])

    doc, texts = u.say("week", status="week_summary", **tz)
    days = dig(doc, "caloria.week.days")
    eq(len(days), 7, "a week since sign-up")
    lines = texts[0].split("\n")
    eq(lines[0], "Your last 7 days:", "head")
    logged = 0
    for d, line in zip(days, lines[1:8]):
        name = date_words("en", d["date"]).split(",")[0] + " " + str(int(d["date"][8:]))  # "Thursday 3"
        if d["meals"] > 0:
            logged += 1
            eq(line, "• %s: %d / %d kcal" % (name, d["consumed_kcal"], d["goal_kcal"]), "day line")
        else:
            eq(line, "• %s: nothing logged" % name, "empty day")
    eq(logged, 6, "six days with logs (the second day's meal was undone)")
    eq(lines[8], "Average: %d kcal a day (6 days with logs)." % dig(doc, "caloria.week.average_kcal"), "average")
    doc, texts = u.say("status", status="profile", **tz)
    ok("• Male, 40 years, 80 kg, 180.3 cm" in texts[0], "profile: %r" % texts[0])
    doc, texts = u.say("hello", status="help", **tz)
    eq(texts, ["Hi! 👋 What did you eat? Tell me and I'll log it."], "hello from a known user")


@test
def sign_up_day_week_has_no_days_before_it():
    u = User("week-new", "es")
    c.profile_user(u.sid)
    doc, texts = u.say("semana", status="week_summary")
    eq(len(dig(doc, "caloria.week.days")), 1, "only today")
    ok(texts[0].startswith("Tus días desde que empezaste, el "), "head names the sign-up day: %r" % texts[0])
    ok("Todavía no registraste comidas" in texts[0], "nothing logged yet")


@test
def drinks_in_ml():
    """What is drunk is said in ml from its container (a can is 12 fl oz, 355 ml, whatever it weighs); the
    analysis items keep their grams and add the ml; solids keep grams and counts."""
    u = User("drinks", "es")
    c.profile_user(u.sid)
    doc = log_meal(u, "una caña, una copa de vino y 2 huevos revueltos",
                   ["1 caña (200 ml)", "1 copa de vino (148 ml)", "2 huevos revueltos (122 g)"])
    eq([i.get("ml") for i in dig(doc, "caloria.analysis.items")], [200, 147.9, None], "ml of the drinks only")
    u.say("language en", status="language_set")
    u.lang = "en"
    doc = log_meal(u, "a can of coke and a pint of beer", ["1 can of coke (355 ml)", "1 pint of beer (473 ml)"])
    coke = dig(doc, "caloria.analysis.items")[0]
    eq((coke["grams"], coke["ml"]), (368, 354.9), "the can keeps SR24's grams and adds its volume")


@test
def timezone_question_of_a_retaken_quiz_never_logs_a_meal():
    """Back in the quiz at the timezone question (a retake with `quiz`, or `reiniciar` confirmed) an answer
    that reads as food is no meal: the question is asked again until a country or an offset answers it."""
    for how in ("quiz", "reset"):
        u = User("tz-" + how, "es")
        c.profile_user(u.sid)  # the form quiz never asks for the timezone
        if how == "quiz":
            u.say("quiz", status="quiz_question")
        else:
            u.say("reiniciar", status="help")
            u.say("sí, reiniciar", status="quiz_question")
        for answer in ["mujer", "30", "60", "165", "moderado"]:
            u.say(answer, status="quiz_question")
        doc, texts = u.say("perder peso", status="quiz_question")
        eq(dig(doc, "caloria.quiz.field"), "timezone", "%s: the timezone question" % how)
        logs = c.count("food_logs", c.user_where(u.sid))
        for food in ["pollo a la plancha", "2 huevos revueltos y una lata de coca cola", "una milanesa"]:
            doc, texts = u.say(food, status="quiz_invalid_answer")
            eq((dig(doc, "caloria.quiz.step"), dig(doc, "caloria.quiz.field")), (7, "timezone"),
               "%s: %r repeats the question" % (how, food))
            ok("país o ciudad" in texts[-1], "the question again: %r" % texts)
        eq(c.count("food_logs", c.user_where(u.sid)), logs, "%s: nothing logged" % how)
        doc, texts = u.say("Argentina", status="profile_updated" if how == "quiz" else "quiz_completed")
        ok(texts[0].startswith("Actualicé tu perfil.\n¡Listo! 🎉" if how == "quiz" else "¡Listo! 🎉"),
           "%s: the plan, in the same bubble as the update: %r" % (how, texts))
        ok("prueba gratis" not in texts[0], "%s: a retaken quiz does not start the trial again: %r" % (how, texts[0]))
        eq(lib.sql("SELECT utc_offset_min, timezone_set, quiz_step FROM users WHERE subscriber_id = " + q(u.sid))[0],
           ["-180", "1", "0"], "%s: the country answered it" % how)
        log_meal(u, "una milanesa", ["1 milanesa (150 g)"])


@test
def reset_confirmed_by_quick_reply_on_instagram():
    u = User("reset-ig", "es")
    c.profile_user(u.sid)
    doc, texts = u.say("reiniciar", status="help", channel="instagram")
    qr = dig(doc, "content.quick_replies")
    eq([x["caption"] for x in qr], ["Sí, reiniciar", "No, dejarlo"], "quick replies")
    eq([x["payload"]["payload"] for x in qr], ["reset_confirm", "reset_cancel"], "payloads")
    ok(all(x["type"] == "dynamic_block_callback" and x["url"].endswith("/webhook/manychat") and
           x["payload"]["id"] == u.sid for x in qr), "each calls the webhook back for this subscriber")
    eq(lib.sql("SELECT quiz_completed FROM users WHERE subscriber_id = " + q(u.sid))[0], ["1"], "nothing erased yet")
    doc, texts = u.say(payload=qr[0]["payload"]["payload"], status="quiz_question", channel="instagram")
    eq(texts[0], "Borré tu perfil. Empecemos de nuevo.", "erased once confirmed")
    eq([x["caption"] for x in dig(doc, "content.quick_replies")], ["Hombre", "Mujer", "Otro"], "quiz options")
    doc, texts = u.say("sí, reiniciar", status="quiz_question", channel="telegram")
    eq(dig_or_none(doc, "content.quick_replies"), None, "no quick replies on Telegram")
    ok("1️⃣ Hombre" in texts[1], "numbered options in the text instead")


sys.exit(lib.main())
