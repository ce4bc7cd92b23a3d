"""The operators' admin (contract section 7): every page opens, every action runs, and
each action only for staff with its permission."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from livestreams.models import LiveStream, LiveStreamStatus, LiveStreamType, Participation
from tests.factories import UserFactory
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory, in_audience
from users.credits import services as credits

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
