"""Notifications and device tokens in the admin (contract section 10, "Admin").

Notifications are the service's rows: operators read and search them, may delete them, and
change none. "Add" is "Send an announcement": a title and a message to one user or to every
active user, written by the fan-out task through the same service as the API (so everyone is
many short batches, not one request). Device tokens are read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.admin_site import ViewOnlyAdminMixin, compact_datetime
from users.notifications import services
from users.notifications.models import DeviceToken, Notification

SEND_ANNOUNCEMENT = _("Send an announcement")
CHOOSE_RECIPIENT = _("Choose a user, or tick “To every user”.")
CHOOSE_ONE_RECIPIENT = _("Choose a user or tick “To every user”, not both.")
SENT_TO_ONE = _("The announcement is on its way to %(username)s.")
SENT_TO_EVERYONE = _("The announcement is on its way to every active user.")


class AnnouncementForm(forms.ModelForm):
    """What "Send an announcement" asks. Nothing is saved from it directly: the service
    sends it (see NotificationAdmin.save_model)."""

    everyone = forms.BooleanField(
        label=_("To every user"),
        required=False,
        help_text=_("Every active user gets it, in batches, shortly after you send it."),
    )

    class Meta:
        model = Notification
        fields = ("user", "everyone", "title", "message")
        widgets = {"message": forms.Textarea(attrs={"rows": 4, "cols": 60})}
        help_texts = {"title": _("Sent as written: it is not translated.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].required = False
        self.fields["message"].required = True

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and not cleaned.get("everyone"):
            raise forms.ValidationError(CHOOSE_RECIPIENT)
        if cleaned.get("user") and cleaned.get("everyone"):
            raise forms.ValidationError(CHOOSE_ONE_RECIPIENT)
        return cleaned


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created", "user", "category", "title", "read", "pushed")
    list_filter = ("category", "read", "type")
    list_select_related = ("user",)
    search_fields = ("=id", "=user__id", "user__username", "title")
    search_help_text = _("A username or a title, or exactly a notification id or user id.")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ("user",)
    readonly_fields = (
        "id",
        "user",
        "type",
        "category",
        "title",
        "message",
        "metadata",
        "read",
        "key",
        "pushed_at",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, notification: Notification):
        return compact_datetime(notification.created_at)

    @admin.display(description=_("pushed"), boolean=True)
    def pushed(self, notification: Notification) -> bool:
        return notification.pushed_at is not None

    def has_change_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AnnouncementForm
            kwargs["fields"] = AnnouncementForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return AnnouncementForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(
            request, form_url, {"title": SEND_ANNOUNCEMENT, **(extra_context or {})}
        )

    def save_model(self, request, obj, form, change):
        recipient = form.cleaned_data.get("user")
        services.announcement_send(
            title=form.cleaned_data["title"],
            message=form.cleaned_data["message"],
            recipient_id=recipient.pk if recipient else None,
        )

    def save_related(self, request, form, formsets, change):
        pass  # nothing was saved here: the task writes the rows

    def log_addition(self, request, obj, message):
        pass  # no row of this form exists to log against (the task writes the rows)

    def response_add(self, request, obj, post_url_continue=None):
        recipient = obj.user if obj.user_id else None
        if recipient is not None:
            self.message_user(request, SENT_TO_ONE % {"username": recipient}, messages.SUCCESS)
        else:
            self.message_user(request, SENT_TO_EVERYONE, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:users_notification_changelist"))


@admin.register(DeviceToken)
class DeviceTokenAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "platform", "device_id", "has_token", "timezone", "updated")
    list_filter = ("platform",)
    list_select_related = ("user",)
    search_fields = ("=device_id", "=user__id", "user__username")
    search_help_text = _("A username, or exactly a device id or user id.")
    ordering = ("-updated_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "id",
        "user",
        "platform",
        "device_id",
        "token",
        "timezone",
        "live_activity_push_to_start_token",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("push token"), boolean=True)
    def has_token(self, device: DeviceToken) -> bool:
        return bool(device.token)

    @admin.display(description=_("updated at"), ordering="updated_at")
    def updated(self, device: DeviceToken):
        return compact_datetime(device.updated_at)
