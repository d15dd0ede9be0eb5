#!/usr/bin/env python3
"""One configurable mock of every external service Caloria talks to, for tests and the dev stack.

Services are told apart by the first path segment, so each `*api_base` key of the config points at
`http://127.0.0.1:PORT/<service>`:

    /manychat/...        ManyChat API (sendContent)            default: {"status": "success"}
    /mercadopago/...     MercadoPago (preapproval, payments)    default: realistic pending/approved objects
    /spoonacular/...     Spoonacular (image analyze, parse)     default: a small analysis
    /gemini/...          Gemini generateContent                 default: strict JSON with one item
    /google_speech/...   Google Speech-to-Text v1               default: one transcript
    /google_vision/...   Google Vision images:annotate          default: one label
    /media/<name>        media files for photo/voice tests      default: bytes typed by the extension

Every request (except the control endpoint) is appended as one JSON object per line to --log: time,
service, method, path, query, headers, body (text, or base64 with "body_b64" when not UTF-8).

Scripted responses and failure injection go through the control endpoint (JSON bodies):

    POST /__control/script   {"service", "method"?, "path"? | "path_prefix"?, "status"?, "headers"?,
                              "json"? | "text"? | "b64"? | "fixture"? (a recorded answer of FIXTURES),
                             "delay_ms"?, "times"? (default unlimited), "default"?: true (after
                             delay_ms, the usual answer instead of a scripted one),
                              "fail"?: "reset" | "hang"}
                             rules are tried in the order they were added; a rule with "times" expires
    POST /__control/reset    forget every rule and truncate the request log
    GET  /__control/requests?service=NAME    recorded requests as a JSON list
    GET  /__control/health   {"status": "ok"}

MercadoPago keeps resources with a state each, so a test can say what the API knows and watch Caloria
converge to it (tests/e2e/test_subscriptions.py):

    POST /__control/mercadopago  {"preapprovals"?: {ID: {...}}, "payments"?: {ID: {...}},
                                  "authorized_payments"?: {ID: {...}}, "down"?: {"KIND:ID": N},
                                  "strict"?: bool, "clear"?: bool}
                             resources are merged into the state (a resource's fields replace the stored
                             ones); "down" makes GETs of a resource (KIND: payment, preapproval,
                             authorized_payment) answer 500 N more times (-1: until changed); "strict": unknown
                             resources are 404 instead of the default objects; "clear" forgets everything
    GET  /__control/mercadopago  the state: {"preapprovals", "payments", "authorized_payments", "down",
                                  "created": [preapproval ids made by POST /preapproval, in order]}
POST /preapproval stores what it creates (status pending) and answers the same preapproval again for a
repeated X-Idempotency-Key.

Only the Python standard library is used; the server binds to loopback only.
"""

import argparse
import base64
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICES = ("manychat", "mercadopago", "spoonacular", "gemini", "google_speech", "google_vision", "media")

# The smallest valid files of each kind, so content sniffing on the Caloria side sees real headers.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////"
    "////////////////////////2wBDAf//////////////////////////////////////////////////////////////////"
    "////////////////////wAARCAABAAEDASIAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAA"
    "AAAAAAD/xAAUAQEAAAAAAAAAAAAAAAAAAAAA/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMRAD8AN//Z")
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
TINY_OGG = b"OggS" + b"\x00" * 60

MEDIA_TYPES = {
    ".jpg": ("image/jpeg", TINY_JPEG), ".jpeg": ("image/jpeg", TINY_JPEG), ".png": ("image/png", TINY_PNG),
    ".webp": ("image/webp", b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14),
    ".ogg": ("audio/ogg", TINY_OGG), ".oga": ("audio/ogg", TINY_OGG), ".mp3": ("audio/mpeg", b"ID3" + b"\x00" * 61),
    ".m4a": ("audio/mp4", b"\x00" * 64), ".wav": ("audio/wav", b"RIFF" + b"\x00" * 60),
    ".txt": ("text/plain", b"not media\n"),
}


class MercadoPagoState:
    """The MercadoPago mock's resources, their failure injection and the idempotency keys seen."""

    KINDS = {"preapproval": "preapprovals", "payment": "payments", "authorized_payment": "authorized_payments"}

    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        self.res = {"preapprovals": {}, "payments": {}, "authorized_payments": {}}
        self.down = {}
        self.strict = False
        self.idem = {}
        self.created = []

    def control(self, doc):
        with self.lock:
            if doc.get("clear"):
                self.clear()
            for table in self.res:
                for rid, fields in (doc.get(table) or {}).items():
                    cur = self.res[table].setdefault(str(rid), {"id": rid})
                    cur.update(fields)
            for key, n in (doc.get("down") or {}).items():
                if key.split(":", 1)[0] not in self.KINDS or not isinstance(n, int):
                    raise ValueError("down keys are KIND:ID with KIND one of " + ", ".join(self.KINDS))
                if n == 0:
                    self.down.pop(key, None)
                else:
                    self.down[key] = n
            if "strict" in doc:
                self.strict = bool(doc["strict"])

    def dump(self):
        with self.lock:
            out = {k: dict(v) for k, v in self.res.items()}
            out["down"] = dict(self.down)
            out["created"] = list(self.created)
            return out

    def respond(self, method, path, headers, body_json, now):
        """(status, content_type, object) when the state decides the answer, else None."""
        with self.lock:
            if method == "POST" and path.rstrip("/") == "/preapproval":
                key = headers.get("X-Idempotency-Key")
                if key and key in self.idem:
                    return 200, "application/json", dict(self.res["preapprovals"][self.idem[key]])
                # Unique across mock restarts too: the test database outlives them.
                pid = "2c93808%d%05d" % (int(time.time()), len(self.created) + 1)
                body = body_json if isinstance(body_json, dict) else {}
                obj = {"id": pid, "status": "pending", "external_reference": body.get("external_reference", ""),
                       "payer_email": body.get("payer_email", ""), "reason": body.get("reason", ""),
                       "auto_recurring": body.get("auto_recurring", {}), "date_created": now,
                       "init_point": "https://www.mercadopago.com.ar/subscriptions/checkout?preapproval_id=" + pid}
                self.res["preapprovals"][pid] = obj
                self.created.append(pid)
                if key:
                    self.idem[key] = pid
                return 201, "application/json", dict(obj)
            if method != "GET":
                return None
            for prefix, kind in (("/v1/payments/", "payment"), ("/preapproval/", "preapproval"),
                                 ("/authorized_payments/", "authorized_payment")):
                if path.startswith(prefix):
                    rid = path[len(prefix):].strip("/")
                    key = kind + ":" + rid
                    if key in self.down:
                        if self.down[key] > 0:
                            self.down[key] -= 1
                            if self.down[key] == 0:
                                del self.down[key]
                        return 500, "application/json", {"message": "internal_error", "status": 500}
                    obj = self.res[self.KINDS[kind]].get(rid)
                    if obj is not None:
                        return 200, "application/json", dict(obj)
                    if self.strict:
                        return 404, "application/json", {"message": "resource not found", "status": 404}
            return None


class State:
    """Rules and the request log, shared by the handler threads under one lock."""

    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.rules = []
        self.log_path = log_path
        self.counter = 0
        self.mp = MercadoPagoState()
        open(log_path, "a").close()

    def add_rule(self, rule):
        if rule.get("service") not in SERVICES:
            raise ValueError("service must be one of " + ", ".join(SERVICES))
        for key in ("status", "times", "delay_ms"):
            if key in rule and not isinstance(rule[key], int):
                raise ValueError(key + " must be an integer")
        if rule.get("fail") not in (None, "reset", "hang"):
            raise ValueError("fail must be reset or hang")
        if "fixture" in rule and rule["fixture"] not in FIXTURES:
            raise ValueError("unknown fixture " + str(rule["fixture"]))
        with self.lock:
            self.rules.append(dict(rule))

    def take_rule(self, service, method, path):
        """Returns the first live rule matching the request and consumes one of its uses."""
        with self.lock:
            for rule in self.rules:
                if rule["service"] != service:
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if "path" in rule and rule["path"] != path:
                    continue
                if "path_prefix" in rule and not path.startswith(rule["path_prefix"]):
                    continue
                if "times" in rule:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                return dict(rule)
        return None

    def reset(self):
        with self.lock:
            self.rules = []
            open(self.log_path, "w").close()

    def record(self, entry):
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def next_id(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def requests(self, service=None):
        with self.lock:
            with open(self.log_path, encoding="utf-8") as f:
                rows = [json.loads(line) for line in f if line.strip()]
        return [r for r in rows if service is None or r["service"] == service]


# Answers recorded from the real services (ids and long fields shortened), for scripts that name them with
# {"fixture": NAME}: what Caloria must tolerate beyond the happy path.
def _gemini_parts(parts, finish="STOP"):
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
            "usageMetadata": {"promptTokenCount": 1290, "candidatesTokenCount": 96, "totalTokenCount": 1386},
            "modelVersion": "gemini-2.5-flash"}


FIXTURES = {
    # A thinking model: a thought part first, then the JSON wrapped in a code fence and a sentence.
    "gemini_fenced": _gemini_parts([
        {"text": "The plate shows scrambled eggs and toast.", "thought": True},
        {"text": "Here is the analysis:\n```json\n{\"items\": [{\"name\": \"scrambled eggs\", \"grams\": 120, "
                 "\"kcal\": 180, \"protein_g\": 12, \"carbs_g\": 2, \"fat_g\": 14}, {\"name\": \"toast\", "
                 "\"grams\": 30, \"kcal\": 80, \"protein_g\": 3, \"carbs_g\": 15, \"fat_g\": 1}], "
                 "\"confidence\": 0.85}\n```\nLet me know if you need more."}]),
    # Cut by maxOutputTokens in the middle of the second item.
    "gemini_max_tokens": _gemini_parts([
        {"text": "{\"items\": [{\"name\": \"banana\", \"grams\": 118, \"kcal\": 105, \"protein_g\": 1.3, "
                 "\"carbs_g\": 27, \"fat_g\": 0.4}, {\"name\": \"app"}], "MAX_TOKENS"),
    "gemini_safety": {"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}]},
    "gemini_prompt_blocked": {"promptFeedback": {"blockReason": "OTHER"}, "usageMetadata": {"promptTokenCount": 1290}},
    "gemini_low_confidence": _gemini_parts([
        {"text": "{\"items\": [{\"name\": \"rice\", \"grams\": 150, \"kcal\": 195, \"protein_g\": 4, "
                 "\"carbs_g\": 42, \"fat_g\": 0.4}], \"confidence\": 0.3}"}]),
    "gemini_transcript": _gemini_parts([{"text": "Dos huevos revueltos y una tostada.\n"}]),
    "gemini_lookup": _gemini_parts([
        {"text": "{\"items\": [{\"name\": \"xoconostle\", \"grams\": 100, \"kcal\": 50, \"protein_g\": 1, "
                 "\"carbs_g\": 11, \"fat_g\": 0.2}], \"confidence\": 0.8}"}]),
    "gemini_garbage": _gemini_parts([{"text": "I think this is a plate of food, probably tasty!"}]),
    "speech_empty": {"totalBilledTime": "2s", "requestId": "8374659283746592837"},
    "speech_en": {"results": [{"alternatives": [{"transcript": "two scrambled eggs and a banana",
                                                 "confidence": 0.91}], "resultEndTime": "2.400s",
                               "languageCode": "en-us"}], "totalBilledTime": "3s"},
}


def gemini_text(payload):
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": json.dumps(payload)}]},
                            "finishReason": "STOP"}]}


def default_response(state, service, method, path, query, body_json):
    """The answer a healthy real service would give; returns (status, content_type, bytes)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000-03:00", time.gmtime(time.time() - 3 * 3600))
    if service == "manychat":
        return 200, "application/json", {"status": "success"}
    if service == "mercadopago":
        ref = (body_json or {}).get("external_reference", "") if isinstance(body_json, dict) else ""
        if method == "POST" and path.rstrip("/").endswith("/preapproval"):
            pid = "2c9380848%08d" % state.next_id()
            return 201, "application/json", {
                "id": pid, "status": "pending", "external_reference": ref,
                "init_point": "https://www.mercadopago.com.ar/subscriptions/checkout?preapproval_id=" + pid,
                "date_created": now}
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if "/v1/payments/" in path:
            return 200, "application/json", {"id": int(last) if last.isdigit() else last, "status": "approved",
                                              "date_approved": now, "transaction_amount": 4999.0,
                                              "currency_id": "ARS", "external_reference": ""}
        if "/authorized_payments/" in path:
            return 200, "application/json", {"id": last, "status": "approved", "preapproval_id": "",
                                              "debit_date": now, "transaction_amount": 4999.0,
                                              "currency_id": "ARS", "external_reference": ""}
        if "/preapproval/" in path:
            return 200, "application/json", {"id": last, "status": "authorized", "external_reference": "",
                                              "next_payment_date": now}
        return 404, "application/json", {"message": "resource not found", "status": 404}
    if service == "gemini":
        return 200, "application/json", gemini_text(
            {"items": [{"name": "banana", "grams": 118, "kcal": 105, "protein_g": 1.3, "carbs_g": 27,
                        "fat_g": 0.4}], "confidence": 0.9})
    if service == "spoonacular":
        if "images/analyze" in path:
            return 200, "application/json", {
                "category": {"name": "pizza", "probability": 0.9},
                "nutrition": {"recipesUsed": 10, "calories": {"value": 285, "unit": "calories"},
                              "fat": {"value": 10, "unit": "g"}, "protein": {"value": 12, "unit": "g"},
                              "carbs": {"value": 36, "unit": "g"}}}
        if "parseIngredients" in path:
            return 200, "application/json", [{"name": "banana", "amount": 1, "unit": "", "nutrition": {
                "weightPerServing": {"amount": 118, "unit": "g"},
                "nutrients": [{"name": "Calories", "amount": 105, "unit": "kcal"}]}}]
        return 404, "application/json", {"status": "failure", "code": 404, "message": "not found"}
    if service == "google_speech":
        return 200, "application/json", {"results": [{"alternatives": [
            {"transcript": "una manzana", "confidence": 0.93}]}]}
    if service == "google_vision":
        return 200, "application/json", {"responses": [{"labelAnnotations": [
            {"description": "Banana", "score": 0.95}]}]}
    if service == "media":
        params = urllib.parse.parse_qs(query)
        ext = os.path.splitext(path)[1].lower()
        ctype, data = MEDIA_TYPES.get(ext, ("application/octet-stream", b"\x00" * 64))
        if "bytes" in params:
            n = max(0, min(int(params["bytes"][0]), 64 << 20))
            data = (data * (n // max(len(data), 1) + 1))[:n]
        if "salt" in params:
            # Distinct bytes of the same kind (a JPEG ignores what follows its end marker), so tests can
            # tell analyses apart in a cache keyed by the bytes.
            data = data + params["salt"][0].encode()
        if "ct" in params:
            ctype = params["ct"][0]
        return 200, ctype, data
    return 404, "application/json", {"error": "unknown service"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "caloria-mockapi/1"

    def log_message(self, fmt, *args):  # the JSONL file is the log; keep stderr quiet
        pass

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, ctype, data, headers=None):
        if not isinstance(data, (bytes, bytearray)):
            data = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        raw = self.read_body()
        if url.path.startswith("/__control/"):
            return self.control(state, url, raw)
        parts = url.path.split("/", 2)
        service = parts[1] if len(parts) > 1 else ""
        path = "/" + (parts[2] if len(parts) > 2 else "")
        entry = {"ts": time.time(), "service": service, "method": self.command, "path": path,
                 "query": url.query, "headers": {k: v for k, v in self.headers.items()}}
        try:
            entry["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            entry["body_b64"] = base64.b64encode(raw).decode()
        entry["body_len"] = len(raw)
        state.record(entry)
        if service not in SERVICES:
            return self.send(404, "application/json", {"error": "unknown service " + service})
        rule = state.take_rule(service, self.command, path)
        if rule is not None and rule.get("default"):
            # Only slow: the usual answer after delay_ms (the provider-isolation bench).
            time.sleep(rule.get("delay_ms", 0) / 1000.0)
            rule = None
        if rule is not None:
            return self.scripted(rule)
        body_json = None
        if raw and "json" in (self.headers.get("Content-Type") or ""):
            try:
                body_json = json.loads(raw)
            except ValueError:
                body_json = None
        if service == "mercadopago":
            now = time.strftime("%Y-%m-%dT%H:%M:%S.000-03:00", time.gmtime(time.time() - 3 * 3600))
            answer = state.mp.respond(self.command, path, self.headers, body_json, now)
            if answer is not None:
                return self.send(*answer)
        status, ctype, data = default_response(state, service, self.command, path, url.query, body_json)
        self.send(status, ctype, data)

    def scripted(self, rule):
        if rule.get("delay_ms"):
            time.sleep(rule["delay_ms"] / 1000.0)
        if rule.get("fail") == "reset":
            # An abortive close (RST) is what a crashed upstream looks like to the client.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            return
        if rule.get("fail") == "hang":
            time.sleep(3600)
            return
        if "fixture" in rule:
            ctype, data = "application/json", json.dumps(FIXTURES[rule["fixture"]]).encode()
        elif "b64" in rule:
            ctype, data = "application/octet-stream", base64.b64decode(rule["b64"])
        elif "text" in rule:
            ctype, data = "text/plain; charset=utf-8", rule["text"].encode()
        else:
            ctype, data = "application/json", json.dumps(rule.get("json", {})).encode()
        headers = dict(rule.get("headers") or {})
        ctype = headers.pop("Content-Type", ctype)
        self.send(rule.get("status", 200), ctype, data, headers)

    def control(self, state, url, raw):
        what = url.path[len("/__control/"):]
        try:
            if what == "health":
                return self.send(200, "application/json", {"status": "ok"})
            if what == "reset" and self.command == "POST":
                state.reset()
                state.mp.control({"clear": True})
                return self.send(200, "application/json", {"status": "reset"})
            if what == "script" and self.command == "POST":
                state.add_rule(json.loads(raw or b"{}"))
                return self.send(200, "application/json", {"status": "added"})
            if what == "mercadopago":
                if self.command == "POST":
                    state.mp.control(json.loads(raw or b"{}"))
                return self.send(200, "application/json", state.mp.dump())
            if what == "requests":
                service = urllib.parse.parse_qs(url.query).get("service", [None])[0]
                return self.send(200, "application/json", state.requests(service))
        except (ValueError, TypeError) as e:
            return self.send(400, "application/json", {"error": str(e)})
        return self.send(404, "application/json", {"error": "unknown control " + what})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    ap.add_argument("--log", required=True, help="JSONL file of recorded requests")
    ap.add_argument("--pidfile", help="write our pid here")
    args = ap.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args.log)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
