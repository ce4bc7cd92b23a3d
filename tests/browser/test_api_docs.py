"""The API docs in a real browser (Debian's Chromium): Swagger UI and Redoc render from the
server's own assets, ask no other host for anything, and Swagger UI's "Try it out" works
with a real access token."""

import pytest

from tests.browser.support import skip_unless_browser

skip_unless_browser()

from drf_spectacular.settings import patched_settings  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

from tests.factories import UserFactory  # noqa: E402
from users.sessions import tokens_for_user  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

SIDECAR = "/static/drf_spectacular_sidecar/"


def assert_everything_came_from(network, browser) -> None:
    assert network.failed() == []
    assert network.elsewhere(browser.live_server_url) == []


def test_swagger_ui_renders_from_local_assets(browser, wait, network):
    browser.get(browser.live_server_url + "/api/docs/")
    wait.until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#swagger-ui .info .title"), "yayin")
    )
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#swagger-ui .opblock")))

    network.read(browser)
    assert network.status_of("/api/schema/") == 200
    assets = network.paths_under(SIDECAR + "swagger-ui-dist/")
    assert {path.rsplit("/", 1)[-1] for path in assets} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    }
    assert all(network.status_of(path) == 200 for path in assets)
    assert_everything_came_from(network, browser)


def test_redoc_renders_from_local_assets(browser, wait, network):
    browser.get(browser.live_server_url + "/api/redoc/")
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".api-info h1"), "yayin API"))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-section-id]")))

    network.read(browser)
    assert network.status_of("/api/schema/") == 200
    assets = network.paths_under(SIDECAR + "redoc/")
    assert assets
    assert all(network.status_of(path) == 200 for path in assets)
    assert_everything_came_from(network, browser)


def test_authorize_then_try_it_out_on_users_me_answers_200(browser, wait, network, live_server):
    user = UserFactory(username="docs.reader")
    token = tokens_for_user(user=user)["access_token"]
    # The schema's servers are the development and public URLs; here the docs must talk to
    # the server they came from.
    servers = [{"url": live_server.url, "description": "This test server"}]

    with patched_settings({"SERVERS": servers}):
        browser.get(browser.live_server_url + "/api/docs/")
        wait.until(
            EC.element_to_be_clickable((By.CSS_SELECTOR, ".auth-wrapper button.authorize"))
        ).click()
        modal = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
        modal.find_element(By.CSS_SELECTOR, "input[type=text], input[type=password]").send_keys(
            token
        )
        modal.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".modal-ux .btn-done")))
        modal.find_element(By.CSS_SELECTOR, ".btn-done").click()

        operation = browser.find_element(By.ID, "operations-users-users_me_retrieve")
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
        wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
        operation.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".opblock .execute"))).click()
        status = wait.until(
            EC.visibility_of_element_located(
                (By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
            )
        )

        assert status.text.strip() == "200"
        body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
        assert '"isSuccess": true' in body
        assert '"username": "docs.reader"' in body
        network.read(browser)
        me = [url for url in network.urls if url.endswith("/api/v1/users/me")]
        assert me == [live_server.url + "/api/v1/users/me"]
        assert_everything_came_from(network, browser)
