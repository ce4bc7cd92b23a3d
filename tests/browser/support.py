"""What the browser tests share: where Debian's Chromium is, how to start it, and what the
page asked the network for.

Selenium drives /usr/bin/chromium through /usr/bin/chromedriver (Debian's `chromium` and
`chromium-driver` packages). The driver's path is given, so Selenium Manager never runs and
nothing is downloaded. Requests are read from the DevTools performance log.
"""

import json
import os
import shutil
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_PATH", "/usr/bin/chromedriver")
WINDOW = (1366, 900)
HEADLESS_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)
WAIT_SECONDS = 15


def skip_unless_browser() -> None:
    """Skip the calling test module (at import) when there is no browser to drive."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)) and not shutil.which(path):
            pytest.skip(
                f"browser tests need {path}, from Debian's {package} package "
                "(apt-get install chromium chromium-driver)",
                allow_module_level=True,
            )
    pytest.importorskip("selenium", reason="browser tests need selenium (pip install -e .[dev])")


def start_chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in HEADLESS_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    return driver


@dataclass
class Request:
    url: str
    status: int | None = None
    failure: str | None = None


@dataclass
class Network:
    """The page's requests since the log was last read, by DevTools request id."""

    requests: dict[str, Request] = field(default_factory=dict)

    def read(self, driver) -> "Network":
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            request_id = params.get("requestId")
            method = message.get("method")
            if method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if urlsplit(url).scheme in {"data", "blob"}:
                    continue
                self.requests.setdefault(request_id, Request(url=url)).url = url
            elif method == "Network.responseReceived" and request_id in self.requests:
                self.requests[request_id].status = params["response"]["status"]
            elif method == "Network.loadingFailed" and request_id in self.requests:
                self.requests[request_id].failure = params.get("errorText") or "failed"
        return self

    @property
    def urls(self) -> list[str]:
        return [request.url for request in self.requests.values()]

    def failed(self) -> list[Request]:
        return [
            request
            for request in self.requests.values()
            if request.failure or request.status is None or request.status >= 400
        ]

    def elsewhere(self, origin: str) -> list[str]:
        """URLs of requests to any host but `origin` (scheme://host:port)."""
        expected = urlsplit(origin)
        return [
            url
            for url in self.urls
            if (urlsplit(url).scheme, urlsplit(url).netloc) != (expected.scheme, expected.netloc)
        ]

    def status_of(self, path: str) -> int | None:
        for request in self.requests.values():
            if urlsplit(request.url).path == path:
                return request.status
        return None

    def paths_under(self, prefix: str) -> list[str]:
        return [urlsplit(url).path for url in self.urls if urlsplit(url).path.startswith(prefix)]
