"""Real receivers for the alert tests, on 127.0.0.1: an HTTP server and an
SMTP server (aiosmtpd) that record what they are sent.

    python alert_receivers.py --record DIR --secret KEY --cert PEM --key PEM

Prints one JSON line, {"http": PORT, "smtp": PORT}, once both listen, and
runs until its standard input closes (the test that started it ends).

HTTP: every request is appended to DIR/http.ndjson, with its path, headers,
body, and whether its X-Datacontract-Signature is the HMAC-SHA256 of
"{timestamp}.{body}" under KEY (checked here, independently of the code
under test). The path decides the answer:
    /ok/...       200 "ok"
    /status/N/... N (e.g. 500, 404)
    /hang/...     no answer for 60 s
    /flaky/...    503 to the first request on that path, then 200

SMTP: STARTTLS with the given certificate, required before anything else;
AUTH (user "datacontract", password "alert-test-password") only after it;
every message is appended to DIR/smtp.ndjson with its envelope, its data,
and whether it arrived over TLS.
"""

import argparse
import hashlib
import hmac
import json
import logging
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER = b"datacontract"
SMTP_PASSWORD = b"alert-test-password"

LOCK = threading.Lock()


def append(path, record):
    with LOCK, open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def http_handler(record_dir, secret):
    seen = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            timestamp = self.headers.get("X-Datacontract-Timestamp")
            signature = self.headers.get("X-Datacontract-Signature")
            valid = None
            if signature is not None:
                expected = "sha256=" + hmac.new(
                    secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
                ).hexdigest()
                valid = hmac.compare_digest(expected, signature)
            append(
                os.path.join(record_dir, "http.ndjson"),
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8"),
                    "signature_valid": valid,
                    "received_at": time.time(),
                },
            )
            parts = self.path.strip("/").split("/")
            status = 200
            if parts[0] == "status":
                status = int(parts[1])
            elif parts[0] == "hang":
                time.sleep(60)
            elif parts[0] == "flaky":
                with LOCK:
                    first = self.path not in seen
                    seen.add(self.path)
                status = 503 if first else 200
            answer = b"ok" if status == 200 else b"receiver answers %d" % status
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class Recorder:
    def __init__(self, record_dir):
        self.path = os.path.join(record_dir, "smtp.ndjson")

    async def handle_DATA(self, server, session, envelope):
        append(
            self.path,
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
            },
        )
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER
        and auth_data.password == SMTP_PASSWORD
    )
    return AuthResult(success=ok)


def free_port():
    """A port nothing listens on now (aiosmtpd's controller wants a fixed
    one: it connects to it to know the server is up)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    # Refused handshakes are what some tests expect: no tracebacks.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)

    http = ThreadingHTTPServer(("127.0.0.1", 0), http_handler(args.record, args.secret))
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    smtp = Controller(
        Recorder(args.record),
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=False,
    )
    smtp.start()

    print(json.dumps({"http": http.server_address[1], "smtp": smtp.port}), flush=True)
    sys.stdin.read()
    smtp.stop()
    http.shutdown()


if __name__ == "__main__":
    main()
