"""A GSM modem for evsed's tests, on a pseudo terminal: it answers the AT commands of SMS text
mode (3GPP TS 27.005) and keeps every message it is given as a JSON line.

    modem.py --link PATH --out FILE [--error CODE] [--pin PIN]

PATH becomes a symbolic link to the pseudo terminal's device. Prints "listening PATH" when ready.
--error makes AT+CMGS answer "+CMS ERROR: CODE" (330: no SMS centre); --pin makes the SIM ask
for that PIN first.
"""
import argparse
import json
import os
import sys
import termios
import tty


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--link", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--error")
    parser.add_argument("--pin")
    args = parser.parse_args()

    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    if os.path.lexists(args.link):
        os.unlink(args.link)
    os.symlink(name, args.link)
    print(f"listening {args.link}", flush=True)

    echo = True
    pin_needed = args.pin is not None
    text_mode = False
    pending_number = None
    line = b""

    def send(text):
        os.write(master, text.encode())

    while True:
        data = os.read(master, 1024)
        if not data:
            break
        for byte in data:
            char = bytes([byte])
            if pending_number is not None:
                # The message body, ended by Ctrl-Z (0x1A); Esc (0x1B) cancels.
                if byte == 0x1A:
                    body = line.decode("ascii", "replace")
                    line = b""
                    number, pending_number = pending_number, None
                    if args.error:
                        send(f"\r\n+CMS ERROR: {args.error}\r\n")
                        continue
                    with open(args.out, "a", encoding="utf-8") as out:
                        out.write(json.dumps({"to": number, "text": body}) + "\n")
                    send("\r\n+CMGS: 17\r\n\r\nOK\r\n")
                elif byte == 0x1B:
                    line, pending_number = b"", None
                    send("\r\nOK\r\n")
                else:
                    line += char
                continue
            if echo:
                os.write(master, char)
            if byte != 0x0D:
                if byte != 0x0A:
                    line += char
                continue
            command = line.decode("ascii", "replace").strip()
            line = b""
            upper = command.upper()
            if upper in ("AT", ""):
                send("\r\nOK\r\n" if upper else "")
            elif upper == "ATE0":
                echo = False
                send("\r\nOK\r\n")
            elif upper == "AT+CPIN?":
                send("\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n" if pin_needed else "\r\n+CPIN: READY\r\n\r\nOK\r\n")
            elif upper.startswith("AT+CPIN="):
                if command.split("=", 1)[1].strip('"') == args.pin:
                    pin_needed = False
                    send("\r\nOK\r\n")
                else:
                    send("\r\n+CME ERROR: 16\r\n")
            elif pin_needed:
                send("\r\n+CME ERROR: 11\r\n")
            elif upper == "AT+CMGF=1":
                text_mode = True
                send("\r\nOK\r\n")
            elif upper.startswith("AT+CSCS="):
                send("\r\nOK\r\n")
            elif upper.startswith("AT+CMGS="):
                if not text_mode:
                    send("\r\n+CMS ERROR: 304\r\n")
                    continue
                pending_number = command.split("=", 1)[1].strip('"')
                send("\r\n> ")
            else:
                send("\r\nERROR\r\n")


if __name__ == "__main__":
    sys.exit(main())
