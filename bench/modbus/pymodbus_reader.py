"""Reads the same register blocks as evsed, N times, with pymodbus (the peer in bench/run.py).

usage: pymodbus_reader.py PORT BAUD FUNCTION START:COUNT[,START:COUNT...] N
Prints one JSON object: readings, seconds, errors.
"""
import json
import sys
import time

from pymodbus.client import ModbusSerialClient

port, baud, function, blocks, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
blocks = [tuple(int(x) for x in block.split(":")) for block in blocks.split(",")]
client = ModbusSerialClient(port=port, baudrate=baud, parity="N", stopbits=1, bytesize=8, timeout=1, retries=0)
client.connect()
read = client.read_input_registers if function == 4 else client.read_holding_registers
errors = 0
started = time.monotonic()
for _ in range(count):
    for start, length in blocks:
        try:
            reply = read(start, count=length, device_id=1)
        except TypeError:  # pymodbus before 3.10 named the unit "slave"
            reply = read(start, count=length, slave=1)
        if reply.isError():
            errors += 1
elapsed = time.monotonic() - started
client.close()
print(json.dumps({"readings": count, "seconds": elapsed, "errors": errors}))
