"""A live Coplan on a free loopback port, driven by Debian's headless Chromium."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import build_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the browser exercises pages; the database suites cover PostgreSQL


@pytest.fixture
def live_app(tmp_path, pg_schema):
    app = build_app(tmp_path, "sqlite", pg_schema, SERVER_NAME=None)
    return app


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (make test installs it)")
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Debian chromium and chromium-driver are not installed "
                    "(make test installs them when run as root with apt-get)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


def console_errors(driver) -> list[str]:
    """Console messages at error level (CSP violations are reported there)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "ERROR")
            and "favicon.ico" not in entry["message"]]
