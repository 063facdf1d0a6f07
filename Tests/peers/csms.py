#!/usr/bin/env python3
"""An OCPP 1.6J central system for evsed's tests, written with the `ocpp` package (ocpp.v16).

It accepts charge points on ws:// or wss:// (--tls CERT KEY), checks HTTP Basic auth when --auth
USER:PASSWORD is given, answers every Core request the way its options say, and validates every
message against OCPP 1.6's JSON schemas (the `ocpp` package does; a message that fails is
answered with a CALLERROR and recorded).

Everything it sees goes to --out as JSON lines:
  {"type": "connect", "path": "/ocpp/CB1", "auth": "Basic ...", "subprotocol": "ocpp1.6"}
  {"type": "call", "action": "StartTransaction", "payload": {...}, "answer": {...}}
  {"type": "result", "action": "RemoteStopTransaction", "payload": {...}}   (to a CALL of ours)
  {"type": "refused", "reason": "..."}                                       (handshake refused)
  {"type": "disconnect"}
The test sends CALLs by dropping files into --inbox: {"action": "Reset", "payload": {"type": "Soft"}}.
"""
import argparse
import asyncio
import base64
import datetime
import json
import os
import ssl
import sys

import websockets
from ocpp.charge_point import camel_to_snake_case
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus

ARGS = None


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def record(entry):
    with open(ARGS.out, "a") as out:
        out.write(json.dumps(entry) + "\n")


def next_transaction_id():
    """Transaction ids go on across restarts of this peer: one more than those it gave before."""
    count = 0
    if os.path.exists(ARGS.out):
        with open(ARGS.out) as out:
            for line in out:
                entry = json.loads(line)
                if entry.get("type") == "call" and entry.get("action") == "StartTransaction":
                    count += 1
    return ARGS.first_transaction + count


class Point(ChargePoint):
    boots = 0

    async def route_message(self, raw):
        message = json.loads(raw)
        if message[0] == 2:
            self.current = {"type": "call", "action": message[2], "payload": message[3], "id": message[1]}
        return await super().route_message(raw)

    async def _send(self, message):
        parsed = json.loads(message)
        current = getattr(self, "current", None)
        if current is not None and parsed[1] == current["id"]:
            current["answer"] = parsed[2] if parsed[0] == 3 else {"error": parsed[2], "description": parsed[3]}
            record(current)
            self.current = None
        await super()._send(message)

    @on(Action.boot_notification)
    def on_boot(self, **kwargs):
        statuses = ARGS.boot.split(",")
        status = statuses[min(Point.boots, len(statuses) - 1)]
        Point.boots += 1
        return call_result.BootNotification(current_time=now(), interval=ARGS.interval if status == "Accepted" else ARGS.retry,
                                            status=RegistrationStatus(status))

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    def on_status(self, **kwargs):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag, **kwargs):
        status = AuthorizationStatus.blocked if id_tag in ARGS.blocked else AuthorizationStatus.accepted
        return call_result.Authorize(id_tag_info={"status": status})

    @on(Action.start_transaction)
    def on_start_transaction(self, id_tag, **kwargs):
        status = AuthorizationStatus.blocked if id_tag in ARGS.blocked else AuthorizationStatus.accepted
        return call_result.StartTransaction(transaction_id=next_transaction_id(), id_tag_info={"status": status})

    @on(Action.meter_values)
    def on_meter_values(self, **kwargs):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **kwargs):
        return call_result.StopTransaction()

    @on(Action.data_transfer)
    def on_data_transfer(self, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")


async def serve_inbox(point):
    """Sends the CALLs the test drops into the inbox, in name order, and records their answers."""
    while True:
        for name in sorted(os.listdir(ARGS.inbox)):
            if not name.endswith(".json"):
                continue
            path = os.path.join(ARGS.inbox, name)
            with open(path) as f:
                request = json.load(f)
            os.unlink(path)
            try:
                # The package's messages take snake_case fields: the test writes OCPP's own names.
                payload = getattr(call, request["action"])(**camel_to_snake_case(request.get("payload", {})))
                result = await point.call(payload, suppress=False)
                record({"type": "result", "action": request["action"], "payload": result.__dict__})
            except Exception as error:  # a CALLERROR or a timeout: the test reads it
                record({"type": "result", "action": request["action"], "error": type(error).__name__, "description": str(error)})
        await asyncio.sleep(0.05)


async def handler(websocket):
    request = websocket.request
    record({"type": "connect", "path": request.path, "auth": request.headers.get("Authorization"), "subprotocol": websocket.subprotocol})
    point = Point(request.path.rstrip("/").split("/")[-1], websocket, response_timeout=10)
    inbox = asyncio.create_task(serve_inbox(point))
    try:
        await point.start()
    except websockets.exceptions.ConnectionClosed:
        pass
    finally:
        inbox.cancel()
        record({"type": "disconnect"})


def check_auth(connection, request):
    """Security profiles 1 and 2: Basic auth with the charge box id and its key."""
    if not ARGS.auth:
        return None
    expected = "Basic " + base64.b64encode(ARGS.auth.encode()).decode()
    if request.headers.get("Authorization") != expected:
        record({"type": "refused", "reason": "authorization", "auth": request.headers.get("Authorization")})
        return connection.respond(401, "Unauthorized\n")
    return None


async def main():
    context = None
    if ARGS.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
    os.makedirs(ARGS.inbox, exist_ok=True)
    async with websockets.serve(handler, "127.0.0.1", ARGS.port, subprotocols=["ocpp1.6"], ssl=context,
                                process_request=check_auth, ping_interval=None):
        print(f"listening {ARGS.port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--inbox", required=True)
    parser.add_argument("--boot", default="Accepted", help="the answers to successive boots, e.g. Pending,Accepted")
    parser.add_argument("--interval", type=int, default=300, help="the heartbeat interval given with Accepted")
    parser.add_argument("--retry", type=int, default=2, help="the interval given with Pending and Rejected")
    parser.add_argument("--auth", help="USER:PASSWORD that Basic auth must carry")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--blocked", nargs="*", default=[], help="idTags answered Blocked")
    parser.add_argument("--first-transaction", type=int, default=1)
    ARGS = parser.parse_args()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
