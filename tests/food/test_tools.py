#!/usr/bin/env python3
"""Tests of the meal-set tools: data/meal-reference (the reference kcal of each test meal) and
data/check-meals (the figures of caloria against them), the latter driven by a stand-in caloria whose
answers are known, so every figure it prints can be checked by hand.

Prints one line per test ("ok NAME" / "FAIL NAME: why") and ends with "N passed, M failed".
Python 3 standard library only.
"""

import os
import re
import subprocess
import sys
import tempfile

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEAL_REFERENCE = os.path.join(SRCDIR, "data", "meal-reference")
CHECK_MEALS = os.path.join(SRCDIR, "data", "check-meals")
HEADER = "text\tkcal\ttolerance\tclass\treference\tnote\n"

# The stand-in caloria: `caloria [--config F] food --json TEXT` answers from the table below (total kcal,
# confidence); a text starting with "crash" exits 3, and FAKE_CALORIA_BROKEN=1 makes it exit 1 as when the
# tables cannot be loaded.
FAKE_CALORIA = r'''#!/usr/bin/env python3
import json, os, sys
ANSWERS = {"a": (100, 0.9), "b": (130, 0.4), "c": (80, 0.8), "d": (0, 0.0), "e": (200, 0.3)}
if os.environ.get("FAKE_CALORIA_BROKEN") == "1":
    sys.stderr.write("tables: cannot open\n"); sys.exit(1)
text = sys.argv[-1]
if text.startswith("crash"):
    sys.exit(3)
kcal, conf = ANSWERS[text]
print(json.dumps({"confidence": conf, "items": [{"name": text, "grams": 10.0, "kcal": kcal, "matched": kcal > 0}],
                  "total": {"kcal": kcal}}))
'''

RESULTS = []


def check(name, cond, why=""):
    RESULTS.append(bool(cond))
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))


def run(args, env=None):
    p = subprocess.run([sys.executable] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def test_meal_reference(tmp):
    # 01123 egg 143 kcal/100 g, 09040 banana 89 kcal/100 g
    good = write(tmp, "good.tsv", "# comment\n" + HEADER +
                 "2 huevos\t143\t0.25\thousehold\t01123:100\t1 large = 50 g\n"
                 "a banana\t105\t0.25\thousehold\t09040:118\t\n")
    rc, out, _ = run([MEAL_REFERENCE, good])
    check("meal-reference accepts consistent rows", rc == 0 and "2 passed, 0 failed" in out, out)

    bad = write(tmp, "bad.tsv", HEADER +
                "wrong kcal\t150\t0.25\thousehold\t01123:100\t\n"
                "unknown id\t10\t0.25\thousehold\t99999:10\t\n"
                "class mismatch\t143\t0.15\tdish\t01123:100\t\n"
                "bad part\t143\t0.25\thousehold\t01123-100\t\n"
                "no energy\t0\t0.25\thousehold\t14121:200\t\n"
                "2 HUEVOS\t143\t0.25\thousehold\t01123:100\t\n")
    rc, out, _ = run([MEAL_REFERENCE, good, bad])
    check("meal-reference fails a wrong kcal", "sums to 143" in out, out)
    check("meal-reference fails an id SR24 lacks", "99999 is not in SR24" in out, out)
    check("meal-reference fails a tolerance that is not its class's", "does not match class" in out, out)
    check("meal-reference fails a malformed reference", "is not NDB:GRAMS" in out, out)
    check("meal-reference fails a meal without energy", "no energy" in out, out)
    check("meal-reference fails the same text twice across files", "same text as good.tsv" in out, out)
    check("meal-reference counts and exit status", rc == 1 and "2 passed, 6 failed" in out, out)

    rc, out, _ = run([MEAL_REFERENCE, write(tmp, "nohdr.tsv", "x\t1\t0.25\thousehold\t01123:1\t\n")])
    check("meal-reference wants the header", rc == 1 and "header must be" in out, out)

    fill = write(tmp, "fill.tsv", HEADER + "3 huevos\t0\t0.25\thousehold\t01123:150\t\n")
    rc, out, _ = run([MEAL_REFERENCE, "--fill", fill])
    with open(fill, encoding="utf-8") as f:
        filled = f.read()
    check("meal-reference --fill writes the kcal", rc == 0 and "3 huevos\t215\t" in filled, filled)

    rc, out, _ = run([MEAL_REFERENCE, "--eval", "01123:50+09040:118"])
    check("meal-reference --eval sums a reference", rc == 0 and out.strip() == "176.5", out)


def figures(out, label):
    """The numbers of one summary row of check-meals, as strings."""
    for line in out.splitlines():
        if line.startswith(label + " "):
            return re.findall(r"[0-9]+(?:\.[0-9]+)?", line)
    return None


def test_check_meals(tmp):
    fake = write(tmp, "caloria", FAKE_CALORIA)
    os.chmod(fake, 0o755)
    # a: 100 vs 100 (0 %, within, confident); b: 130 vs 100 (30 %, out of 0.25, unsure);
    # c: 80 vs 100 (20 %, within 0.35, confident); d: nothing found (100 %, out, unsure);
    # e: 200 vs 100 (100 %, out, unsure). Errors sorted: 0, 20, 30, 100, 100.
    meals = write(tmp, "meals.tsv", HEADER +
                  "a\t100\t0.15\texplicit\t01123:70\t\n"
                  "b\t100\t0.25\thousehold\t01123:70\t\n"
                  "c\t100\t0.35\tdish\t01123:70\t\n"
                  "d\t100\t0.35\tdish\t01123:70\t\n"
                  "e\t100\t0.35\tdish\t01123:70\t\n")
    rc, out, err = run([CHECK_MEALS, "--caloria", fake, "--data-dir", tmp, meals])
    check("check-meals runs", rc == 0 and "5 meals" in out, out + err)
    allrow = figures(out, "all")
    # meals, within n, within %, median, p90, misses unsure n/N and %, hits confident n/N and %
    check("check-meals overall figures", allrow == ["5", "2", "5", "40.0", "30.0", "100.0",
                                                   "3", "3", "100.0", "2", "2", "100.0"], allrow)
    dish = figures(out, "dish")
    check("check-meals per-class figures", dish == ["3", "1", "3", "33.3", "100.0", "100.0",
                                                    "2", "2", "100.0", "1", "1", "100.0"], dish)

    rc, out, _ = run([CHECK_MEALS, "--caloria", fake, "--data-dir", tmp, "--verbose", meals])
    misses = [l for l in out.splitlines() if l.startswith("  ")]
    check("check-meals --verbose lists the misses, worst first",
          len(misses) == 3 and "\tb\t" in misses[-1] and "conf 0.40" in misses[-1], misses)

    crash = write(tmp, "crash.tsv", HEADER + "a\t100\t0.15\texplicit\t01123:70\t\n"
                  "crash me\t100\t0.35\tdish\t01123:70\t\n")
    rc, out, _ = run([CHECK_MEALS, "--caloria", fake, "--data-dir", tmp, "--verbose", crash])
    check("a meal caloria fails on is a reported miss", rc == 0 and "failed on 1 meals" in out
          and "FAILED: exit status 3" in out, out)

    env = dict(os.environ, FAKE_CALORIA_BROKEN="1")
    rc, out, err = run([CHECK_MEALS, "--caloria", fake, "--data-dir", tmp, meals], env=env)
    check("check-meals exits 1 when caloria cannot load its tables", rc == 1 and "cannot open" in err, err)
    rc, _, err = run([CHECK_MEALS, "--caloria", os.path.join(tmp, "missing"), meals])
    check("check-meals exits 1 without a caloria to run", rc == 1 and "cannot run" in err, err)
    rc, _, err = run([CHECK_MEALS, "--caloria", fake, write(tmp, "junk.tsv", "hello\n")])
    check("check-meals exits 2 on a file that is not a meal file", rc == 2, err)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_meal_reference(tmp)
        test_check_meals(tmp)
    passed = sum(RESULTS)
    print("%d passed, %d failed" % (passed, len(RESULTS) - passed))
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
