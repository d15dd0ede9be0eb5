#!/usr/bin/env python3
"""The photo side of the provider-isolation benchmark (SPEC §15), run by bench/run while wrk offers text food
logs at 200 req/s: sends N photo messages from N users with completed profiles, spread evenly over WITHIN
seconds (each photo distinct, so no cache answers), checks each webhook answered `processing` at once, then
waits until every photo's result has been pushed to ManyChat (the mock records each sendContent as it
arrives). Prints one machine-readable line:

    ISOLATION photos=N answered=N processing_p99_ms=… pushed=N last_push_s=… errors=…

Python standard library only.
"""

import argparse
import json
import threading
import time
import urllib.request


def post(base, token, body):
    req = urllib.request.Request(base + "/webhook/manychat", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "X-Caloria-Token": token})
    t0 = time.time()
    with urllib.request.urlopen(req, timeout=10) as r:
        doc = json.loads(r.read())
    return (time.time() - t0) * 1000.0, doc.get("caloria", {}).get("status")


def pushes(mock, subscribers):
    with urllib.request.urlopen(mock + "/__control/requests?service=manychat", timeout=10) as r:
        rows = json.loads(r.read())
    got = {}
    for row in rows:
        try:
            sub = str(json.loads(row.get("body") or "{}").get("subscriber_id"))
        except ValueError:
            continue
        if sub in subscribers and sub not in got:
            got[sub] = row["ts"]
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--mock", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--within", type=float, default=2.0)
    ap.add_argument("--deadline", type=float, default=15.0)
    ap.add_argument("--first-user", type=int, default=1)
    args = ap.parse_args()

    subs = ["bench-%d" % (args.first_user + i) for i in range(args.photos)]
    tag = "%x" % int(time.time() * 1000)
    results = [None] * args.photos
    start = time.time()

    def one(i):
        time.sleep(max(0.0, start + i * args.within / args.photos - time.time()))
        body = {"id": subs[i], "image_url": "%s/media/bench-%d.jpg?salt=%s-%d" % (args.mock, i, tag, i)}
        try:
            results[i] = post(args.base, args.token, body)
        except Exception as e:  # counted as an error below
            results[i] = (None, repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(args.photos)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_by = time.time() - start
    answered = [r for r in results if r and r[1] == "processing"]
    lat = sorted(r[0] for r in answered)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else -1
    got = {}
    while time.time() - start < args.deadline + 30:
        got = pushes(args.mock, set(subs))
        if len(got) == len(subs):
            break
        time.sleep(0.25)
    last = max(got.values()) - start if got else -1
    print("ISOLATION photos=%d answered=%d sent_within_s=%.2f processing_p99_ms=%.1f pushed=%d last_push_s=%.2f "
          "errors=%d" % (args.photos, len(answered), sent_by, p99, len(got), last, args.photos - len(answered)))


if __name__ == "__main__":
    main()
