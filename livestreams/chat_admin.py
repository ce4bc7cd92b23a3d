"""The operators' view of chat and bans (contract sections 7 and 9); registered by
livestreams/admin.py.

Chat messages are read-only rows for everyone, superusers included: they are written by the
chat service only. One action hides the selected messages through the same service as the
API (`chat_message_hide`, so the apps' sockets hear `messageDeleted`), recording the operator
as the one who hid them; it needs the model's change permission (`change_chatmessage`), so a
view-only operator sees no action and a forged POST runs none. A stream's or a sender's
messages are one click away: their cells link to the list filtered by them.

Bans are a read-only list: the creator bans and lifts bans in the app.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_site import ViewOnlyAdminMixin, compact_datetime
from livestreams import services
from livestreams.models import ChatMessage, LiveStreamBan

CONTENT_SHOWN = 80
ALREADY_HIDDEN = _("The selected messages were already hidden.")


class HiddenFilter(admin.SimpleListFilter):
    title = _("hidden")
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("no", _("Shown")), ("yes", _("Hidden"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(hidden_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(hidden_at__isnull=False)
        return queryset


def _filtered_link(label, **filters) -> str:
    url = reverse("admin:livestreams_chatmessage_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


@admin.register(ChatMessage)
class ChatMessageAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["short_content", "sender_link", "stream_link", "sent", "is_hidden"]
    list_filter = [HiddenFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "content",
        "sender__username",
        "live_stream__title",
        "=live_stream__id",
        "=sender__id",
    ]
    list_select_related = ["sender", "live_stream"]
    ordering = ["-created_at", "-id"]
    list_per_page = 100
    show_full_result_count = False
    actions = ["hide_messages"]
    fields = [
        "id",
        "live_stream",
        "sender",
        "content",
        "created_at",
        "updated_at",
        "hidden_at",
        "hidden_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender", "live_stream", "hidden_by")

    def has_hide_permission(self, request, obj=None):
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.display(description=_("message"), ordering="content")
    def short_content(self, message: ChatMessage) -> str:
        return Truncator(message.content).chars(CONTENT_SHOWN)

    @admin.display(description=_("sender"), ordering="sender__username")
    def sender_link(self, message: ChatMessage) -> str:
        return _filtered_link(message.sender, sender=message.sender_id)

    @admin.display(description=_("live stream"), ordering="live_stream__title")
    def stream_link(self, message: ChatMessage) -> str:
        return _filtered_link(message.live_stream.title, live_stream=message.live_stream_id)

    @admin.display(description=_("sent"), ordering="created_at")
    def sent(self, message: ChatMessage):
        return compact_datetime(message.created_at)

    @admin.display(boolean=True, description=_("hidden"), ordering="hidden_at")
    def is_hidden(self, message: ChatMessage) -> bool:
        return message.hidden_at is not None

    @admin.action(description=_("Hide selected messages"), permissions=["hide"])
    def hide_messages(self, request, queryset):
        shown = list(queryset.filter(hidden_at__isnull=True).select_related("live_stream"))
        for message in shown:
            services.chat_message_hide(message=message, actor=request.user)
        if not shown:
            self.message_user(request, ALREADY_HIDDEN, messages.WARNING)
            return
        count = len(shown)
        self.message_user(
            request,
            ngettext("%(count)d message hidden.", "%(count)d messages hidden.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(LiveStreamBan)
class LiveStreamBanAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Who is banned from which stream, by whom, since when (read-only)."""

    list_display = ["user", "live_stream", "banned_by", "banned_at"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "live_stream__title", "=live_stream__id", "=user__id"]
    list_select_related = ["user", "live_stream", "banned_by"]
    ordering = ["-created_at", "-id"]
    list_per_page = 100
    show_full_result_count = False
    actions = None
    fields = ["id", "live_stream", "user", "banned_by", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("banned"), ordering="created_at")
    def banned_at(self, ban: LiveStreamBan):
        return compact_datetime(ban.created_at)
