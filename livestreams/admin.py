"""The operators' view of live streams (contract section 7).

Staff see every stream (deleted ones too), edit only the replay price and visibility, and
act through the same services as the API: end, cancel, soft-delete, restore, replay off.
Who joined is shown read-only, newest stays first.

Each action declares the permission it needs, so a view-only operator sees none of them and
a forged POST of one does nothing: end, cancel and replay off need `change_livestream`;
soft delete and restore need `delete_livestream` (there is no hard delete here).

The changelist shows what contract section 7 lists and still fits a 1366 px screen beside
the navigation and the filters: seven columns, two of them with a small second line (the
title's cell the type and interest, "Duo (crowd) · Music"; the access cell the replay price
and visibility, "Replay 4.99 · on"), compact dates ("01 Dec 14:05", the full date as the
tooltip) and a little CSS (static/admin-overrides/livestreams.css). The channel and the exact
times are on the change page; type and interest are also filters.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.api.errors import DomainError
from livestreams import services
from livestreams.models import LiveStream, LiveStreamGuest, Participation

INLINE_STAYS_SHOWN = 100
REPLAY_FIELDS = ("is_active_replay_on_creator_profile", "replay_credit_price")


def compact_datetime(value, *, time_only: bool = False):
    """A date and time as short as "01 Dec 14:05", in the admin's time zone (with the year
    when it is not this year's); the full one is the cell's tooltip. None (the admin's "-")
    for no value."""
    if value is None:
        return None
    local = timezone.localtime(value)
    same_year = local.year == timezone.localtime().year
    shown = date_format(local, "H:i" if time_only else "d M H:i" if same_year else "d M Y H:i")
    full = date_format(local, "DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), full, shown)


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Visible")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.visible()
        if self.value() == "yes":
            return queryset.deleted()
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GuestInline(ReadOnlyInline):
    model = LiveStreamGuest
    fields = ["user", "created_at"]
    readonly_fields = fields
    verbose_name = _("invited guest")
    verbose_name_plural = _("invited guests")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class ParticipationInline(ReadOnlyInline):
    model = Participation
    fk_name = "live_stream"
    fields = [
        "participant_user",
        "role",
        "participant_uid",
        "joined_at",
        "left_at",
        "device_type",
        "device_model",
        "os_version",
        "app_version",
        "country",
        "ip_address",
    ]
    readonly_fields = fields
    verbose_name = _("stay")
    verbose_name_plural = _("who joined (the newest stays)")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("participant__user")
        stream_id = (request.resolver_match.kwargs if request.resolver_match else {}).get(
            "object_id"
        )
        # A popular stream has thousands of stays; the page shows the newest ones only.
        newest = (
            Participation.objects.filter(live_stream_id=stream_id)
            .order_by("-joined_at", "-id")
            .values("pk")[:INLINE_STAYS_SHOWN]
        )
        return queryset.filter(pk__in=Subquery(newest)).order_by("-joined_at", "-id")

    @admin.display(description=_("user"))
    def participant_user(self, stay: Participation):
        return stay.participant.user

    @admin.display(description=_("Agora uid"))
    def participant_uid(self, stay: Participation):
        return stay.participant.uid


@admin.register(LiveStream)
class LiveStreamAdmin(admin.ModelAdmin):
    list_display = [
        "title_and_kind",
        "creator",
        "status",
        "access",
        "planned",
        "on_air",
        "is_visible",
    ]
    list_filter = ["status", "live_stream_type", "access_type", "interest", DeletedFilter]
    search_fields = ["title", "channel_name", "creator__username"]
    list_select_related = ["creator"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_per_page = 50
    show_full_result_count = False
    actions = [
        "end_streams",
        "cancel_streams",
        "soft_delete_streams",
        "restore_streams",
        "turn_replay_off",
    ]
    inlines = [GuestInline, ParticipationInline]

    class Media:
        css = {"all": ["admin-overrides/livestreams.css"]}

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "title",
                    "creator",
                    "live_stream_type",
                    "channel_name",
                    "status",
                    "interest",
                    "motivation",
                    "thumbnail",
                ]
            },
        ),
        (_("Access"), {"fields": ["access_type", "price", "credit_ledger"]}),
        (
            _("Replay"),
            {"fields": ["recording", "recording_url", *REPLAY_FIELDS]},
        ),
        (
            _("Times"),
            {
                "fields": [
                    "duration_goal",
                    "planned_start_date",
                    "planned_end_date",
                    "started_at",
                    "ended_at",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Everything but the replay settings: the rest belongs to the creator and the state
        # machine, and changes only through the actions. A deleted stream is read-only
        # altogether: restore it first.
        editable = set(REPLAY_FIELDS) if obj is None or obj.deleted_at is None else set()
        return [
            field
            for fieldset in self.fieldsets
            for field in fieldset[1]["fields"]
            if field not in editable
        ]

    def has_add_permission(self, request):
        return False  # streams are created by their creators, in the apps

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete only, through the action

    def has_soft_delete_permission(self, request, obj=None):
        """Soft delete and restore: the model's delete permission (the hard delete itself is
        off, see `has_delete_permission`)."""
        codename = get_permission_codename("delete", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.display(boolean=True, description=_("visible"), ordering="deleted_at")
    def is_visible(self, live_stream: LiveStream) -> bool:
        return live_stream.deleted_at is None

    @admin.display(description=_("credits"))
    def credit_ledger(self, live_stream: LiveStream):
        """Links to the stream's ledger rows (tickets, rentals, earnings) and to its
        contributions and guest fees, in the ledger's read-only admin."""
        ledger = reverse("admin:users_credittransaction_changelist")
        query = urlencode({"live_stream__id__exact": live_stream.pk})
        return format_html(
            '<a href="{}?{}">{}</a> · <a href="{}?{}&amp;kind=contributions">{}</a>',
            ledger,
            query,
            _("Ledger rows of this stream"),
            ledger,
            query,
            _("Contributions and guest fees"),
        )

    @admin.display(description=_("title"), ordering="title")
    def title_and_kind(self, live_stream: LiveStream):
        """The title, and below it the type and the interest: "Duo (crowd) · Music"."""
        kind = live_stream.get_live_stream_type_display()
        if live_stream.interest:
            kind = f"{kind} · {live_stream.get_interest_display()}"
        return format_html('{}<span class="cell-detail">{}</span>', live_stream.title, kind)

    @admin.display(description=_("access"), ordering="access_type")
    def access(self, live_stream: LiveStream):
        """The access and price ("Paid 9.99", "Free"), and below it the replay: its price and
        whether it is on the creator's profile ("on", "off", or "–" when the creator never
        said)."""
        access = live_stream.get_access_type_display()
        if live_stream.price is not None:
            access = f"{access} {live_stream.price}"
        visibility = {True: _("on"), False: _("off")}.get(
            live_stream.is_active_replay_on_creator_profile, "–"
        )
        price = "–" if live_stream.replay_credit_price is None else live_stream.replay_credit_price
        replay = _("Replay %(price)s · %(visibility)s") % {"price": price, "visibility": visibility}
        return format_html('{}<span class="cell-detail">{}</span>', access, replay)

    @admin.display(description=_("planned"), ordering="planned_start_date")
    def planned(self, live_stream: LiveStream):
        return compact_datetime(live_stream.planned_start_date)

    @admin.display(description=_("on air"), ordering="started_at")
    def on_air(self, live_stream: LiveStream):
        """When it started and ended: "01 Dec 14:07 – 15:02" (the end's date only when it
        is another day's)."""
        if live_stream.started_at is None:
            return None
        started = compact_datetime(live_stream.started_at)
        if live_stream.ended_at is None:
            return format_html("{} –", started)
        same_day = (
            timezone.localtime(live_stream.started_at).date()
            == timezone.localtime(live_stream.ended_at).date()
        )
        ended = compact_datetime(live_stream.ended_at, time_only=same_day)
        return format_html("{} – {}", started, ended)

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        changes = {field: value for field, value in changes.items() if field in REPLAY_FIELDS}
        if changes:
            try:
                services.live_stream_update_replay_settings(
                    live_stream=obj, actor=None, changes=changes
                )
            except DomainError as refusal:  # deleted since the page was opened
                self.message_user(request, f"{obj.title}: {refusal.message}", messages.WARNING)

    def _run(self, request, queryset, service, done_message) -> None:
        """Call `service` for each selected stream; report what it refused, stream by stream.

        The services refuse (DomainError) whatever would change nothing, so the count is of
        real changes only."""
        done = 0
        for live_stream in queryset:
            try:
                service(live_stream)
            except DomainError as refusal:
                self.message_user(
                    request, f"{live_stream.title}: {refusal.message}", messages.WARNING
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done) % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("End the selected active streams"), permissions=["change"])
    def end_streams(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda stream: services.live_stream_end(live_stream=stream, actor=None),
            lambda count: ngettext("%(count)d stream ended.", "%(count)d streams ended.", count),
        )

    @admin.action(
        description=_("Cancel the selected streams that have not started"), permissions=["change"]
    )
    def cancel_streams(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda stream: services.live_stream_cancel(live_stream=stream, actor=None),
            lambda count: ngettext(
                "%(count)d stream cancelled.", "%(count)d streams cancelled.", count
            ),
        )

    @admin.action(
        description=_("Delete the selected streams (soft delete)"), permissions=["soft_delete"]
    )
    def soft_delete_streams(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda stream: services.live_stream_delete(live_stream=stream, actor=None),
            lambda count: ngettext(
                "%(count)d stream deleted.", "%(count)d streams deleted.", count
            ),
        )

    @admin.action(
        description=_("Restore the selected deleted streams"), permissions=["soft_delete"]
    )
    def restore_streams(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda stream: services.live_stream_restore(live_stream=stream),
            lambda count: ngettext(
                "%(count)d stream restored.", "%(count)d streams restored.", count
            ),
        )

    @admin.action(
        description=_("Turn the replay off for the selected streams"), permissions=["change"]
    )
    def turn_replay_off(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda stream: services.live_stream_turn_replay_off(live_stream=stream),
            lambda count: ngettext(
                "Replay turned off for %(count)d stream.",
                "Replay turned off for %(count)d streams.",
                count,
            ),
        )
