"""Fixtures for the browser tests: one Chromium for the whole run, a clean page per test."""

import pytest

from tests.browser.support import WAIT_SECONDS, Network, start_chromium


@pytest.fixture(scope="session")
def chromium(live_server):
    """Needs the live server so that it quits first: the server's request threads must not
    outlive it while Chromium still holds keep-alive connections to them."""
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, live_server, settings):
    """The shared browser, signed out, at a blank page, with the network log drained.

    Passwords are hashed quickly (the live server runs in this process, so it sees the
    setting too)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    chromium.get(live_server.url + "/health/")
    chromium.delete_all_cookies()
    chromium.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
    chromium.get("about:blank")
    chromium.get_log("performance")
    chromium.live_server_url = live_server.url
    yield chromium
    chromium.get("about:blank")


@pytest.fixture
def network():
    return Network()


@pytest.fixture
def wait(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_SECONDS)
