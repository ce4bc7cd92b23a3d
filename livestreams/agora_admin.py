"""Agora's webhook events and the presence they keep (contract section 12), read-only for
operators: what Agora sent, as it came, and what it did here (`outcome`). Only the webhook
(livestreams.services.agora_events) writes these rows."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_site import ViewOnlyAdminMixin, compact_datetime
from livestreams.models import AgoraEvent, AgoraPresence


@admin.register(AgoraEvent)
class AgoraEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "received",
        "product_id",
        "event_type",
        "channel_name",
        "live_stream",
        "outcome",
    )
    list_filter = ("product_id", "event_type")
    list_select_related = ("live_stream",)
    search_fields = ("=notice_id", "channel_name")
    search_help_text = _("Exactly a notice id, or part of a channel name.")
    date_hierarchy = "received_at"
    ordering = ("-received_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    actions = None
    fields = (
        "id",
        "notice_id",
        "product_id",
        "event_type",
        "notify_ms",
        "channel_name",
        "live_stream",
        "outcome",
        "received_at",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, event: AgoraEvent):
        return compact_datetime(event.received_at)


@admin.register(AgoraPresence)
class AgoraPresenceAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("live_stream", "uid", "in_channel", "client_seq", "event_type", "updated")
    list_filter = ("in_channel", "event_type")
    list_select_related = ("live_stream",)
    search_fields = ("=uid", "live_stream__channel_name", "=live_stream__id")
    search_help_text = _("Exactly a uid or stream id, or part of a channel name.")
    ordering = ("-updated_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    actions = None
    fields = ("id", "live_stream", "uid", "in_channel", "client_seq", "event_type", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, presence: AgoraPresence):
        return compact_datetime(presence.updated_at)
