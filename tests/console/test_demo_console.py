"""`calldata demo` prints the console's URL and logins that work in a browser (as printed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from servers import free_port


def test_the_printed_console_url_and_login_work(tmp_path: Path, page: Page) -> None:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")}
    environ |= {"PYTHONUNBUFFERED": "1", "CALLDATA_PASSWORD_HASH_PROFILE": "CHEAPEST"}
    process = subprocess.Popen([sys.executable, "-m", "calldata", "demo", "--rows", "300", "--port", str(port)],
                               cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        printed = ""
        for line in process.stdout:
            printed += line
            if line.startswith("billing login:"):
                break
        url = re.search(r"The web console at (\S+)", printed)
        login = re.search(r"billing login:\s+(\S+) / (\S+)", printed)
        assert url and login and url[1] == f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:  # the server starts after the lines are printed
            try:
                httpx.get(f"{url[1]}health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        page.goto(url[1])
        page.get_by_label("User name").fill(login[1])
        page.get_by_label("Password").fill(login[2])
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Calls")).to_be_visible()
        assert page.locator("table.calls tbody a").count() > 0
    finally:
        process.terminate()
        process.wait(30)
