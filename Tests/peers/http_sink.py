"""An HTTP server for evsed's tests: it keeps every request as a JSON line and answers 200.

    http_sink.py --out FILE [--port N] [--status CODE]

Prints "listening PORT" once it accepts connections. --status makes every answer that code
(a receiver that refuses).
"""
import argparse
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            with open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()), "body": body}) + "\n")
            answer = b'{"ok": true}' if args.status < 300 else b'{"error": "refused by the test"}'
            self.send_response(args.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *arguments):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
