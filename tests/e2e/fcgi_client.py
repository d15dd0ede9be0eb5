"""A tiny FastCGI client (Python 3 standard library only) for tests that talk to caloria.fcgi directly,
without a web server in between.

    from fcgi_client import FastCGIClient
    c = FastCGIClient("unix:/tmp/x/caloria.sock")          # or "127.0.0.1:9000", "[::1]:9000"
    r = c.http("GET", "/health/live")                      # params nginx's fastcgi_params would send
    r.status, r.header("Content-Type"), r.json()
    raw = c.request({"REQUEST_METHOD": "GET", ...}, b"")  # FCGI_RESPONDER round trip, raw records

One connection per request (FCGI_KEEP_CONN off), as nginx does by default. The client reads until
FCGI_END_REQUEST, then closes; it raises FastCGIError when the connection ends before that or the
application reports a non-zero protocol status.
"""

import json
import socket
import struct

FCGI_VERSION = 1
FCGI_BEGIN_REQUEST = 1
FCGI_END_REQUEST = 3
FCGI_PARAMS = 4
FCGI_STDIN = 5
FCGI_STDOUT = 6
FCGI_STDERR = 7
FCGI_RESPONDER = 1
FCGI_REQUEST_COMPLETE = 0

_HEADER = struct.Struct("!BBHHBx")
_MAX_CONTENT = 65535


class FastCGIError(Exception):
    """The FastCGI exchange itself failed (connection closed early, malformed record, protocol status)."""


class Response:
    """A CGI-style response: Status line, headers (case-insensitive lookup) and body bytes."""

    def __init__(self, status, headers, body, stderr=b"", app_status=0):
        self.status = status
        self.headers = headers  # list of (name, value) in order
        self.body = body
        self.stderr = stderr
        self.app_status = app_status

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:120])


def parse_address(address):
    """'unix:/path' -> (AF_UNIX, '/path'); 'host:port' / '[v6]:port' -> (family, (host, port))."""
    if address.startswith("unix:"):
        return socket.AF_UNIX, address[5:]
    if address.startswith("/"):
        return socket.AF_UNIX, address
    if address.startswith("["):
        host, _, port = address[1:].partition("]:")
        return socket.AF_INET6, (host, int(port))
    host, _, port = address.rpartition(":")
    return socket.AF_INET, (host or "127.0.0.1", int(port))


def _record(rtype, content, request_id=1):
    return _HEADER.pack(FCGI_VERSION, rtype, request_id, len(content), 0) + content


def _stream(rtype, data, request_id=1):
    """A stream: records of at most 65535 bytes, then the empty record that ends it."""
    out = [_record(rtype, data[i:i + _MAX_CONTENT], request_id) for i in range(0, len(data), _MAX_CONTENT)]
    out.append(_record(rtype, b"", request_id))
    return b"".join(out)


def _length(n):
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_params(params):
    out = []
    for k, v in params.items():
        k = k.encode("utf-8") if isinstance(k, str) else k
        v = v.encode("utf-8") if isinstance(v, str) else v
        out.append(_length(len(k)) + _length(len(v)) + k + v)
    return b"".join(out)


def parse_cgi(stdout):
    """Splits CGI output into (status, headers, body); a missing Status header means 200."""
    sep = stdout.find(b"\r\n\r\n")
    if sep >= 0:
        head, body = stdout[:sep], stdout[sep + 4:]
    else:
        sep = stdout.find(b"\n\n")
        if sep < 0:
            raise FastCGIError("response has no header/body separator: %r" % stdout[:200])
        head, body = stdout[:sep], stdout[sep + 2:]
    headers = []
    status = 200
    for line in head.decode("latin-1").splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise FastCGIError("malformed header line %r" % line)
        name, value = name.strip(), value.strip()
        if name.lower() == "status":
            try:
                status = int(value.split()[0])
            except (ValueError, IndexError):
                raise FastCGIError("malformed Status header %r" % value)
        headers.append((name, value))
    return status, headers, body


class FastCGIClient:
    def __init__(self, address, timeout=15.0):
        self.family, self.sockaddr = parse_address(address)
        self.timeout = timeout

    def _connect(self):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.sockaddr)
        except OSError:
            s.close()
            raise
        return s

    def request(self, params, body=b""):
        """One FCGI_RESPONDER request; returns (stdout, stderr, app_status)."""
        s = self._connect()
        try:
            s.sendall(_record(FCGI_BEGIN_REQUEST, struct.pack("!HB5x", FCGI_RESPONDER, 0))
                      + _stream(FCGI_PARAMS, encode_params(params))
                      + _stream(FCGI_STDIN, body))
            return self._read_response(s)
        finally:
            s.close()

    def _read_response(self, s):
        buf = b""
        stdout, stderr = [], []

        def need(n):
            nonlocal buf
            while len(buf) < n:
                chunk = s.recv(65536)
                if not chunk:
                    raise FastCGIError("connection closed before FCGI_END_REQUEST (%d bytes pending)" % len(buf))
                buf += chunk

        while True:
            need(8)
            version, rtype, _rid, clen, plen = _HEADER.unpack(buf[:8])
            if version != FCGI_VERSION:
                raise FastCGIError("bad record version %d" % version)
            need(8 + clen + plen)
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == FCGI_STDOUT:
                stdout.append(content)
            elif rtype == FCGI_STDERR:
                stderr.append(content)
            elif rtype == FCGI_END_REQUEST:
                app_status, proto_status = struct.unpack("!IB3x", content[:8])
                if proto_status != FCGI_REQUEST_COMPLETE:
                    raise FastCGIError("protocol status %d" % proto_status)
                return b"".join(stdout), b"".join(stderr), app_status

    def http(self, method, path, body=b"", headers=None, remote_addr="127.0.0.1"):
        """An HTTP-like request with the params nginx's fastcgi_params sends; returns a Response."""
        headers = dict(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        path_only, _, query = path.partition("?")
        params = {
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "fcgi_client.py", "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": method, "REQUEST_URI": path, "DOCUMENT_URI": path_only, "SCRIPT_NAME": path_only,
            "QUERY_STRING": query, "REMOTE_ADDR": remote_addr, "REMOTE_PORT": "40000",
            "SERVER_ADDR": "127.0.0.1", "SERVER_PORT": "80", "SERVER_NAME": "localhost",
            "CONTENT_LENGTH": str(len(body)) if body else "",
            "CONTENT_TYPE": headers.pop("Content-Type", headers.pop("content-type", "")),
        }
        for k, v in headers.items():
            params["HTTP_" + k.upper().replace("-", "_")] = v
        stdout, stderr, app_status = self.request(params, body)
        status, hdrs, rbody = parse_cgi(stdout)
        return Response(status, hdrs, rbody, stderr, app_status)
