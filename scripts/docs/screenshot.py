#!/usr/bin/env python3
"""Screenshots of the web app on the demo data, for the README (python3 stdlib + chromedriver).

Usage: scripts/docs/screenshot.py BASE_URL USER PASSWORD OUT_DIR [PATH=NAME ...]
Signs in at BASE_URL/login in headless Chromium (Debian's chromium + chromium-driver, as the
browser tests use) and saves one PNG per PATH, e.g. /queues/service=inbox.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def call(driver, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(driver + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["value"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    base, user, password, out = sys.argv[1:5]
    pages = [arg.split("=", 1) for arg in sys.argv[5:]] or [["/queues/service", "inbox"]]
    os.makedirs(out, exist_ok=True)
    port = free_port()
    chromedriver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(driver, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        options = {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,860"]}
        session = call(driver, "POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
        sid = session["sessionId"]
        s = f"/session/{sid}"
        call(driver, "POST", s + "/url", {"url": base + "/login"})
        for field, value in (("#username", user), ("#password", password)):
            element = call(driver, "POST", s + "/element", {"using": "css selector", "value": field})
            element_id = next(iter(element.values()))
            call(driver, "POST", f"{s}/element/{element_id}/value", {"text": value})
        button = call(driver, "POST", s + "/element", {"using": "css selector", "value": "#login button, #login [type=submit]"})
        call(driver, "POST", f"{s}/element/{next(iter(button.values()))}/click", {})
        time.sleep(1)
        for path, name in pages:
            call(driver, "POST", s + "/url", {"url": base + path})
            time.sleep(1)
            png = base64.b64decode(call(driver, "GET", s + "/screenshot"))
            target = os.path.join(out, name + ".png")
            with open(target, "wb") as handle:
                handle.write(png)
            print(target)
        call(driver, "DELETE", s)
    finally:
        chromedriver.terminate()


if __name__ == "__main__":
    main()
