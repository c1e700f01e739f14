"""Browser tests: the live stack of tests/support/live_stack.py (a real ganache, deployed contracts,
the app: the same session fixtures tests/integration uses, from tests/conftest.py) served
over HTTP by uvicorn and driven by Playwright with Debian's chromium.

Playwright's own browser download needs the internet; these tests use the system
chromium (`make browser` installs it) and skip, saying so, only when none is found.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from backend.chain.local_node import dev_private_key
from backend.demo.wallet import Wallet
from tests.support.live_stack import Investor, Node

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("RWA_SCREENSHOT_DIR", "/tmp"))
# ganache's deterministic accounts nobody else uses: unlocked on the node, so it signs their orders.
NODE_SIGNED_ACCOUNTS = range(4, 9)
# The browser's own log line for an HTTP error answer; the UI shows those answers itself.
EXPECTED_NETWORK_ERROR = "Failed to load resource: the server responded with a status of 4"
# Settlement and chain calls take a moment: wait up to 15 s for the page to catch up.
expect.set_options(timeout=15_000)


def find_chromium() -> str | None:
    candidates = [
        os.environ.get("RWA_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


# ---- the app over HTTP, and the browser ---------------------------------------------------------


@pytest.fixture(scope="session")
def base_url(client) -> Iterator[str]:
    """The same app object the `client` fixture drives (its lifespan already started the
    settlement worker), served by uvicorn on a loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(os.environ.get("RWA_TEST_WEB_PORT", "0"))))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(client.app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no chromium found (looked at $RWA_CHROMIUM, /usr/bin/chromium, PATH): "
            "run `make browser` or `apt-get install chromium`"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class UI:
    page: Page
    problems: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        path = SCREENSHOTS / f"ui-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_console_errors(self) -> None:
        assert self.problems == [], "the page logged errors:\n" + "\n".join(self.problems)


@pytest.fixture
def ui(browser: Browser, base_url: str) -> Iterator[UI]:
    """A fresh browser context (empty localStorage) on the app; JS errors are collected."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    view = UI(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(EXPECTED_NETWORK_ERROR):
            view.problems.append(f"console.error: {message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: view.problems.append(f"uncaught: {error}"))
    yield view
    context.close()


# ---- seeding through the REST API ------------------------------------------------------------------


@pytest.fixture
def node_signed_investor(client, admin: dict, node: Node) -> Callable[[], Investor]:
    """An investor whose wallet is an unlocked ganache account: the node signs its orders,
    so the trade ticket can send them unsigned (API.md, "Signed orders")."""

    def make() -> Investor:
        for index in NODE_SIGNED_ACCOUNTS:
            wallet = Wallet(dev_private_key(index), node.rpc_url)
            assert wallet.address == node.w3.eth.accounts[index]
            response = client.post(
                "/v1/investors",
                headers=admin,
                json={
                    "wallet": wallet.address,
                    "name": f"Node account {index}",
                    "country": "US",
                    "accredited": True,
                    "kyc_expires": (date.today() + timedelta(days=365)).isoformat(),
                },
            )
            if response.status_code == 201:
                body = response.json()
                return Investor(id=body["id"], wallet=wallet, api_key=body["api_key"])
        raise AssertionError(f"every node account {list(NODE_SIGNED_ACCOUNTS)} is already onboarded: {response.text}")

    return make
