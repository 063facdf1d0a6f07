#!/usr/bin/env python3
"""A simulated NXP PN532 NFC controller on a pseudo terminal, for evsed's tests of its RFID reader
through libnfc's `pn532_uart` driver — the way the meter is tested against `sim-meter`.

It opens a pty, prints `listening PATH` on the first line of stdout (as the other peers do), and answers host frames as the PN532
user manual (UM0701-02, section 6.2: frames; section 7: commands) describes them over HSU: each
normal information frame `00 00 FF LEN LCS D4 CMD … DCS 00` is acknowledged (`00 00 FF 00 FF 00`)
and answered with `D5 CMD+1 …`; a frame with a wrong length or data checksum gets a NACK-free
silence, as the chip does, and is recorded. Registers written are kept and read back.

The card on the reader is whatever the --card file holds: a UID in hex (4, 7 or 10 bytes), or
nothing. InListPassiveTarget (106 kbps type A) reports it with SENS_RES 0x0004 and SEL_RES 0x08
(a MIFARE Classic 1K); InAutoPoll likewise. Every command seen goes to --out as a JSON line
({"command": "0x4a", "ok": true}), so a test can tell the library really spoke to it.

Only the commands libnfc's initialisation and passive-target polling use are answered; any other
gets an error frame (`7F`), which libnfc reports as an application-level error.
"""
import argparse
import json
import os
import select
import tty

FIRMWARE = bytes([0x32, 0x01, 0x06, 0x07])  # PN532, version 1.6, ISO 14443A/B and ISO 18092
ACK = bytes([0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00])


def frame(payload):
    length = len(payload)
    checksum = (-sum(payload)) & 0xFF
    return bytes([0x00, 0x00, 0xFF, length, (-length) & 0xFF]) + payload + bytes([checksum, 0x00])


class Chip:
    def __init__(self, card_file, out):
        self.card_file = card_file
        self.out = out
        self.registers = {}

    def card(self):
        try:
            with open(self.card_file) as f:
                text = f.read().strip()
        except FileNotFoundError:
            return None
        if not text:
            return None
        uid = bytes.fromhex(text)
        return uid if len(uid) in (4, 7, 10) else None

    def record(self, **entry):
        with open(self.out, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def target_a(self, number):
        uid = self.card()
        if uid is None:
            return None
        return bytes([number, 0x00, 0x04, 0x08, len(uid)]) + uid

    def answer(self, command, data):
        """The response data after D5 CMD+1, or None for an error frame."""
        if command == 0x00:  # Diagnose: test 0 echoes its data
            return data
        if command == 0x02:  # GetFirmwareVersion
            return FIRMWARE
        if command == 0x04:  # GetGeneralStatus: no error, no field, no target
            return bytes([0x00, 0x00, 0x00, 0x00])
        if command == 0x06:  # ReadRegister: two address bytes per register
            values = []
            for i in range(0, len(data) - 1, 2):
                values.append(self.registers.get((data[i] << 8) | data[i + 1], 0x00))
            return bytes(values)
        if command == 0x08:  # WriteRegister: address (2 bytes) and value, repeated
            for i in range(0, len(data) - 2, 3):
                self.registers[(data[i] << 8) | data[i + 1]] = data[i + 2]
            return b""
        if command in (0x12, 0x14, 0x32):  # SetParameters, SAMConfiguration, RFConfiguration
            return b""
        if command == 0x16:  # PowerDown
            return bytes([0x00])
        if command == 0x4A:  # InListPassiveTarget: MaxTg, BrTy (0 = 106 kbps type A)
            if len(data) < 2 or data[1] != 0x00:
                return bytes([0x00])
            target = self.target_a(1)
            return bytes([0x00]) if target is None else bytes([0x01]) + target
        if command == 0x60:  # InAutoPoll: report a type A target, if any
            target = self.target_a(1)
            if target is None:
                return bytes([0x00])
            body = target[1:]
            return bytes([0x01, 0x10, len(body) + 1, 0x01]) + body
        if command in (0x44, 0x52):  # InDeselect, InRelease
            return bytes([0x00])
        if command in (0x40, 0x42):  # InDataExchange, InCommunicateThru: no target answers
            return bytes([0x01])  # status: timeout
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--card", required=True, help="file that holds the UID (hex) of the card on the reader")
    parser.add_argument("--out", required=True, help="JSON lines of the commands seen")
    args = parser.parse_args()
    chip = Chip(args.card, args.out)
    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    # Our own handle on the slave side keeps the pty open while no client has it.
    print("listening " + os.ttyname(slave), flush=True)
    buffer = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if master not in ready:
            continue
        try:
            buffer += os.read(master, 4096)
        except OSError:
            continue
        while True:
            start = buffer.find(b"\x00\xff")
            if start < 0:
                buffer = buffer[-1:]
                break
            rest = buffer[start + 2:]
            if len(rest) < 2:
                buffer = buffer[start:]
                break
            if rest[0] == 0x00 and rest[1] == 0xFF:  # an ACK from the host: aborts the command
                buffer = rest[2:]
                continue
            length, lcs = rest[0], rest[1]
            if (length + lcs) & 0xFF != 0:
                chip.record(error="length checksum", bytes=rest[:2].hex())
                buffer = rest[2:]
                continue
            if len(rest) < 2 + length + 1:
                buffer = buffer[start:]
                break
            payload = rest[2:2 + length]
            dcs = rest[2 + length]
            buffer = rest[3 + length:]
            if (sum(payload) + dcs) & 0xFF != 0 or length < 2 or payload[0] != 0xD4:
                chip.record(error="data checksum or direction", bytes=payload.hex())
                continue
            command, data = payload[1], payload[2:]
            response = chip.answer(command, data)
            chip.record(command="0x%02x" % command, ok=response is not None)
            os.write(master, ACK)
            if response is None:
                os.write(master, frame(bytes([0x7F])))
            else:
                os.write(master, frame(bytes([0xD5, command + 1]) + response))


if __name__ == "__main__":
    main()
