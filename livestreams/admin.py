"""The operators' view of live streams (contract section 7).

Staff see every stream (deleted ones too), edit only the replay price and visibility, and
act through the same services as the API: end, cancel, soft-delete, restore, replay off.
Who joined is shown read-only, newest stays first.

Each action declares the permission it needs, so a view-only operator sees none of them and
a forged POST of one does nothing: end, cancel and replay off need `change_livestream`;
soft delete and restore need `delete_livestream` (there is no hard delete here).

Money (contract section 5): the change page shows the recording (URL or stored file), the
funding goal and what was collected, read-only, and a form that attaches a recording (a URL,
or a file uploaded to storage) through `live_stream_recording_attach`, behind the change
permission. Replay rentals have a read-only page of their own. A refusal of any service (a
DomainError: a restore whose creator cannot pay the guest fee again, a stream deleted
meanwhile) is reported as an error, stream by stream, and nothing is counted or logged as
done that was not.

The changelist shows what contract section 7 lists and still fits a 1366 px screen beside
the navigation and the filters: seven columns, two of them with a small second line (the
title's cell the type and interest, "Duo (crowd) · Music"; the access cell the replay price
and visibility, "Replay 4.99 · on"), compact dates ("01 Dec 14:05", the full date as the
tooltip) and a little CSS (static/admin-overrides/livestreams.css). The channel and the exact
times are on the change page; type and interest are also filters.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Subquery, Sum
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_site import ViewOnlyAdminMixin, compact_datetime
from config.api.errors import DomainError, PaymentRequired
from livestreams import services
from livestreams.models import LiveStream, LiveStreamGuest, Participation, ReplayRental
from livestreams.selectors import COUNTED_STATUSES, funding_percentage
from users.credits.models import CreditTransaction, TransactionType, format_credits

INLINE_STAYS_SHOWN = 100
REPLAY_FIELDS = ("is_active_replay_on_creator_profile", "replay_credit_price")
RECORDING_FORM_PREFIX = "recording"

RECORDING_ATTACHED = _("Recording attached to %(title)s: %(recording)s")
RESTORE_UNPAID = _(
    "%(title)s: not restored. A restored stream holds its guest fee again, and its creator "
    "%(username)s cannot pay it. %(refusal)s"
)
REPLAY_SETTINGS_REFUSED = _("%(title)s: the replay settings were not saved. %(refusal)s")
ATTACH_HELP = _(
    "A URL or a file, not both. It replaces the stream's current recording, and the replay "
    "can be rented once the stream has ended with its replay on and priced."
)
FUNDING_COLLECTED = _("%(collected)s of %(goal)s credits (%(percentage)s%%)")


class RecordingAttachForm(forms.Form):
    """What the recording form asks: a URL, or a file to store. That it is one of the two, and
    what a valid URL is, are the service's rules (`live_stream_recording_attach`): it
    refuses, and the form says why."""

    url = forms.CharField(
        label=_("Recording URL"),
        required=False,
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text=_("An http or https URL, such as Agora Cloud Recording's or a CDN's."),
    )
    file = forms.FileField(
        label=_("Recording file"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "video/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=RECORDING_FORM_PREFIX, **kwargs)
        # Every multipart body is capped (config.api.middleware, MAX_UPLOAD_REQUEST_BYTES: one
        # image-sized file); a longer video is attached by its URL.
        self.fields["file"].help_text = _(
            "Stored in the media storage. An upload here is at most %(size)s; attach a longer "
            "recording by its URL."
        ) % {"size": filesizeformat(settings.IMAGE_MAX_BYTES)}

    def attach_arguments(self) -> dict:
        """The service's keyword arguments: None for what was left empty."""
        return {
            "url": self.cleaned_data["url"] or None,
            "file": self.cleaned_data["file"] or None,
        }


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


class ReadOnlyInline(ViewOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


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
        (
            _("Access"),
            {
                "fields": [
                    "access_type",
                    "price",
                    "funding_goal",
                    "collected_funding",
                    "credit_ledger",
                ]
            },
        ),
        (
            _("Replay"),
            {
                "fields": [
                    "recording",
                    "recording_url",
                    "recording_file",
                    *REPLAY_FIELDS,
                    "replay_rentals",
                ]
            },
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

    @admin.display(description=_("collected funding"))
    def collected_funding(self, live_stream: LiveStream):
        """What the crowd gave towards the goal (held or paid out, not refunded), and the
        percentage: "40.00 of 150.00 credits (26.67%)". "-" for a stream without a goal."""
        if live_stream.funding_goal is None:
            return self.get_empty_value_display()
        collected = CreditTransaction.objects.filter(
            live_stream=live_stream, type=TransactionType.FUNDING, status__in=COUNTED_STATUSES
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        percentage = funding_percentage(collected=collected, goal=live_stream.funding_goal)
        return FUNDING_COLLECTED % {
            "collected": format_credits(collected),
            "goal": format_credits(live_stream.funding_goal),
            "percentage": percentage,
        }

    @admin.display(description=_("replay rentals"))
    def replay_rentals(self, live_stream: LiveStream):
        """How many times the replay was rented, linked to those rentals."""
        count = live_stream.replay_rentals.count()
        return format_html(
            '<a href="{}?{}">{}</a>',
            reverse("admin:livestreams_replayrental_changelist"),
            urlencode({"live_stream__id__exact": live_stream.pk}),
            ngettext("%(count)d rental", "%(count)d rentals", count) % {"count": count},
        )

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
                # Reported by response_change, and not logged as a change: nothing changed.
                obj.replay_settings_refusal = refusal

    def log_change(self, request, obj, message):
        if getattr(obj, "replay_settings_refusal", None) is None:
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        refusal = getattr(obj, "replay_settings_refusal", None)
        if refusal is None:
            return super().response_change(request, obj)
        self.message_user(
            request,
            REPLAY_SETTINGS_REFUSED % {"title": obj.title, "refusal": refusal.message},
            messages.ERROR,
        )
        return HttpResponseRedirect(request.path)

    # --- Attaching a recording -----------------------------------------------------------------

    def get_urls(self):
        # Before the parent's: its "<object_id>/" catch-all would take this path otherwise.
        return [
            path(
                "<path:object_id>/recording/",
                self.admin_site.admin_view(self.attach_recording_view),
                name="livestreams_livestream_attach_recording",
            ),
            *super().get_urls(),
        ]

    def can_attach_recording(self, request, live_stream: LiveStream) -> bool:
        """The change permission, on a stream that is not deleted (the service refuses one
        anyway: restore it first)."""
        return live_stream.deleted_at is None and self.has_change_permission(request, live_stream)

    def recording_admin_form(self, form: RecordingAttachForm) -> helpers.AdminForm:
        fieldset = {"fields": ["url", "file"], "description": ATTACH_HELP}
        return helpers.AdminForm(form, [(_("Attach a recording"), fieldset)], {})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.can_attach_recording(request, obj):
            context["recording_form"] = self.recording_admin_form(RecordingAttachForm())
        return super().render_change_form(request, context, add, change, form_url, obj)

    def attach_recording_view(self, request, object_id):
        """The recording form of the change page posts here: attach through the service and
        go back to the stream, or show the form again with the service's refusal."""
        live_stream = self.get_object(request, unquote(object_id))
        if live_stream is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, live_stream):
            raise PermissionDenied
        if request.method == "POST":
            form = RecordingAttachForm(request.POST, request.FILES)
            if form.is_valid() and self._attach(request, live_stream, form):
                return HttpResponseRedirect(
                    reverse("admin:livestreams_livestream_change", args=[quote(live_stream.pk)])
                )
        else:
            form = RecordingAttachForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Attach a recording to %(title)s") % {"title": live_stream.title},
            "subtitle": None,
            "opts": self.opts,
            "original": live_stream,
            "recording_form": self.recording_admin_form(form),
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request, live_stream),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/livestreams/livestream/attach_recording.html", context
        )

    def _attach(self, request, live_stream: LiveStream, form: RecordingAttachForm) -> bool:
        """Attach, or put the service's refusal on the form (nothing is stored then)."""
        try:
            attached = services.live_stream_recording_attach(
                live_stream=live_stream, **form.attach_arguments()
            )
        except DomainError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            return False
        recording = attached.recording_url or attached.recording_file.name
        source = "recording_url" if attached.recording_url else "recording_file"
        changed = [
            capfirst(self.opts.get_field(name).verbose_name) for name in ("recording", source)
        ]
        self.log_change(request, attached, [{"changed": {"fields": changed}}])
        self.message_user(
            request,
            RECORDING_ATTACHED % {"title": attached.title, "recording": recording},
            messages.SUCCESS,
        )
        return True

    # --- Actions -------------------------------------------------------------------------------

    @staticmethod
    def refusal_of(live_stream: LiveStream, refusal: DomainError) -> str:
        return f"{live_stream.title}: {refusal.message}"

    def _run(self, request, queryset, service, done_message, refusal_of=None) -> None:
        """Call `service` for each selected stream; report what it refused, stream by stream,
        as an error (`refusal_of` words it; the stream's title and the service's message by
        default).

        The services refuse (DomainError, whichever: a Conflict, a PaymentRequired) whatever
        they do not do, and change nothing then, so the count is of real changes only."""
        refusal_of = refusal_of or self.refusal_of
        done = 0
        for live_stream in queryset:
            try:
                service(live_stream)
            except DomainError as refusal:
                self.message_user(request, refusal_of(live_stream, refusal), messages.ERROR)
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

    @staticmethod
    def restore_refusal_of(live_stream: LiveStream, refusal: DomainError) -> str:
        """A duoself stream's guest fee is held again on restore; say whose balance fell
        short (the service's message speaks to the payer)."""
        if isinstance(refusal, PaymentRequired):
            return RESTORE_UNPAID % {
                "title": live_stream.title,
                "username": live_stream.creator.username,
                "refusal": refusal.message,
            }
        return LiveStreamAdmin.refusal_of(live_stream, refusal)

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
            refusal_of=self.restore_refusal_of,
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


# --- Replay rentals ----------------------------------------------------------------------------


class RentalStateFilter(admin.SimpleListFilter):
    title = _("rental")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("current", _("Current")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(expires_at__gt=timezone.now())
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=timezone.now())
        return queryset


@admin.register(ReplayRental)
class ReplayRentalAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Who rented which replay, and until when. Read-only, even for superusers: a rental is
    made (and paid) only through `live_stream_replay_rent`, and its ledger row is linked."""

    list_display = ["user", "live_stream", "price", "rented_at", "expires_at", "is_current"]
    list_filter = [RentalStateFilter, ("rented_at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "live_stream__title", "=live_stream__id", "=user__id"]
    list_select_related = ["user", "live_stream", "transaction"]
    ordering = ["-rented_at", "-id"]
    list_per_page = 50
    show_full_result_count = False
    actions = None
    fields = [
        "id",
        "user",
        "live_stream",
        "transaction",
        "price",
        "rented_at",
        "expires_at",
        "is_current",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "live_stream", "transaction")

    @admin.display(description=_("price"), ordering="transaction__amount")
    def price(self, rental: ReplayRental) -> str:
        return format_credits(rental.transaction.amount)

    @admin.display(boolean=True, description=_("current"), ordering="expires_at")
    def is_current(self, rental: ReplayRental) -> bool:
        return rental.expires_at > timezone.now()


# Registered from their own modules: chat messages and bans (contract section 9), Agora's
# webhook events and presence (contract section 12).
from livestreams import agora_admin, chat_admin  # noqa: E402, F401
