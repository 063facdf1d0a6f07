#!/usr/bin/env python3
"""ntfy, Pushover and Telegram as evsed's tests meet them: one local HTTP server that answers each
service's publishing call the way its documentation describes it, and refuses what the real
service would refuse, with the real service's kind of error body.

  ntfy      POST /            JSON {"topic", "message", "title", "priority" 1-5, "tags": [...]}
                              (docs.ntfy.sh/publish, "Publish as JSON"); with --ntfy-token the
                              topic is protected: "Authorization: Bearer TOKEN" or 403.
  Pushover  POST /1/messages.json, form-encoded token, user, message (1-1024 characters),
                              title (250 at most), priority -2..1 (2 needs retry and expire),
                              timestamp (pushover.net/api); --pushover-token is the app's token,
                              --pushover-user the only user key that exists.
  Telegram  POST /bot<TOKEN>/sendMessage, JSON {"chat_id", "text" (1-4096 characters),
                              "disable_notification"} (core.telegram.org/bots/api#sendmessage);
                              --telegram-token is the bot's, --telegram-chat the only chat.

Prints "listening PORT" once it serves; every request goes to --out as a JSON line:
  {"service": "ntfy", "status": 200, "body": {...}, "headers": {...}, "error": null}
"""
import argparse
import json
import sys
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

ARGS = None
MESSAGE_ID = [0]


def record(entry):
    with open(ARGS.out, "a") as out:
        out.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, service, status, payload, body, error=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        record({"service": service, "path": self.path, "status": status, "body": body, "error": error,
                "headers": dict(self.headers.items())})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/":
            return self.ntfy(raw)
        if self.path == "/1/messages.json":
            return self.pushover(raw)
        if self.path.startswith("/bot") and self.path.endswith("/sendMessage"):
            return self.telegram(raw, self.path[len("/bot"):-len("/sendMessage")])
        self.answer("unknown", 404, {"error": "not found"}, raw.decode(errors="replace"), "unknown path")

    # ntfy: JSON publishing.
    def ntfy(self, raw):
        def refuse(status, code, text, body):
            self.answer("ntfy", status, {"code": code, "http": status, "error": text}, body, text)
        try:
            body = json.loads(raw)
        except ValueError:
            return refuse(400, 40024, "invalid request: request body must be message JSON", raw.decode(errors="replace"))
        topic = body.get("topic")
        if not isinstance(topic, str) or not (1 <= len(topic) <= 64) or not all(c.isalnum() or c in "-_" for c in topic):
            return refuse(400, 40009, "invalid request: topic invalid", body)
        if ARGS.ntfy_token and self.headers.get("Authorization") != "Bearer " + ARGS.ntfy_token:
            return refuse(403, 40301, "forbidden", body)
        for key in ("message", "title"):
            if key in body and not isinstance(body[key], str):
                return refuse(400, 40024, "invalid request: %s must be a string" % key, body)
        if len(body.get("message", "").encode()) > 4096:
            return refuse(400, 40024, "invalid request: message too long (attachments not accepted here)", body)
        priority = body.get("priority", 3)
        if not isinstance(priority, int) or not 1 <= priority <= 5:
            return refuse(400, 40007, "invalid request: priority invalid", body)
        tags = body.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return refuse(400, 40024, "invalid request: tags must be a list of strings", body)
        self.answer("ntfy", 200, {"id": uuid.uuid4().hex[:12], "event": "message", "topic": topic,
                                  "title": body.get("title"), "message": body.get("message")}, body)

    # Pushover: form-encoded parameters.
    def pushover(self, raw):
        fields = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}

        def refuse(status, key, text):
            self.answer("pushover", status, {key: "invalid", "errors": [text], "status": 0, "request": str(uuid.uuid4())}, fields, text)
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return refuse(400, "token", "application token is invalid")
        if fields.get("token") != ARGS.pushover_token:
            return refuse(400, "token", "application token is invalid, see https://pushover.net/api")
        if fields.get("user") != ARGS.pushover_user:
            return refuse(400, "user", "user identifier is not a valid user, group, or subscribed user key")
        message = fields.get("message", "")
        if not message:
            return refuse(400, "message", "message cannot be blank")
        if len(message) > 1024:
            return refuse(400, "message", "message is too long, it must be 1024 characters or less")
        if len(fields.get("title", "")) > 250:
            return refuse(400, "title", "title is too long, it must be 250 characters or less")
        priority = fields.get("priority", "0")
        if priority not in ("-2", "-1", "0", "1"):
            return refuse(400, "priority", "priority 2 needs retry and expire; others are -2 to 1")
        if "timestamp" in fields and not fields["timestamp"].isdigit():
            return refuse(400, "timestamp", "timestamp is invalid")
        self.answer("pushover", 200, {"status": 1, "request": str(uuid.uuid4())}, fields)

    # Telegram: the Bot API's sendMessage, JSON.
    def telegram(self, raw, token):
        def refuse(status, text, body):
            self.answer("telegram", status, {"ok": False, "error_code": status, "description": text}, body, text)
        if token != ARGS.telegram_token:
            return refuse(401, "Unauthorized", raw.decode(errors="replace"))
        try:
            body = json.loads(raw)
        except ValueError:
            return refuse(400, "Bad Request: can't parse JSON", raw.decode(errors="replace"))
        chat = body.get("chat_id")
        if str(chat) != ARGS.telegram_chat:
            return refuse(400, "Bad Request: chat not found", body)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return refuse(400, "Bad Request: message text is empty", body)
        if len(text) > 4096:
            return refuse(400, "Bad Request: message is too long", body)
        if "disable_notification" in body and not isinstance(body["disable_notification"], bool):
            return refuse(400, "Bad Request: disable_notification must be a boolean", body)
        MESSAGE_ID[0] += 1
        self.answer("telegram", 200, {"ok": True, "result": {"message_id": MESSAGE_ID[0], "chat": {"id": chat}, "text": text}}, body)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ntfy-token")
    parser.add_argument("--pushover-token", required=True)
    parser.add_argument("--pushover-user", required=True)
    parser.add_argument("--telegram-token", required=True)
    parser.add_argument("--telegram-chat", required=True)
    ARGS = parser.parse_args()
    server = HTTPServer(("127.0.0.1", ARGS.port), Handler)
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
