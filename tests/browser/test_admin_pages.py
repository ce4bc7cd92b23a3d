"""The operators' admin in a real browser (Debian's Chromium) at a 1366 px wide window:
staff sign in through the form, the stream list fits, the actions run, consent records are
read-only, and a view-only operator is offered no action."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.browser.support import WINDOW, skip_unless_browser

skip_unless_browser()

from django.contrib.auth.models import Permission  # noqa: E402
from django.utils import timezone  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from consents.models import ConsentRecord  # noqa: E402
from livestreams.models import (  # noqa: E402
    LiveStream,
    LiveStreamStatus,
    LiveStreamType,
    Participation,
)
from tests.consents.factories import ConsentRecordFactory, publish  # noqa: E402
from tests.factories import StaffFactory, UserFactory  # noqa: E402
from tests.livestreams.factories import (  # noqa: E402
    LiveStreamFactory,
    LiveStreamGuestFactory,
    in_audience,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-strong-admin-password-1"
CHANGELIST = "/admin/livestreams/livestream/"


def with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(browser, wait, username: str) -> None:
    """Through the admin's own login form, as an operator would."""
    browser.get(browser.live_server_url + "/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "user-tools")))


@pytest.fixture
def operator(db):
    return with_password(StaffFactory(username="ops"))


@pytest.fixture
def demo_like_streams():
    """The demo's kind of rows: its people, titles and states, paid and free, with guests and
    an audience, and every date column filled somewhere."""
    now = timezone.now()
    people = {
        name: UserFactory(username=name)
        for name in ("demo_ayse", "demo_mehmet", "demo_zeynep", "demo_can", "demo_elif")
    }
    active = LiveStreamFactory(
        title="Akustik akşam: gitar ve şarkılar",
        creator=people["demo_ayse"],
        active=True,
        started_at=now - timedelta(minutes=20),
    )
    in_audience(active, people["demo_mehmet"])
    in_audience(active, people["demo_zeynep"])
    scheduled = LiveStreamFactory(
        title="Şefin mutfağı: İstanbul lezzetleri",
        creator=people["demo_mehmet"],
        live_stream_type=LiveStreamType.DUOSELF,
        paid=True,
        interest="food",
        planned_start_date=now + timedelta(days=2),
        planned_end_date=now + timedelta(days=2, hours=1),
    )
    LiveStreamGuestFactory(live_stream=scheduled, user=people["demo_elif"])
    ended = LiveStreamFactory(
        title="Sabah yogası ve nefes",
        creator=people["demo_zeynep"],
        live_stream_type=LiveStreamType.DUOCROWD,
        status=LiveStreamStatus.ENDED,
        interest="fitness",
        planned_start_date=now - timedelta(days=1),
        planned_end_date=now - timedelta(days=1) + timedelta(hours=1),
        started_at=now - timedelta(days=1),
        ended_at=now - timedelta(days=1) + timedelta(minutes=55),
        recording=True,
        is_active_replay_on_creator_profile=True,
        replay_credit_price=Decimal("3.00"),
    )
    LiveStreamFactory(
        title="Oyun gecesi turnuvası",
        creator=people["demo_can"],
        status=LiveStreamStatus.CANCELLED_BY_GUEST,
        interest="gaming",
    )
    LiveStreamFactory(
        title="Girişimcilik sohbeti",
        creator=people["demo_elif"],
        status=LiveStreamStatus.EXPIRED,
        interest="business",
        deleted_at=now,
    )
    # The widest a row gets: a 30-character username and a 120-character title.
    LiveStreamFactory(
        title=("Uzun bir başlık " * 8)[:120],
        creator=UserFactory(username="a_username_of_thirty_chars_.30"),
        paid=True,
        price=Decimal("99999.99"),
        status=LiveStreamStatus.CANCELLED_BY_HOST,
    )
    return {"active": active, "scheduled": scheduled, "ended": ended}


def test_the_stream_list_fits_a_1366_px_window(
    browser, wait, network, operator, demo_like_streams, tmp_path
):
    sign_in(browser, wait, "ops")
    browser.get(browser.live_server_url + CHANGELIST)
    wait.until(EC.presence_of_element_located((By.ID, "result_list")))
    browser.save_screenshot(str(tmp_path / "admin-stream-list-1366.png"))

    sizes = browser.execute_script(
        "const root = document.documentElement;"
        "const results = document.querySelector('#changelist-form .results');"
        "return {inner: window.innerWidth, scroll: root.scrollWidth, client: root.clientWidth,"
        " resultsScroll: results.scrollWidth, resultsClient: results.clientWidth,"
        " rows: document.querySelectorAll('#result_list tbody tr').length};"
    )
    assert sizes["inner"] == WINDOW[0]
    assert sizes["rows"] == 6
    # Neither the page nor the list's own scroll box (the admin wraps the table in one)
    # scrolls sideways: every column is in view.
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["resultsScroll"] <= sizes["resultsClient"], sizes
    # The admin's own assets are served (by the static files finders: DEBUG is off).
    network.read(browser)
    assert network.status_of("/static/admin/css/base.css") == 200
    assert network.status_of("/static/admin/css/changelists.css") == 200
    assert network.status_of("/static/admin-overrides/livestreams.css") == 200
    assert network.failed() == []
    assert network.elsewhere(browser.live_server_url) == []


def choose_action(browser, wait, stream, action: str) -> str:
    """Tick the stream's row, pick the action, press Go; the message the admin shows."""
    browser.get(browser.live_server_url + CHANGELIST)
    browser.find_element(
        By.CSS_SELECTOR, f"#result_list input.action-select[value='{stream.pk}']"
    ).click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.CSS_SELECTOR, "#changelist-form button[name=index]").click()
    return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li"))).text


def test_the_end_and_cancel_actions_work_from_the_changelist(
    browser, wait, operator, demo_like_streams
):
    active, scheduled = demo_like_streams["active"], demo_like_streams["scheduled"]
    sign_in(browser, wait, "ops")

    ended_message = choose_action(browser, wait, active, "end_streams")
    cancelled_message = choose_action(browser, wait, scheduled, "cancel_streams")

    assert ended_message == "1 stream ended."
    assert cancelled_message == "1 stream cancelled."
    active.refresh_from_db()
    assert active.status == LiveStreamStatus.ENDED
    assert active.ended_at is not None
    assert not Participation.objects.filter(live_stream=active, left_at__isnull=True).exists()
    assert LiveStream.objects.get(pk=scheduled.pk).status == LiveStreamStatus.CANCELLED_BY_HOST


def test_consent_records_are_read_only(browser, wait, operator, user):
    publish("privacy_policy", "1.0.0", "en")
    record = ConsentRecordFactory(user=user, ip_address="198.51.100.23")
    before = list(ConsentRecord.objects.values())
    sign_in(browser, wait, "ops")

    browser.get(browser.live_server_url + "/admin/consents/consentrecord/")
    wait.until(EC.presence_of_element_located((By.ID, "result_list")))
    list_actions = browser.find_elements(By.NAME, "action")
    add_links = browser.find_elements(By.CSS_SELECTOR, "#content .object-tools a.addlink")
    browser.get(browser.live_server_url + f"/admin/consents/consentrecord/{record.pk}/change/")
    form = wait.until(EC.presence_of_element_located((By.ID, "consentrecord_form")))

    assert list_actions == []
    assert add_links == []
    assert "198.51.100.23" in form.text
    assert form.find_elements(By.CSS_SELECTOR, "[name=_save], [name=_continue]") == []
    editable = form.find_elements(
        By.CSS_SELECTOR, "fieldset input:not([type=hidden]), fieldset select, fieldset textarea"
    )
    assert editable == []
    assert len(form.find_elements(By.CSS_SELECTOR, "fieldset div.readonly")) >= 9
    assert browser.find_elements(By.CSS_SELECTOR, "a.deletelink") == []
    assert list(ConsentRecord.objects.values()) == before


def test_a_view_only_operator_sees_no_action(browser, wait, demo_like_streams):
    viewer = with_password(UserFactory(username="viewer", is_staff=True))
    viewer.user_permissions.add(Permission.objects.get(codename="view_livestream"))
    sign_in(browser, wait, "viewer")

    browser.get(browser.live_server_url + CHANGELIST)
    wait.until(EC.presence_of_element_located((By.ID, "result_list")))

    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 6
    assert browser.find_elements(By.NAME, "action") == []
    assert browser.find_elements(By.CSS_SELECTOR, "input.action-select") == []
    for label in ("End the selected", "Cancel the selected", "Delete the selected", "Restore"):
        assert label not in browser.page_source


def test_a_recording_is_attached_from_the_change_page(browser, wait, operator, demo_like_streams):
    """The change page's own recording form, with its CSRF token, as an operator fills it in;
    the page with the form still fits the window."""
    stream = demo_like_streams["ended"]
    url = "https://cdn.example.com/recordings/sabah-yogasi.m3u8"
    sign_in(browser, wait, "ops")
    browser.get(browser.live_server_url + f"{CHANGELIST}{stream.pk}/change/")
    form = wait.until(EC.presence_of_element_located((By.ID, "attach_recording_form")))
    sizes = browser.execute_script(
        "const root = document.documentElement;"
        "return {scroll: root.scrollWidth, client: root.clientWidth};"
    )

    form.find_element(By.NAME, "recording-url").send_keys(url)
    form.find_element(By.NAME, "_attach").click()
    message = wait.until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li"))
    ).text

    assert sizes["scroll"] <= sizes["client"], sizes
    assert message == f"Recording attached to Sabah yogası ve nefes: {url}"
    assert browser.current_url == browser.live_server_url + f"{CHANGELIST}{stream.pk}/change/"
    stream.refresh_from_db()
    assert (stream.recording, stream.recording_url) == (True, url)
    assert url in browser.find_element(By.CSS_SELECTOR, ".field-recording_url .readonly").text


def test_a_view_only_operator_gets_no_recording_form(browser, wait, demo_like_streams):
    viewer = with_password(UserFactory(username="viewer", is_staff=True))
    viewer.user_permissions.add(Permission.objects.get(codename="view_livestream"))
    stream = demo_like_streams["ended"]
    sign_in(browser, wait, "viewer")

    browser.get(browser.live_server_url + f"{CHANGELIST}{stream.pk}/change/")
    wait.until(EC.presence_of_element_located((By.ID, "livestream_form")))

    assert browser.find_elements(By.ID, "attach_recording_form") == []
    assert browser.find_elements(By.CSS_SELECTOR, "input[type=file], input[type=url]") == []
