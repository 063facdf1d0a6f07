"""An SMTP server for evsed's tests (aiosmtpd): it keeps every mail it accepts as a JSON line.

    smtp_sink.py --out FILE [--port N] [--starttls CERT KEY | --tls CERT KEY] [--auth USER:PASSWORD]

Prints "listening PORT" once it accepts connections. With --starttls the server requires
STARTTLS before MAIL; with --tls it speaks TLS from the first byte; with --auth it requires AUTH
(PLAIN or LOGIN) with that user and password.
"""
import argparse
import asyncio
import json
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Keeper:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                # STARTTLS sets session.ssl; implicit TLS shows on the transport.
                "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                "authenticated": bool(session.authenticated),
            }) + "\n")
        return "250 OK queued"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth")
    args = parser.parse_args()
    port = args.port or free_port()
    options = {}
    if args.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.starttls)
        options.update(tls_context=context, require_starttls=True)
    server_context = None
    if args.tls:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(*args.tls)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
            # handled=False: aiosmtpd answers 235 or 535 itself.
            return AuthResult(success=ok, handled=False)

        # With --tls the whole connection is TLS, which aiosmtpd does not count as "TLS for AUTH".
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.starttls))
    controller = Controller(Keeper(args.out), hostname="127.0.0.1", port=port, ssl_context=server_context,
                            server_kwargs=options, ready_timeout=10)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
