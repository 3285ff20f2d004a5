"""Browser tests: the real application under uvicorn in a thread, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcocrm.app import create_app
from telcocrm.customers import repository
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer
from telcocrm.staff.service import create_staff
from tests.conftest import STAFF_PASSWORD
from tests.factories import make_account, make_line, make_person

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
START_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Shop:
    """What a store clerk's day starts with: the running workbench, a login and a known customer."""

    base_url: str
    clerk: str
    password: str
    customer_code: str
    customer_name: str
    certificate: str
    service_number: str


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run; the tests are skipped only if Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page at 1280 px wide."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _loopback_socket() -> socket.socket:
    """A listening socket on a free 127.0.0.1 port, handed to uvicorn so no other process can take the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@pytest.fixture
def live_url(clean_engine: Engine) -> Iterator[str]:
    """The whole application served by uvicorn in a background thread against the test database."""
    sock = _loopback_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(clean_engine), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        sock.close()


@pytest.fixture
def shop(live_url: str, db: Session, admin: Viewer) -> Shop:
    """A store clerk and 张伟 (resident ID, an individual account, one mobile line) on the live server."""
    create_staff(db=db, username="clerk_e2e", role=StaffRole.STORE_CLERK, password=STAFF_PASSWORD, display_name="王芳")
    customer = make_person(db, admin, "张伟")
    account = make_account(db, admin, customer)
    line = make_line(db, admin, customer, account, number="13912345678")
    db.commit()
    certificate = repository.active_certificates(db, customer.id)[0].cert_number
    return Shop(
        base_url=live_url,
        clerk="clerk_e2e",
        password=STAFF_PASSWORD,
        customer_code=customer.code,
        customer_name=customer.name,
        certificate=certificate,
        service_number=line.service_number,
    )
