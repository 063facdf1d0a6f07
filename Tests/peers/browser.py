#!/usr/bin/env python3
"""A real browser for evsed's tests: Debian's headless Chromium, driven over the DevTools protocol.

    browser.py URL

opens URL in a phone-sized window and prints "listening READY" once the page has loaded. Then it
reads commands on stdin, one per line, and answers each with one JSON line on stdout:

    eval EXPRESSION     {"value": ...}      the expression's value in the page (the live DOM)
    shot PATH           {"saved": PATH}     a PNG screenshot of the page as rendered
    quit

The page keeps running between commands (its event stream included), so a test can watch the
DOM change as the charger charges.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.sync.client import connect


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no chromium: apt install chromium")


class Page:
    def __init__(self, socket):
        self.socket = socket
        self.number = 0

    def call(self, method, **params):
        self.number += 1
        self.socket.send(json.dumps({"id": self.number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.number:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", {})


def main():
    url = sys.argv[1]
    profile = tempfile.mkdtemp(prefix="evsed-browser-")
    process = subprocess.Popen([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=412,915",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or process.poll() is not None:
                sys.exit("chromium did not start")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port))
        target = next(t for t in targets if t.get("type") == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None) as socket:
            page = Page(socket)
            page.call("Page.enable")
            page.call("Emulation.setDeviceMetricsOverride", width=412, height=915, deviceScaleFactor=1, mobile=True)
            page.call("Page.navigate", url=url)
            deadline = time.time() + 30
            while page.call("Runtime.evaluate", expression="document.readyState", returnByValue=True)["result"].get("value") != "complete":
                if time.time() > deadline:
                    sys.exit("the page did not load")
                time.sleep(0.1)
            print("listening READY", flush=True)
            for line in sys.stdin:
                verb, _, argument = line.rstrip("\n").partition(" ")
                if verb == "eval":
                    result = page.call("Runtime.evaluate", expression=argument, returnByValue=True)
                    print(json.dumps({"value": result.get("result", {}).get("value")}), flush=True)
                elif verb == "shot":
                    data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
                    with open(argument, "wb") as out:
                        out.write(base64.b64decode(data))
                    print(json.dumps({"saved": argument}), flush=True)
                elif verb == "quit":
                    break
                else:
                    print(json.dumps({"error": "unknown command " + verb}), flush=True)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
