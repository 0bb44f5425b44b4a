"""Small real servers on loopback for delivery tests: an OTT webhook receiver that checks signatures."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OttReceiver:
    """An OTT official account's webhook endpoint, as a province's integration would run it.

    It verifies the signature (HMAC-SHA256 over timestamp + "." + body, timestamp within 5 minutes),
    refuses what fails with 401, and deduplicates on Idempotency-Key: a repeated key gets the first
    answer back and is not forwarded again. `status` lets a test make it answer an error.
    """

    def __init__(self, secret: str):
        self.secret = secret
        self.delivered: dict[str, dict] = {}  # idempotency key → the message forwarded
        self.requests: list[str] = []  # every key received, duplicates included
        self.refused: list[str] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code, answer = receiver.handle(self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ott/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def signature_is_valid(self, headers, body: bytes) -> bool:
        timestamp = headers.get("X-Onestop-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = (
            "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        return hmac.compare_digest(expected, headers.get("X-Onestop-Signature", ""))

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        if not self.signature_is_valid(headers, body):
            self.refused.append(headers.get("Idempotency-Key", ""))
            return 401, {"error": "bad signature"}
        if self.status != 200:
            return self.status, {"error": "as the test asked"}
        key = headers["Idempotency-Key"]
        with self.lock:
            self.requests.append(key)
            if key not in self.delivered:
                self.delivered[key] = {**json.loads(body), "ott_message_id": f"ott-{len(self.delivered) + 1}"}
            return 200, {"message_id": self.delivered[key]["ott_message_id"]}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
