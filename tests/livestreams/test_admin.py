"""The operators' admin (contract section 7): every page opens, every action runs, and
each action only for staff with its permission."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from livestreams import services
from livestreams.models import (
    LiveStream,
    LiveStreamStatus,
    LiveStreamType,
    Participation,
    ReplayRental,
)
from tests.factories import UserFactory
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory, in_audience
from tests.livestreams.helpers import balance_of, give_credits, money_snapshot
from users.credits import services as credits
from users.credits.models import CreditTransaction
from users.credits.selectors import ledger_audit

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/livestreams/livestream/"


def change_url(stream) -> str:
    return f"/admin/livestreams/livestream/{stream.pk}/change/"


@pytest.fixture
def admin_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def streams():
    """One stream in each interesting state, with a guest and an audience."""
    active = LiveStreamFactory(
        title="Canlı müzik", active=True, live_stream_type=LiveStreamType.DUOSELF
    )
    LiveStreamGuestFactory(live_stream=active)
    in_audience(active)
    in_audience(active, left_at=timezone.now())
    return {
        "active": active,
        "scheduled": LiveStreamFactory(title="Yarın", paid=True, interest="sports"),
        "ended": LiveStreamFactory(
            title="Bitti",
            status=LiveStreamStatus.ENDED,
            recording=True,
            is_active_replay_on_creator_profile=True,
            replay_credit_price=Decimal("3.00"),
        ),
        "deleted": LiveStreamFactory(title="Silinmiş", deleted_at=timezone.now()),
    }


def results(response) -> set[str]:
    return {stream.pk for stream in response.context["cl"].result_list}


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def levelled_notices(response) -> list[tuple[str, str]]:
    """(level, text) of each message the admin shows: "error", "warning", "success"."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


# --- Pages -----------------------------------------------------------------------------------


def columns(response) -> list[str]:
    return re.findall(r'<th scope="col" class="[^"]*column-(\w+)', response.content.decode())


def test_the_changelist_lists_every_stream_with_its_columns(admin_client, streams):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert results(response) == {stream.pk for stream in streams.values()}
    # Few columns, so the list fits a 1366 px screen; type and replay ride as second lines.
    assert columns(response) == [
        "title_and_kind",
        "creator",
        "status",
        "access",
        "planned",
        "on_air",
        "is_visible",
    ]
    content = response.content.decode()
    for header in ("Title", "Creator", "Status", "Access", "Planned", "On air", "Visible"):
        assert f">{header}</a>" in content, header


def cell(content: str, column: str, stream) -> str:
    """The changelist cell of `stream` in `column` (the first cell is a th with the link)."""
    row = re.search(
        rf'<tr>(?:(?!</tr>).)*value="{stream.pk}"(?:(?!</tr>).)*</tr>', content, re.DOTALL
    ).group(0)
    return re.search(rf'<t[dh] class="field-{column}[^"]*">(.*?)</t[dh]>', row).group(1)


def test_the_title_cell_shows_the_type_and_interest_below_the_title(admin_client, streams):
    no_interest = LiveStreamFactory(title="Konusuz", interest=None)

    content = admin_client.get(CHANGELIST).content.decode()

    link = f'<a href="{change_url(streams["scheduled"])}">'
    assert cell(content, "title_and_kind", streams["scheduled"]) == (
        f'{link}Yarın<span class="cell-detail">Solo · Sports</span></a>'
    )
    assert cell(content, "title_and_kind", streams["active"]).endswith(
        'Canlı müzik<span class="cell-detail">Duo (self) · Music</span></a>'
    )
    # No interest: the type alone.
    assert cell(content, "title_and_kind", no_interest).endswith(
        'Konusuz<span class="cell-detail">Solo</span></a>'
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, 'Free<span class="cell-detail">Replay – · –</span>'),
        ({"paid": True}, 'Paid 9.99<span class="cell-detail">Replay – · –</span>'),
        (
            {"replay_credit_price": Decimal("4.99"), "is_active_replay_on_creator_profile": True},
            'Free<span class="cell-detail">Replay 4.99 · on</span>',
        ),
        (
            {"paid": True, "is_active_replay_on_creator_profile": False},
            'Paid 9.99<span class="cell-detail">Replay – · off</span>',
        ),
    ],
)
def test_the_access_cell_shows_the_price_and_the_replay_below_it(admin_client, fields, expected):
    stream = LiveStreamFactory(**fields)

    content = admin_client.get(CHANGELIST).content.decode()

    assert cell(content, "access", stream) == expected


def time_cell(iso: str, full: str, shown: str) -> str:
    return f'<time datetime="{iso}" title="{full}">{shown}</time>'


@time_machine.travel(datetime(2025, 12, 3, 9, 0, tzinfo=UTC), tick=False)
def test_the_changelist_shows_compact_dates_and_the_price_with_the_access(admin_client):
    LiveStreamFactory(
        title="Bitti bu yıl",
        paid=True,
        status=LiveStreamStatus.ENDED,
        planned_start_date=datetime(2025, 12, 1, 14, 5, tzinfo=UTC),
        planned_end_date=datetime(2025, 12, 1, 15, 5, tzinfo=UTC),
        started_at=datetime(2025, 12, 1, 14, 7, tzinfo=UTC),
        ended_at=datetime(2025, 12, 1, 15, 2, tzinfo=UTC),
    )
    LiveStreamFactory(
        title="Gece yarısını geçti",
        status=LiveStreamStatus.ENDED,
        planned_start_date=datetime(2025, 12, 2, 23, 0, tzinfo=UTC),
        planned_end_date=datetime(2025, 12, 3, 0, 0, tzinfo=UTC),
        started_at=datetime(2025, 12, 2, 23, 1, tzinfo=UTC),
        ended_at=datetime(2025, 12, 3, 0, 30, tzinfo=UTC),
    )
    LiveStreamFactory(
        title="Şimdi canlı",
        status=LiveStreamStatus.ACTIVE,
        planned_start_date=datetime(2025, 12, 3, 8, 30, tzinfo=UTC),
        planned_end_date=datetime(2025, 12, 3, 9, 30, tzinfo=UTC),
        started_at=datetime(2025, 12, 3, 8, 31, tzinfo=UTC),
    )
    LiveStreamFactory(
        title="Geçen yıl planlandı",
        planned_start_date=datetime(2024, 11, 30, 8, 0, tzinfo=UTC),
        planned_end_date=datetime(2024, 11, 30, 9, 0, tzinfo=UTC),
    )

    content = admin_client.get(CHANGELIST).content.decode()

    planned = time_cell("2025-12-01T14:05:00+00:00", "Dec. 1, 2025, 2:05 p.m.", "01 Dec 14:05")
    assert f'<td class="field-planned">{planned}</td>' in content
    # On air: the start, and the end's time (with its date when it is another day's).
    started = time_cell("2025-12-01T14:07:00+00:00", "Dec. 1, 2025, 2:07 p.m.", "01 Dec 14:07")
    ended = time_cell("2025-12-01T15:02:00+00:00", "Dec. 1, 2025, 3:02 p.m.", "15:02")
    assert f'<td class="field-on_air">{started} – {ended}</td>' in content
    assert ">02 Dec 23:01</time> – <time" in content
    assert ">03 Dec 00:30</time></td>" in content
    assert ">03 Dec 08:31</time> –</td>" in content
    # Another year's date carries its year; a stream that never started was never on air.
    assert ">30 Nov 2024 08:00</time></td>" in content
    assert content.count('<td class="field-on_air">-</td>') == 1
    assert content.count('<td class="field-access">Paid 9.99<span class="cell-detail">') == 1
    assert content.count('<td class="field-access">Free<span class="cell-detail">') == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Canlı", {"active"}),
        ("yarin-", {"scheduled"}),
    ],
)
def test_search_finds_by_title_and_channel_name(admin_client, streams, query, expected):
    response = admin_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert results(response) == {streams[name].pk for name in expected}


def test_search_finds_by_creator_username(admin_client, streams):
    creator = streams["ended"].creator

    response = admin_client.get(CHANGELIST, {"q": creator.username})

    assert results(response) == {streams["ended"].pk}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "active"}, {"active"}),
        ({"live_stream_type__exact": "duoself"}, {"active"}),
        ({"access_type__exact": "paid"}, {"scheduled"}),
        ({"interest__exact": "sports"}, {"scheduled"}),
        ({"deleted": "yes"}, {"deleted"}),
        ({"deleted": "no"}, {"active", "scheduled", "ended"}),
    ],
)
def test_each_filter_narrows_the_list(admin_client, streams, params, expected):
    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == 200
    assert results(response) == {streams[name].pk for name in expected}


@pytest.mark.parametrize("size", [3, 40])
def test_the_changelist_runs_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, size
):
    LiveStreamFactory.create_batch(size)

    # Session, staff user, count, the page of streams joined to their creators, and the two
    # date-hierarchy queries. Creators come by join, so the count does not grow with rows.
    with django_assert_num_queries(6):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200


def test_the_change_page_shows_guests_and_stays_read_only(admin_client, streams):
    stream = streams["active"]

    response = admin_client.get(change_url(stream))

    assert response.status_code == 200
    content = response.content.decode()
    assert stream.guest_invitations.get().user.username in content
    for stay in Participation.objects.filter(live_stream=stream):
        assert stay.participant.user.username in content
    assert 'name="replay_credit_price"' in content
    assert 'name="is_active_replay_on_creator_profile"' in content
    assert 'name="title"' not in content
    assert 'name="status"' not in content


def test_the_change_page_links_to_the_streams_ledger_rows(admin_client, staff_user, streams):
    stream = streams["scheduled"]
    viewer = UserFactory()
    credits.balance_adjust(user=viewer, amount=Decimal("20"), reason="test", staff=staff_user)
    credits.ticket_charge(
        viewer=viewer, creator=stream.creator, live_stream=stream, price=Decimal("9.99")
    )

    content = admin_client.get(change_url(stream)).content.decode()
    ledger = f"/admin/users/credittransaction/?live_stream__id__exact={stream.pk}"
    rows = admin_client.get(ledger).context["cl"].result_list
    contributions = admin_client.get(f"{ledger}&kind=contributions").context["cl"].result_list

    assert f'<a href="{ledger}">Ledger rows of this stream</a>' in content
    assert f'<a href="{ledger}&amp;kind=contributions">Contributions and guest fees</a>' in content
    assert sorted(row.type for row in rows) == ["ticket", "ticket_income"]
    assert list(contributions) == []


@pytest.mark.parametrize("name", ["scheduled", "deleted"])
def test_the_change_page_opens_for_any_stream(admin_client, streams, name):
    assert admin_client.get(change_url(streams[name])).status_code == 200


def test_streams_cannot_be_added_or_hard_deleted(admin_client, streams):
    assert admin_client.get("/admin/livestreams/livestream/add/").status_code == 403
    delete = f"/admin/livestreams/livestream/{streams['ended'].pk}/delete/"
    assert admin_client.get(delete).status_code == 403


def test_app_users_cannot_open_the_admin(streams):
    client = Client()
    client.force_login(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def change_form(stream, **fields) -> dict:
    data = {
        "is_active_replay_on_creator_profile": "unknown",
        "replay_credit_price": "",
        "guest_invitations-TOTAL_FORMS": "0",
        "guest_invitations-INITIAL_FORMS": "0",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_the_replay_price_and_visibility_are_editable(admin_client, streams):
    stream = streams["scheduled"]
    form = change_form(
        stream,
        is_active_replay_on_creator_profile="true",
        replay_credit_price="7.25",
        title="hijacked",
        status="ended",
    )

    response = admin_client.post(change_url(stream), form)

    assert response.status_code == 302, response.content
    stream.refresh_from_db()
    assert stream.is_active_replay_on_creator_profile is True
    assert stream.replay_credit_price == Decimal("7.25")
    assert stream.title == "Yarın"
    assert stream.status == LiveStreamStatus.SCHEDULED


@pytest.mark.parametrize("price", ["0", "-1", "100000.01", "1.234", "abc"])
def test_a_bad_replay_price_is_refused_by_the_form(admin_client, streams, price):
    stream = streams["scheduled"]

    response = admin_client.post(change_url(stream), change_form(stream, replay_credit_price=price))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    stream.refresh_from_db()
    assert stream.replay_credit_price is None


# --- Actions ---------------------------------------------------------------------------------


def act(admin_client, action: str, *streams):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [stream.pk for stream in streams]},
        follow=True,
    )


def test_end_ends_active_streams_and_reports_the_others(admin_client, streams):
    response = act(admin_client, "end_streams", streams["active"], streams["scheduled"])

    assert response.status_code == 200
    streams["active"].refresh_from_db()
    assert streams["active"].status == LiveStreamStatus.ENDED
    assert streams["active"].ended_at is not None
    assert not Participation.objects.filter(left_at__isnull=True).exists()
    assert LiveStream.objects.get(pk=streams["scheduled"].pk).status == LiveStreamStatus.SCHEDULED
    assert notices(response) == [
        "Yarın: This live stream has not started; cancel it instead.",
        "1 stream ended.",
    ]


def test_cancel_cancels_streams_that_have_not_started(admin_client, streams):
    response = act(admin_client, "cancel_streams", streams["scheduled"], streams["active"])

    assert LiveStream.objects.get(pk=streams["scheduled"].pk).status == "cancelled_by_host"
    assert LiveStream.objects.get(pk=streams["active"].pk).status == LiveStreamStatus.ACTIVE
    assert notices(response) == [
        "Canlı müzik: An active live stream cannot be cancelled; end it instead.",
        "1 stream cancelled.",
    ]


def test_cancel_refuses_deleted_streams_and_counts_only_real_cancels(admin_client, streams):
    deleted = streams["deleted"]
    before = LiveStream.objects.values("status", "updated_at").get(pk=deleted.pk)

    response = act(admin_client, "cancel_streams", deleted)

    assert notices(response) == ["Silinmiş: This live stream is deleted; restore it first."]
    assert LiveStream.objects.values("status", "updated_at").get(pk=deleted.pk) == before


def test_end_refuses_deleted_streams(admin_client, streams):
    response = act(admin_client, "end_streams", streams["deleted"])

    assert notices(response) == ["Silinmiş: This live stream is deleted; restore it first."]
    assert LiveStream.objects.get(pk=streams["deleted"].pk).status == LiveStreamStatus.SCHEDULED


def test_soft_delete_hides_streams_but_not_active_or_already_deleted_ones(admin_client, streams):
    deleted_at = LiveStream.objects.get(pk=streams["deleted"].pk).deleted_at

    response = act(
        admin_client, "soft_delete_streams", streams["ended"], streams["active"], streams["deleted"]
    )

    assert LiveStream.objects.get(pk=streams["ended"].pk).deleted_at is not None
    assert LiveStream.objects.get(pk=streams["active"].pk).deleted_at is None
    assert LiveStream.objects.get(pk=streams["deleted"].pk).deleted_at == deleted_at
    assert notices(response) == [
        "Silinmiş: This live stream is already deleted.",
        "Canlı müzik: An active live stream cannot be deleted; end it first.",
        "1 stream deleted.",
    ]


def test_deleting_only_deleted_streams_reports_no_success(admin_client, streams):
    response = act(admin_client, "soft_delete_streams", streams["deleted"])

    assert notices(response) == ["Silinmiş: This live stream is already deleted."]


def test_restore_brings_deleted_streams_back_and_reports_the_others(admin_client, streams):
    ended_before = LiveStream.objects.values("deleted_at", "updated_at").get(pk=streams["ended"].pk)

    response = act(admin_client, "restore_streams", streams["deleted"], streams["ended"])

    assert LiveStream.objects.get(pk=streams["deleted"].pk).deleted_at is None
    assert (
        LiveStream.objects.values("deleted_at", "updated_at").get(pk=streams["ended"].pk)
        == ended_before
    )
    assert notices(response) == [
        "Bitti: This live stream is not deleted.",
        "1 stream restored.",
    ]


def test_restoring_a_stream_that_is_not_deleted_reports_no_success(admin_client, streams):
    response = act(admin_client, "restore_streams", streams["scheduled"])

    assert notices(response) == ["Yarın: This live stream is not deleted."]
    assert LiveStream.objects.get(pk=streams["scheduled"].pk).deleted_at is None


def test_turn_replay_off_hides_the_replay_of_visible_streams_only(admin_client, streams):
    LiveStream.objects.filter(pk=streams["deleted"].pk).update(
        is_active_replay_on_creator_profile=True
    )
    LiveStream.objects.filter(pk=streams["scheduled"].pk).update(
        is_active_replay_on_creator_profile=False
    )
    scheduled_before = LiveStream.objects.values("updated_at").get(pk=streams["scheduled"].pk)

    response = act(
        admin_client,
        "turn_replay_off",
        streams["ended"],
        streams["deleted"],
        streams["scheduled"],
        streams["active"],
    )

    replay = dict(LiveStream.objects.values_list("title", "is_active_replay_on_creator_profile"))
    assert replay == {"Bitti": False, "Silinmiş": True, "Yarın": False, "Canlı müzik": False}
    assert (
        LiveStream.objects.values("updated_at").get(pk=streams["scheduled"].pk) == scheduled_before
    )
    assert notices(response) == [
        "Silinmiş: This live stream is deleted; restore it first.",
        "Yarın: The replay of this live stream is already off.",
        "Replay turned off for 2 streams.",
    ]


def test_a_deleted_stream_is_read_only_on_its_change_page(admin_client, streams):
    stream = streams["deleted"]

    response = admin_client.get(change_url(stream))
    saved = admin_client.post(
        change_url(stream), change_form(stream, is_active_replay_on_creator_profile="true")
    )

    assert 'name="is_active_replay_on_creator_profile"' not in response.content.decode()
    assert saved.status_code == 302
    assert LiveStream.objects.get(pk=stream.pk).is_active_replay_on_creator_profile is None


# --- Who may run the actions -----------------------------------------------------------------

ACTIONS = {
    # action: (the stream it would change, the permission it needs)
    "end_streams": ("active", "change_livestream"),
    "cancel_streams": ("scheduled", "change_livestream"),
    "turn_replay_off": ("ended", "change_livestream"),
    "soft_delete_streams": ("ended", "delete_livestream"),
    "restore_streams": ("deleted", "delete_livestream"),
}


def staff_client_with(*codenames: str) -> Client:
    """A staff member (not a superuser) holding only the permissions named."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def snapshot() -> tuple[list, list]:
    return (
        list(LiveStream.objects.order_by("id").values()),
        list(Participation.objects.order_by("id").values()),
    )


def offered_actions(response) -> set[str]:
    return set(re.findall(r'<option value="(\w+)"', response.content.decode())) - {""}


def test_a_view_only_operator_is_offered_no_action(streams):
    client = staff_client_with("view_livestream")

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert results(response) == {stream.pk for stream in streams.values()}
    assert response.context["action_form"] is None
    assert 'name="action"' not in response.content.decode()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_view_only_operator_cannot_run_an_action_by_a_forged_post(streams, action):
    client = staff_client_with("view_livestream")
    target = streams[ACTIONS[action][0]]
    before = snapshot()

    response = client.post(CHANGELIST, {"action": action, "_selected_action": [target.pk]})

    # No action is theirs, so Django shows the changelist again and runs nothing.
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert notices(response) == []
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_an_operator_without_the_actions_permission_cannot_run_it(streams, action):
    needed = ACTIONS[action][1]
    other = {"change_livestream", "delete_livestream"} - {needed}
    client = staff_client_with("view_livestream", *other)
    target = streams[ACTIONS[action][0]]
    before = snapshot()

    page = client.get(CHANGELIST)
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [target.pk]}, follow=True
    )

    assert offered_actions(page) == {name for name, (_, perm) in ACTIONS.items() if perm in other}
    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert notices(response) == ["No action selected."]
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_an_operator_with_the_actions_permission_runs_it(streams, action):
    stream_name, needed = ACTIONS[action]
    client = staff_client_with("view_livestream", needed)
    target = streams[stream_name]
    before = LiveStream.objects.values().get(pk=target.pk)

    page = client.get(CHANGELIST)
    response = act(client, action, target)

    assert action in offered_actions(page)
    assert response.status_code == 200
    assert len(notices(response)) == 1
    assert LiveStream.objects.values().get(pk=target.pk) != before


# --- Every refusal is an error; restoring a duoself stream holds its guest fee again ----------

D = Decimal

REFUSED = {
    # action: (the stream it refuses, what it says)
    "end_streams": ("scheduled", "Yarın: This live stream has not started; cancel it instead."),
    "cancel_streams": (
        "active",
        "Canlı müzik: An active live stream cannot be cancelled; end it instead.",
    ),
    "turn_replay_off": ("deleted", "Silinmiş: This live stream is deleted; restore it first."),
    "soft_delete_streams": ("deleted", "Silinmiş: This live stream is already deleted."),
    "restore_streams": ("scheduled", "Yarın: This live stream is not deleted."),
}


@pytest.mark.parametrize("action", REFUSED)
def test_every_refusal_of_an_action_is_an_error_that_changes_nothing(admin_client, streams, action):
    name, message = REFUSED[action]
    before = snapshot(), money_snapshot()

    response = act(admin_client, action, streams[name])

    assert response.status_code == 200
    assert levelled_notices(response) == [("error", message)]
    assert (snapshot(), money_snapshot()) == before


@pytest.fixture
def unpaid_duoself():
    """A deleted duoself stream: deleting it refunded the creator's 150.00 guest fee, and the
    creator has spent 100.00 of it since, so restoring it (which holds the fee again) cannot
    be paid for."""
    creator = give_credits(UserFactory(username="yaratici"), "150.00")
    guest = UserFactory(minute_price_in_live_stream=D("2.50"))
    stream = services.live_stream_create(
        creator=creator, title="İkili", live_stream_type=LiveStreamType.DUOSELF,
        guest_ids=[guest.pk],
    )  # fmt: skip
    services.live_stream_delete(live_stream=stream, actor=creator)
    credits.balance_adjust(user=creator, amount=D("-100"), reason="spent", staff=UserFactory())
    return stream


def guest_fee_statuses(stream) -> list[str]:
    return sorted(
        CreditTransaction.objects.filter(live_stream=stream, type="guest_fee").values_list(
            "status", flat=True
        )
    )


def test_a_restore_the_creator_cannot_pay_for_is_an_error_and_counts_only_real_restores(
    admin_client, streams, unpaid_duoself
):
    deleted_at = LiveStream.objects.get(pk=unpaid_duoself.pk).deleted_at
    money_before = money_snapshot()

    response = act(admin_client, "restore_streams", unpaid_duoself, streams["deleted"])

    assert response.status_code == 200
    assert levelled_notices(response) == [
        (
            "error",
            "İkili: not restored. A restored stream holds its guest fee again, and its creator "
            "yaratici cannot pay it. Insufficient credits: this costs 150.00 credits and your "
            "balance is 50.00.",
        ),
        ("success", "1 stream restored."),
    ]
    assert LiveStream.objects.get(pk=unpaid_duoself.pk).deleted_at == deleted_at
    assert LiveStream.objects.get(pk=streams["deleted"].pk).deleted_at is None
    assert money_snapshot() == money_before
    assert guest_fee_statuses(unpaid_duoself) == ["refunded"]
    assert ledger_audit() == []


def test_a_restore_the_creator_can_pay_for_holds_the_guest_fee_again(admin_client, unpaid_duoself):
    creator = unpaid_duoself.creator
    give_credits(creator, "100.00")

    response = act(admin_client, "restore_streams", unpaid_duoself)

    assert levelled_notices(response) == [("success", "1 stream restored.")]
    assert LiveStream.objects.get(pk=unpaid_duoself.pk).deleted_at is None
    assert balance_of(creator) == D("0.00")
    assert guest_fee_statuses(unpaid_duoself) == ["pending", "refunded"]
    assert ledger_audit() == []


# --- Attaching a recording ----------------------------------------------------------------------

RECORDING = "https://cdn.example.com/recordings/bitti.m3u8"
URL_OR_FILE = "Give the recording as a URL or as a file, not both."
URL_INVALID = "Enter a valid http or https URL of at most 500 characters."


def recording_page(stream) -> str:
    return f"/admin/livestreams/livestream/{stream.pk}/recording/"


def attach(client, stream, **fields):
    """POST the recording form of `stream` (`url=`, `file=`), as the change page does."""
    return client.post(recording_page(stream), {f"recording-{k}": v for k, v in fields.items()})


def recording_of(stream) -> dict:
    return LiveStream.objects.values(
        "recording", "recording_url", "recording_file", "updated_at"
    ).get(pk=stream.pk)


def stored_files(settings) -> list[str]:
    """Every file under the media root (a fresh folder per test), relative to it."""
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def video(name="replay.mp4", content=b"\x00\x00\x00\x18ftypmp42 a short video"):
    return SimpleUploadedFile(name, content, content_type="video/mp4")


def test_the_change_page_offers_the_recording_form(admin_client, streams):
    stream = streams["scheduled"]

    content = admin_client.get(change_url(stream)).content.decode()

    form = re.search(r'<form [^>]*id="attach_recording_form".*?</form>', content, re.DOTALL)
    assert form is not None
    form = form.group(0)
    assert f'action="{recording_page(stream)}"' in form
    assert 'enctype="multipart/form-data"' in form
    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'type="url" name="recording-url"' in form
    assert 'type="file" name="recording-file" accept="video/*"' in form
    assert "An upload here is at most 10.0\xa0MB; attach a longer recording by its URL." in form
    assert '<a href="#attach_recording_form">Attach a recording</a>' in content
    # Its own form, beside the stream's: never nested in it.
    assert content.index("</form>") < content.index('id="attach_recording_form"')


def test_a_recording_url_is_attached_from_the_change_page(admin_client, streams, settings):
    stream = streams["scheduled"]

    response = attach(admin_client, stream, url=f"  {RECORDING} ")
    page = admin_client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == change_url(stream)
    assert levelled_notices(page) == [("success", f"Recording attached to Yarın: {RECORDING}")]
    attached = recording_of(stream)
    assert (attached["recording"], attached["recording_url"], attached["recording_file"]) == (
        True,
        RECORDING,
        "",
    )
    assert stored_files(settings) == []
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.get_change_message()) == (
        stream.pk,
        "Changed Recording and Recording url.",
    )


def test_a_recording_file_is_stored_and_attached(admin_client, streams, settings):
    stream = streams["scheduled"]
    name = f"live-streams/{stream.pk}/recording/replay.mp4"

    response = attach(admin_client, stream, file=video())
    page = admin_client.get(response["Location"])

    assert response.status_code == 302
    assert levelled_notices(page) == [("success", f"Recording attached to Yarın: {name}")]
    attached = LiveStream.objects.get(pk=stream.pk)
    assert (attached.recording, attached.recording_url, attached.recording_file.name) == (
        True,
        "",
        name,
    )
    assert stored_files(settings) == [name]
    assert default_storage.open(name).read() == b"\x00\x00\x00\x18ftypmp42 a short video"
    assert LogEntry.objects.get().get_change_message() == "Changed Recording and Recording file."


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"__all__": [URL_OR_FILE]}),
        ({"url": "   "}, {"__all__": [URL_OR_FILE]}),
        ({"url": RECORDING, "file": video}, {"__all__": [URL_OR_FILE]}),
        ({"url": "ftp://cdn.example.com/replay.mp4"}, {"url": [URL_INVALID]}),
        ({"url": "javascript:alert(1)"}, {"url": [URL_INVALID]}),
        ({"url": "cdn.example.com/replay.mp4"}, {"url": [URL_INVALID]}),
        ({"url": "https://cdn.example.com/" + "a" * 480}, {"url": [URL_INVALID]}),
        ({"file": lambda: video(content=b"")}, {"file": ["The submitted file is empty."]}),
    ],
)
def test_a_refused_recording_shows_the_form_again_and_changes_nothing(
    admin_client, streams, settings, fields, errors
):
    stream = streams["ended"]
    before = recording_of(stream)
    fields = {key: value() if callable(value) else value for key, value in fields.items()}

    response = attach(admin_client, stream, **fields)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/livestreams/livestream/attach_recording.html"
    assert response.context["recording_form"].form.errors == errors
    content = response.content.decode()
    assert "Please correct the error below." in content
    for message in errors.values():
        assert message[0] in content
    assert notices(response) == []
    assert recording_of(stream) == before
    assert stored_files(settings) == []
    assert not LogEntry.objects.exists()


def test_the_recording_page_opens_on_its_own(admin_client, streams):
    stream = streams["ended"]

    response = admin_client.get(recording_page(stream))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Attach a recording to Bitti</h1>" in content
    assert f'action="{recording_page(stream)}"' in content
    assert f'<a href="{change_url(stream)}">Bitti</a>' in content


def test_a_deleted_stream_offers_no_recording_form_and_refuses_a_forged_one(
    admin_client, streams, settings
):
    stream = streams["deleted"]
    before = recording_of(stream)

    page = admin_client.get(change_url(stream))
    response = attach(admin_client, stream, file=video())

    assert "attach_recording_form" not in page.content.decode()
    assert response.status_code == 200
    assert response.context["recording_form"].form.errors == {
        "__all__": ["This live stream is deleted; restore it first."]
    }
    assert recording_of(stream) == before
    assert stored_files(settings) == []


def test_an_unknown_stream_has_no_recording_form(admin_client, streams):
    response = admin_client.post(
        "/admin/livestreams/livestream/ffffffffffffffffffffffff/recording/",
        {"recording-url": RECORDING},
        follow=True,
    )

    assert response.redirect_chain == [("/admin/", 302)]
    assert not LiveStream.objects.filter(recording=True).exclude(pk=streams["ended"].pk).exists()


@pytest.mark.parametrize(
    "codenames", [("view_livestream",), ("view_livestream", "delete_livestream")]
)
def test_an_operator_who_may_not_change_streams_can_attach_no_recording(
    streams, settings, codenames
):
    client = staff_client_with(*codenames)
    stream = streams["scheduled"]
    before = recording_of(stream)

    page = client.get(change_url(stream))
    form_page = client.get(recording_page(stream))
    by_url = attach(client, stream, url=RECORDING)
    by_file = attach(client, stream, file=video())

    assert page.status_code == 200
    assert "attach_recording_form" not in page.content.decode()
    assert "Attach a recording" not in page.content.decode()
    assert (form_page.status_code, by_url.status_code, by_file.status_code) == (403, 403, 403)
    assert recording_of(stream) == before
    assert stored_files(settings) == []
    assert not LogEntry.objects.exists()


def test_an_operator_who_may_change_streams_attaches_a_recording(streams):
    client = staff_client_with("change_livestream")
    stream = streams["scheduled"]

    page = client.get(change_url(stream))
    response = attach(client, stream, url=RECORDING)

    assert "attach_recording_form" in page.content.decode()
    assert response.status_code == 302
    assert recording_of(stream)["recording_url"] == RECORDING


@pytest.mark.parametrize("signed_in", [False, True])
def test_app_users_and_strangers_cannot_attach_a_recording(streams, settings, signed_in):
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    stream = streams["scheduled"]
    before = recording_of(stream)

    response = attach(client, stream, file=video())

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert recording_of(stream) == before
    assert stored_files(settings) == []


def test_the_recording_form_needs_its_csrf_token(staff_user, streams):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    stream = streams["scheduled"]
    before = recording_of(stream)
    content = client.get(change_url(stream)).content.decode()
    form = re.search(r'id="attach_recording_form".*?</form>', content, re.DOTALL).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    forged = attach(client, stream, url=RECORDING)
    unchanged = recording_of(stream)
    sent = client.post(
        recording_page(stream), {"recording-url": RECORDING, "csrfmiddlewaretoken": token}
    )

    assert forged.status_code == 403
    assert unchanged == before
    assert sent.status_code == 302
    assert recording_of(stream)["recording_url"] == RECORDING


def readonly_value(content: str, field: str) -> str:
    """What the change page shows, read-only, for `field`."""
    return re.search(
        rf'<div class="form-row[^"]*field-{field}".*?<div class="readonly">(.*?)</div>',
        content,
        re.DOTALL,
    ).group(1)


def test_the_change_page_shows_the_recording_the_funding_and_the_rentals_read_only(
    admin_client, settings
):
    guest = UserFactory(minute_price_in_live_stream=D("2.50"))
    stream = services.live_stream_create(
        creator=UserFactory(), title="Kalabalık", live_stream_type=LiveStreamType.DUOCROWD,
        guest_ids=[guest.pk],
    )  # fmt: skip
    funder = give_credits(UserFactory(), "50.00")
    services.live_stream_fund(live_stream=stream, user=funder, amount=D("40.00"))
    services.live_stream_recording_attach(live_stream=stream, file=video())
    name = f"live-streams/{stream.pk}/recording/replay.mp4"

    content = admin_client.get(change_url(stream)).content.decode()

    assert readonly_value(content, "funding_goal") == "150.00"
    assert readonly_value(content, "collected_funding") == "40.00 of 150.00 credits (26.67%)"
    assert readonly_value(content, "recording_file") == f'<a href="/media/{name}">{name}</a>'
    assert readonly_value(content, "recording_url") == "-"
    assert readonly_value(content, "replay_rentals") == (
        f'<a href="/admin/livestreams/replayrental/?live_stream__id__exact={stream.pk}">'
        "0 rentals</a>"
    )
    assert 'alt="True"' in re.search(r"field-recording\b.*?</div>", content, re.DOTALL).group(0)
    for field in ("recording", "recording_url", "recording_file", "funding_goal"):
        assert f'name="{field}"' not in content


def test_a_stream_without_a_goal_shows_no_collected_funding(admin_client, streams):
    content = admin_client.get(change_url(streams["scheduled"])).content.decode()

    assert readonly_value(content, "funding_goal") == "-"
    assert readonly_value(content, "collected_funding") == "-"


# --- The replay settings, refused while the page was open ---------------------------------------


def _another_backend_waits_on_a_lock() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_replay_settings_saved_as_the_stream_is_deleted_are_refused_and_not_logged(staff_user):
    """The operator opened the page of a visible stream; it is deleted while they save. The
    service refuses under the stream's lock: the page says so, and neither reports nor logs
    a change."""
    import threading
    import time

    from django.db import connection, transaction

    stream = LiveStreamFactory(title="Yarışta")
    client = Client()
    client.force_login(staff_user)
    deleting, failures = threading.Event(), []

    def delete_while_the_save_waits():
        try:
            with transaction.atomic():
                LiveStream.objects.filter(pk=stream.pk).update(deleted_at=timezone.now())
                deleting.set()
                deadline = time.monotonic() + 10
                while not _another_backend_waits_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.02)
        except BaseException as error:  # handed to the test
            failures.append(error)
        finally:
            deleting.set()
            connection.close()

    deleter = threading.Thread(target=delete_while_the_save_waits)
    deleter.start()
    deleting.wait(10)
    response = client.post(
        change_url(stream), change_form(stream, replay_credit_price="5.00"), follow=True
    )
    deleter.join()

    assert failures == []
    assert response.redirect_chain == [(change_url(stream), 302)]
    assert levelled_notices(response) == [
        (
            "error",
            "Yarışta: the replay settings were not saved. This live stream is deleted; "
            "restore it first.",
        )
    ]
    stored = LiveStream.objects.get(pk=stream.pk)
    assert (stored.replay_credit_price, stored.deleted_at is not None) == (None, True)
    assert not LogEntry.objects.exists()


# --- Replay rentals -------------------------------------------------------------------------------

RENTALS = "/admin/livestreams/replayrental/"
RENTED_AT = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def replay():
    stream = LiveStreamFactory(
        title="Tekrar",
        status=LiveStreamStatus.ENDED,
        is_active_replay_on_creator_profile=True,
        replay_credit_price=D("4.50"),
    )
    return services.live_stream_recording_attach(live_stream=stream, url=RECORDING)


def rent(stream, username: str, when: datetime) -> ReplayRental:
    with time_machine.travel(when, tick=False):
        viewer = give_credits(UserFactory(username=username), "10.00")
        return services.live_stream_replay_rent(live_stream=stream, user=viewer)


@pytest.fixture
def rentals(replay):
    """One rental that expired (48 hours after it began) and one that has not."""
    return {
        "expired": rent(replay, "eski", RENTED_AT - timedelta(days=3)),
        "current": rent(replay, "yeni", RENTED_AT - timedelta(hours=1)),
    }


@pytest.fixture
def now_is_rented_at(settings):
    settings.REPLAY_RENTAL_HOURS = 48
    with time_machine.travel(RENTED_AT, tick=False):
        yield


def rental_results(response) -> set[str]:
    return {rental.pk for rental in response.context["cl"].result_list}


@pytest.mark.usefixtures("now_is_rented_at")
def test_the_rentals_list_shows_who_rented_which_replay_until_when(admin_client, rentals):
    response = admin_client.get(RENTALS)

    assert response.status_code == 200
    assert rental_results(response) == {rental.pk for rental in rentals.values()}
    assert columns(response) == [
        "user",
        "live_stream",
        "price",
        "rented_at",
        "expires_at",
        "is_current",
    ]
    content = response.content.decode()
    current = rentals["current"]
    row = re.search(
        rf"<tr>(?:(?!</tr>).)*/replayrental/{current.pk}/change/(?:(?!</tr>).)*</tr>",
        content,
        re.DOTALL,
    ).group(0)
    assert ">yeni</a></th>" in row
    assert '<td class="field-live_stream nowrap">Tekrar</td>' in row
    assert '<td class="field-price">4.50</td>' in row
    assert '<td class="field-expires_at nowrap">Jan. 3, 2027, 11 a.m.</td>' in row
    assert 'alt="True"' in row
    assert 'name="action"' not in content
    assert f'href="{RENTALS}add/"' not in content


@pytest.mark.usefixtures("now_is_rented_at")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "current"}, {"current"}),
        ({"state": "expired"}, {"expired"}),
        ({"q": "eski"}, {"expired"}),
        ({"q": "Tekrar"}, {"expired", "current"}),
        ({"q": "başka"}, set()),
    ],
)
def test_the_rentals_filter_and_search(admin_client, rentals, params, expected):
    response = admin_client.get(RENTALS, params)

    assert response.status_code == 200
    assert rental_results(response) == {rentals[name].pk for name in expected}


@pytest.mark.usefixtures("now_is_rented_at")
def test_the_rentals_are_found_by_stream_and_by_user_id(admin_client, rentals, replay):
    by_stream = admin_client.get(RENTALS, {"q": replay.pk})
    by_user = admin_client.get(RENTALS, {"q": rentals["current"].user_id})
    linked = admin_client.get(RENTALS, {"live_stream__id__exact": replay.pk})

    assert rental_results(by_stream) == {rental.pk for rental in rentals.values()}
    assert rental_results(by_user) == {rentals["current"].pk}
    assert rental_results(linked) == {rental.pk for rental in rentals.values()}


@pytest.mark.parametrize("size", [2, 30])
def test_the_rentals_list_runs_a_fixed_number_of_queries(
    admin_client, replay, django_assert_num_queries, size
):
    for number in range(size):
        rent(replay, f"izleyici_{number}", RENTED_AT - timedelta(days=3))

    # Session, staff user, the count, and the page of rentals joined to their users, streams
    # and ledger rows.
    with django_assert_num_queries(4):
        response = admin_client.get(RENTALS)

    assert len(response.context["cl"].result_list) == size


@pytest.mark.usefixtures("now_is_rented_at")
def test_a_rental_is_read_only_even_for_a_superuser(admin_client, rentals):
    rental = rentals["current"]
    page = f"{RENTALS}{rental.pk}/change/"
    before = list(ReplayRental.objects.order_by("id").values()), money_snapshot()

    response = admin_client.get(page)
    saved = admin_client.post(page, {"expires_at_0": "2030-01-01", "expires_at_1": "00:00:00"})
    added = admin_client.post(f"{RENTALS}add/", {})
    deleted = admin_client.post(f"{RENTALS}{rental.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        RENTALS, {"action": "delete_selected", "_selected_action": [rental.pk], "post": "yes"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "yeni" in content
    assert 'name="_save"' not in content
    form = re.search(r'<form [^>]*id="replayrental_form".*?</form>', content, re.DOTALL).group(0)
    editable = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    assert [tag for tag in editable if 'type="hidden"' not in tag] == []
    assert readonly_value(content, "price") == "4.50"
    assert (saved.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert bulk.status_code == 200
    assert (list(ReplayRental.objects.order_by("id").values()), money_snapshot()) == before


def test_rentals_need_their_view_permission(rentals):
    without = staff_client_with("view_livestream")
    viewer = staff_client_with("view_replayrental")

    assert without.get(RENTALS).status_code == 403
    response = viewer.get(RENTALS)
    assert response.status_code == 200
    assert rental_results(response) == {rental.pk for rental in rentals.values()}
    assert 'name="action"' not in response.content.decode()
