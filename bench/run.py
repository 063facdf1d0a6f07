#!/usr/bin/env python3
"""make bench: runs every benchmark of evsed and writes bench/results/latest.md and latest.json.

Benchmarks report; they do not pass or fail. Comparisons run side by side in the same run, on the
same line, because this machine is shared and noisy. BENCHMARKS.md explains each figure.

    python3 bench/run.py [--quick] [--footprint-seconds 600] [--trips 2000] [--loop-seconds 60]
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
VENV = os.path.join(ROOT, "bench", ".venv")
PYMODBUS = "pymodbus==3.16.1"
PYSERIAL = "pyserial==3.5"

figures = []


def figure(benchmark, name, value, unit, note="", target=None, met=None):
    entry = {"benchmark": benchmark, "figure": name, "value": value, "unit": unit, "note": note}
    if target is not None:
        entry["target"] = target
        entry["met"] = met
    figures.append(entry)
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"  {benchmark:9} {name:40} {shown:>12} {unit:10} {note}", flush=True)


def cyclictest(seconds):
    """The machine's own timer wake-up at the loop's period and priority, by rt-tests' cyclictest
    (clock_nanosleep on absolute deadlines; --laptop: no PM QoS request, as evsed without
    cpu_wake_latency_us): the reference the loop's tick lateness is read against."""
    if not shutil.which("cyclictest"):
        print("  (no cyclictest: make bench installs rt-tests; the machine's reference is left out)", flush=True)
        return
    result = subprocess.run(["cyclictest", "--laptop", "--mlockall", "--priority=60", "--interval=10000",
                             f"--duration={seconds}", "--quiet", "--histogram=20000", "--threads=1"],
                            text=True, capture_output=True)
    buckets, overflows = [], 0
    for line in result.stdout.splitlines():
        if line.startswith("# Histogram Overflows:"):
            overflows = int(line.split(":")[1].split()[0])
        elif line and not line.startswith("#"):
            fields = line.split()
            if len(fields) >= 2 and int(fields[1]) > 0:
                buckets.append((int(fields[0]), int(fields[1])))
    total = sum(count for _, count in buckets) + overflows
    if total == 0:
        print("  (cyclictest measured nothing: " + (result.stderr.strip().splitlines() or ["no output"])[-1] + ")", flush=True)
        return

    def at(fraction):
        seen = 0
        for microseconds, count in buckets:
            seen += count
            if seen >= fraction * total:
                return microseconds / 1000
        return 20.0  # past the histogram: 20 ms or more

    note = (f"cyclictest (rt-tests) at 10 ms, SCHED_FIFO 60, no PM QoS request, {total} wake-ups, 1 µs buckets: "
            "the machine's own tick lateness")
    for name, fraction in (("p50", 0.5), ("p99", 0.99), ("p99_9", 0.999)):
        figure("loop", f"platform_timer_idle_{name}_ms", at(fraction), "ms", note)
    figure("loop", "platform_timer_idle_max_ms", at(1.0), "ms", note)


def run(command, **options):
    return subprocess.run(command, cwd=ROOT, check=True, text=True, capture_output=True, **options)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def build(product):
    """A release product with the Swift runtime linked in; returns the binaries' directory."""
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"], cwd=ROOT, check=True,
                          text=True, capture_output=True).stdout.strip()


def venv():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    check = subprocess.run([python, "-c", "import pymodbus, serial; print(pymodbus.__version__)"], capture_output=True, text=True)
    if check.returncode != 0 or check.stdout.strip() != PYMODBUS.split("==")[1]:
        subprocess.run([python, "-m", "pip", "install", "-q", PYMODBUS, PYSERIAL], check=True)
    return python


# MARK: footprint

def proc_figures(pid):
    """Resident memory (kB) and CPU seconds (user + system) of a running process."""
    with open(f"/proc/{pid}/status") as status:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def start_daemon(binary, board, directory, name, extra=()):
    ledger = os.path.join(directory, name, "ledger.sqlite")
    environment = dict(os.environ, EVSED_LEDGER=ledger)
    environment.pop("NOTIFY_SOCKET", None)
    log = open(os.path.join(directory, name + ".log"), "w")
    process = subprocess.Popen([binary, "run", "--board", board, "--json", *extra], cwd=ROOT, env=environment,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return process, time.monotonic()


def alerts_file(directory):
    """Email, webhook and MQTT channels whose servers do not answer: the libraries are loaded and
    the deliveries wait for their retries, as on a charger whose network is down."""
    closed = []
    for _ in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed.append(probe.getsockname()[1])
    path = os.path.join(directory, "alerts.toml")
    with open(path, "w") as output:
        output.write(f"""default_owner = "alex"
[email]
url = "smtp://127.0.0.1:{closed[0]}"
security = "none"
from = "charger@example.org"
[webhook]
[mqtt]
host = "127.0.0.1"
port = {closed[1]}
[[owner]]
name = "alex"
email = "alex@example.org"
webhook = "http://127.0.0.1:{closed[2]}/hook"
mqtt_topic = "alerts"
""")
    return path


def ocpp_board(directory):
    """boards/sim.toml connected to Tests/peers/csms.py over TLS (security profile 2, a CA made
    here), as a charger of a central system: libwebsockets and OpenSSL loaded, a transaction
    with meter values every 10 s. Returns the board and the central system's process, or
    (None, None) when the peers' environment (make test makes it) is missing."""
    python = os.path.join(ROOT, "Tests", "peers", ".venv", "bin", "python")
    if not os.path.exists(python):
        return None, None
    tls = os.path.join(directory, "tls")
    os.makedirs(tls)
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], cwd=tls, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=bench CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=localhost")
    with open(os.path.join(tls, "ext"), "w") as extensions:
        extensions.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "2", "-extfile", "ext")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = "bench-authorization-key"
    csms = subprocess.Popen([python, os.path.join(ROOT, "Tests", "peers", "csms.py"), "--port", str(port), "--out", os.path.join(tls, "csms.jsonl"),
                             "--inbox", os.path.join(tls, "inbox"), "--auth", f"CB-bench:{key}", "--tls", os.path.join(tls, "server.pem"),
                             os.path.join(tls, "server.key")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    csms.stdout.readline()
    os.makedirs(os.path.join(tls, "inbox"), exist_ok=True)
    with open(os.path.join(tls, "inbox", "1.json"), "w") as call:
        call.write('{"action": "ChangeConfiguration", "payload": {"key": "MeterValueSampleInterval", "value": "10"}}')
    with open(os.path.join(ROOT, "boards", "sim.toml")) as source:
        text = source.read()
    path = os.path.join(directory, "sim-ocpp.toml")
    with open(path, "w") as board:
        board.write(text + f"""
[ocpp]
central_system = "wss://localhost:{port}/ocpp"
charge_box_id = "CB-bench"
security_profile = 2
authorization_key = "{key}"
ca_file = "{os.path.join(tls, 'ca.pem')}"
""")
    return path, csms


def page_board(directory, base, name):
    """`base` with the owner's page on a free loopback port, and a browser's event stream open
    on it for the whole run (curl -N on /events). Returns the board and the stream's process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(base) as source:
        text = source.read()
    path = os.path.join(directory, name + ".toml")
    with open(path, "w") as board:
        board.write(text.replace("[simulation]\n", f'[page]\nlisten = "127.0.0.1:{port}"\n\n[simulation]\n', 1))
    watcher = subprocess.Popen(["sh", "-c", f"sleep 5; exec curl -sN http://127.0.0.1:{port}/events"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path, watcher


def idle_board(directory):
    """boards/sim.toml with the simulated car never plugging in."""
    with open(os.path.join(ROOT, "boards", "sim.toml")) as source:
        text = source.read()
    text = re.sub(r"plug_in_after_s = \d+.*", "plug_in = false", text)
    path = os.path.join(directory, "sim-idle.toml")
    with open(path, "w") as board:
        board.write(text)
    return path


def ready_time(binary, directory, runs):
    times = []
    for index in range(runs):
        path = os.path.join(directory, f"notify-{index}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        listener.settimeout(30)
        environment = dict(os.environ, NOTIFY_SOCKET=path, EVSED_LEDGER=os.path.join(directory, f"ready-{index}", "ledger.sqlite"))
        started = time.monotonic()
        process = subprocess.Popen([binary, "run", "--board", "boards/sim.toml"], cwd=ROOT, env=environment,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                message = listener.recv(4096).decode()
                if "READY=1" in message.split("\n"):
                    times.append(time.monotonic() - started)
                    break
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            listener.close()
    times.sort()
    return times[len(times) // 2], times[-1]


# MARK: modbus

def line_allows(blocks, baud):
    """Readings per second the line allows: each request (8 bytes) and reply (5 + 2n bytes) with
    the silence that ends an RTU frame (3.5 characters; 1.75 ms above 19200 baud), 8N1."""
    character = 10 / baud
    gap = 0.00175 if baud > 19200 else 3.5 * character
    per_reading = sum((8 * character + gap) + ((5 + 2 * count) * character + gap) for _, count in blocks)
    return 1 / per_reading


def modbus(binary, python, baud, readings):
    socat = subprocess.Popen(["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], stderr=subprocess.PIPE, text=True)
    ports = []
    while len(ports) < 2:
        line = socat.stderr.readline()
        match = re.search(r"PTY is (\S+)", line)
        if match:
            ports.append(match.group(1))
    meter = subprocess.Popen([binary, "sim-meter", "--port", ports[0], "--model", "sdm630", "--baud", str(baud)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    results = {}
    try:
        # evsed
        started = time.monotonic()
        process = subprocess.Popen([binary, "meter", "read", "--port", ports[1], "--model", "sdm630", "--baud", str(baud),
                                    "--count", str(readings), "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        report = json.loads(output)
        blocks = report["blocks"]
        function = report["function_code"]
        results["evsed"] = (report["readings"] / report["seconds"], (usage.ru_utime + usage.ru_stime) / readings)
        # mbpoll: one invocation per block, as a script would use it
        count = max(3, readings // 4)
        cpu = 0.0
        started = time.monotonic()
        for _ in range(count):
            for start, length in blocks:
                process = subprocess.Popen(["mbpoll", "-m", "rtu", "-b", str(baud), "-P", "none", "-a", "1", "-t", str(function - 1),
                                            "-r", str(start + 1), "-c", str(length), "-1", "-o", "1", ports[1]],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(process.pid, 0)
                cpu += usage.ru_utime + usage.ru_stime
        results["mbpoll"] = (count / (time.monotonic() - started), cpu / count)
        # pymodbus
        process = subprocess.Popen([python, os.path.join(ROOT, "bench", "modbus", "pymodbus_reader.py"), ports[1], str(baud),
                                    str(function), ",".join(f"{s}:{c}" for s, c in blocks), str(readings)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        report = json.loads(output)
        results["pymodbus"] = (report["readings"] / report["seconds"], (usage.ru_utime + usage.ru_stime) / readings)
    finally:
        meter.terminate()
        meter.wait()
        socat.terminate()
        socat.wait()
    return blocks, results


# MARK: main

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, to check that everything works")
    parser.add_argument("--footprint-seconds", type=int, default=600)
    parser.add_argument("--loop-seconds", type=int, default=60)
    parser.add_argument("--trips", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=10000)
    options = parser.parse_args()
    if options.quick:
        options.footprint_seconds, options.loop_seconds, options.trips, options.sessions = 20, 5, 200, 500

    began = time.monotonic()
    print("building evsed (release, the Swift runtime linked in)...", flush=True)
    binaries = build("evsed")
    evsed = os.path.join(binaries, "evsed")
    directory = tempfile.mkdtemp(prefix="evsed-bench-")

    # The ten-minute footprint runs go on in the background while the rest is built and measured.
    print("footprint: evsed run on the simulated board, charging and idle, in the background...", flush=True)
    charging, charging_started = start_daemon(evsed, "boards/sim.toml", directory, "charging")
    idle, idle_started = start_daemon(evsed, idle_board(directory), directory, "idle")
    alerting, alerting_started = start_daemon(evsed, "boards/sim.toml", directory, "charging_with_alerts",
                                              ["--alerts", alerts_file(directory)])
    runs = [("charging", charging, charging_started), ("idle", idle, idle_started), ("charging_with_alerts", alerting, alerting_started)]
    page_file, page_watcher = page_board(directory, os.path.join(ROOT, "boards", "sim.toml"), "sim-page")
    paged, paged_started = start_daemon(evsed, page_file, directory, "charging_with_page")
    runs.append(("charging_with_page", paged, paged_started))
    watchers = [page_watcher]
    board, csms = ocpp_board(directory)
    if board:
        ocpp, ocpp_started = start_daemon(evsed, board, directory, "charging_with_ocpp_tls")
        runs.append(("charging_with_ocpp_tls", ocpp, ocpp_started))
        both_file, both_watcher = page_board(directory, board, "sim-ocpp-page")
        both, both_started = start_daemon(evsed, both_file, directory, "charging_with_page_and_ocpp_tls")
        runs.append(("charging_with_page_and_ocpp_tls", both, both_started))
        watchers.append(both_watcher)
    else:
        print("  (no Tests/peers/.venv: make test makes it; the OCPP footprint is left out)", flush=True)
    print("building the benchmarks and the pymodbus environment...", flush=True)
    build("loop-bench")
    build("ledger-bench")
    python = venv()

    print("control loop:", flush=True)
    cores = os.cpu_count() or 1
    for mode in (["timing", "--seconds", str(options.loop_seconds)],
                 "cyclictest",
                 ["timing", "--seconds", str(options.loop_seconds), "--busy", str(max(1, cores - 1))],
                 ["timing", "--seconds", str(options.loop_seconds), "--busy", str(cores)],
                 ["reaction", "--trips", str(options.trips)],
                 ["reaction", "--trips", str(max(100, options.trips // 2)), "--ads1115"],
                 # As on a board file with [control] cpu_wake_latency_us = 0.
                 ["timing", "--seconds", str(options.loop_seconds), "--cpu-wake-latency-us", "0"],
                 ["reaction", "--trips", str(options.trips), "--cpu-wake-latency-us", "0"]):
        if mode == "cyclictest":
            cyclictest(options.loop_seconds)
            continue
        for entry in json_lines(run([os.path.join(binaries, "loop-bench")] + mode).stdout):
            value = entry["value"]
            # The targets hold with and without the board file's PM QoS request.
            name = re.sub(r"^cpu_wake_[0-9]+us_", "", entry["figure"])
            target = None
            if name.startswith("lateness_") and name.endswith("p99_9_ms") and "all_cores" not in name:
                target = "< 1 ms"
                figure("loop", entry["figure"], value, entry["unit"], entry.get("note", ""), target, value < 1)
            elif name == "fault_reaction_p99_9_ms":
                figure("loop", entry["figure"], value, entry["unit"], entry.get("note", ""), "≤ 0.2 ms (the standard: 100 ms)", value <= 0.2)
            elif name.startswith("charging_"):
                figure("loop", entry["figure"], value, entry["unit"], entry.get("note", ""), "1", value == 1)
            elif name.startswith("overruns_") or name in ("fault_reaction_missed", "fault_reaction_ads1115_missed"):
                # A trip that was not seen, or a charger that did not charge, is a broken bench or
                # a broken loop: either way the table must show it.
                figure("loop", entry["figure"], value, entry["unit"], entry.get("note", ""), "0", value == 0)
            else:
                figure("loop", entry["figure"], value, entry["unit"], entry.get("note", ""))

    print("control loop through the kernel (gpio-sim in QEMU, Tests/guest/run.sh):", flush=True)
    guest = subprocess.run([os.path.join(ROOT, "Tests", "guest", "run.sh"), "bench", "reaction", "--kernel",
                            "--trips", str(50 if options.quick else 500)], cwd=ROOT, text=True, capture_output=True)
    entries = json_lines("\n".join(line.strip("\r") for line in guest.stdout.splitlines() if line.startswith('{"benchmark"')))
    if not entries:
        print("  (no figures from the guest: " + (guest.stdout.strip().splitlines() or ["no output"])[-1] + ")", flush=True)
    for entry in entries:
        name, value = entry["figure"], entry["value"]
        if name == "kernel_fault_reaction_missed":
            figure("loop", name, value, entry["unit"], entry.get("note", ""), "0", value == 0)
        else:
            figure("loop", name, value, entry["unit"], entry.get("note", ""))

    print("modbus: a full SDM630 reading against evsed sim-meter over a pseudo-terminal pair:", flush=True)
    for baud, readings in ((9600, 40), (19200, 80), (38400, 120)):
        if options.quick:
            readings = 10
        blocks, results = modbus(evsed, python, baud, readings)
        allowed = line_allows(blocks, baud)
        ours = results["evsed"][0]
        for client, (rate, cpu) in results.items():
            efficiency = rate / allowed
            note = f"{len(blocks)} requests per reading; the line allows {allowed:.2f} readings/s"
            if client == "evsed":
                figure("modbus", f"{client}_{baud}_efficiency", efficiency, "fraction", note, "≥ 0.90", efficiency >= 0.9)
            else:
                figure("modbus", f"{client}_{baud}_efficiency", efficiency, "fraction", note)
                figure("modbus", f"evsed_over_{client}_{baud}", ours / rate, "ratio", "readings per second, evsed ÷ " + client)
            figure("modbus", f"{client}_{baud}_cpu_per_reading_ms", cpu * 1000, "ms", "user + system CPU of the client process(es)")

    print("ledger:", flush=True)
    for entry in json_lines(run([os.path.join(binaries, "ledger-bench"), "--sessions", str(options.sessions), "--evsed", evsed]).stdout):
        figure("ledger", entry["figure"], entry["value"], entry["unit"], entry.get("note", ""))

    print("footprint:", flush=True)
    ready_median, ready_max = ready_time(evsed, directory, 5 if options.quick else 10)
    figure("footprint", "ready_seconds", ready_median, "s", f"start to READY=1 on the simulated board, median; max {ready_max:.3f} s")
    binary_copy = os.path.join(directory, "evsed-stripped")
    shutil.copy(evsed, binary_copy)
    subprocess.run(["strip", binary_copy], check=True)
    figure("footprint", "release_binary_bytes", os.path.getsize(binary_copy), "bytes",
           "stripped, the Swift runtime linked in (--static-swift-stdlib)")
    remaining = options.footprint_seconds - (time.monotonic() - charging_started)
    if remaining > 0:
        print(f"  (waiting {remaining:.0f} s more for the footprint runs)", flush=True)
        time.sleep(remaining)
    descriptions = {
        "charging_with_alerts": "charging, with email, webhook and MQTT channels (libcurl and libmosquitto loaded)",
        "charging_with_ocpp_tls": "charging, connected to a central system over TLS (OCPP security profile 2; libwebsockets and OpenSSL loaded)",
        "charging_with_page": "charging, the owner's page served (libmicrohttpd loaded) with a browser's event stream open",
        "charging_with_page_and_ocpp_tls": "charging, the owner's page with an event stream open and a central system over TLS",
    }
    targets = {"charging": 20, "charging_with_ocpp_tls": 30, "charging_with_page": 25, "charging_with_page_and_ocpp_tls": 32}
    for name, process, started in runs:
        rss, cpu = proc_figures(process.pid)
        elapsed = time.monotonic() - started
        what = descriptions.get(name, name)
        target = targets.get(name)
        figure("footprint", f"rss_{name}_mb", rss / 1024, "MB", f"resident memory of evsed run after {elapsed:.0f} s {what}",
               f"≤ {target} MB" if target else None, rss / 1024 <= target if target else None)
        share = cpu / elapsed * 100
        figure("footprint", f"cpu_{name}_percent", share, "% of one core", f"{cpu:.2f} s CPU in {elapsed:.0f} s {what}",
               "≤ 1 %", share <= 1)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    for watcher in watchers:
        watcher.kill()
    if csms:
        connected = sum(1 for line in open(os.path.join(directory, "tls", "csms.jsonl")) if '"MeterValues"' in line)
        figure("footprint", "ocpp_meter_values_received", connected, "messages",
               "MeterValues the central system received from the OCPP footprint run (0: it never connected, and its figure means nothing)")
        csms.kill()
    shutil.rmtree(directory, ignore_errors=True)
    write_results(time.monotonic() - began, options)


def write_results(seconds, options):
    os.makedirs(RESULTS, exist_ok=True)
    machine = {
        "cpu": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "swift": subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": round(seconds),
        "quick": options.quick,
    }
    with open(os.path.join(RESULTS, "latest.json"), "w") as output:
        json.dump({"machine": machine, "figures": figures}, output, indent=1, ensure_ascii=False)
        output.write("\n")
    lines = ["# evsed benchmarks: latest run", "",
             f"{machine['date']} · {machine['cpu']} · {machine['cores']} cores · Linux {machine['kernel']} · {machine['swift']}",
             f"· {machine['seconds']} s" + (" · **quick run (short durations)**" if options.quick else ""), "",
             "See BENCHMARKS.md for what each figure means.", ""]
    for benchmark in ("loop", "modbus", "ledger", "footprint"):
        lines += [f"## {benchmark}", "", "| figure | value | unit | target | note |", "| --- | ---: | --- | --- | --- |"]
        for entry in (entry for entry in figures if entry["benchmark"] == benchmark):
            value = entry["value"]
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            target = entry.get("target", "")
            if target:
                target += " ✓" if entry["met"] else " ✗ missed"
            lines.append(f"| {entry['figure']} | {shown} | {entry['unit']} | {target} | {entry['note']} |")
        lines.append("")
    with open(os.path.join(RESULTS, "latest.md"), "w") as output:
        output.write("\n".join(lines))
    print(f"wrote bench/results/latest.md and latest.json in {seconds:.0f} s")


if __name__ == "__main__":
    main()
