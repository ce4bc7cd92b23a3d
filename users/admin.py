"""The users admin: operators inspect accounts, photos and follows; staff sign in with a
password. Deletions go through the services, so counters and stored files stay right.

Identity fields (username, email and its verification, phone, interests) are read-only here:
they change through the app's own checked paths. A save writes only the fields the form
changed, so counters and balances moved meanwhile by the services are not overwritten, and
deactivating an account ends its sessions.

Money (contract section 5, "Operators"): credit packages are edited here; the ledger and the
RevenueCat events are read-only, even for superusers (no add, change or delete: a forged POST
changes nothing). Contributions are ledger rows, so they are the ledger's "contributions"
filter rather than a page of their own. Staff change a balance only through "Adjust credit
balance" (users.credits.services.balance_adjust, an `adjustment` row with a reason), which
needs the `users.adjust_credit_balance` permission.

Every changelist action declares the permission it needs: Django's own "delete_selected" the
delete permission, the adjustment its own; a view-only operator is offered no action, and a
forged POST of one does nothing."""

import json
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.admin_site import ViewOnlyAdminMixin, compact_datetime
from config.api.errors import InvalidInput
from users import services, sessions
from users.credits import services as credits
from users.credits.models import (
    HELD_TYPES,
    MAX_PACKAGE_CREDITS,
    CreditPackage,
    CreditTransaction,
    Direction,
    RevenueCatEvent,
    format_credits,
)
from users.models import Follow, ProfilePhoto, User
from users.notifications import admin as _notifications_admin  # noqa: F401 (registers it)

ADJUST_PERMISSION = "users.adjust_credit_balance"
SELECT_ONE_USER = _("Select exactly one user to adjust a credit balance.")
BALANCE_CHANGED = _(
    "The balance of %(username)s changed while this page was open; it is now %(balance)s "
    "credits. Check it and submit again."
)
CREDITS_ADDED = _("Added %(amount)s credits to %(username)s; the balance is now %(balance)s.")
CREDITS_TAKEN = _("Took %(amount)s credits from %(username)s; the balance is now %(balance)s.")
PACKAGE_CREDITS_RANGE = _("Enter a number of credits above 0 and at most 1,000,000.")
PACKAGE_PRICE_NEGATIVE = _("Enter a price of 0 or more.")
PACKAGE_CURRENCY_INVALID = _("Enter a three-letter currency code, such as USD.")


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class CreditAdjustmentForm(forms.Form):
    """What the adjustment page asks. The rules of an adjustment (not 0, a reason, not below
    a zero balance) are the service's: it refuses, and the page says why."""

    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=-MAX_PACKAGE_CREDITS,
        max_value=MAX_PACKAGE_CREDITS,
        help_text=_(
            "In credits, with at most 2 decimals: a positive amount adds credits, a negative "
            "one takes them away."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept on the ledger row, with your name."),
    )
    # The length of the ledger the page was shown with: a second submit of the same page (a
    # double click) or a balance that moved meanwhile is refused instead of applied twice.
    ledger_length = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    actions = ["adjust_credit_balance"]
    list_display = (
        "username",
        "name",
        "surname",
        "email",
        "phone",
        "is_staff",
        "registration_completed",
        "created_at",
    )
    list_filter = ("is_staff", "is_active", "registration_completed", "gender", "expertise")
    search_fields = ("username", "name", "surname", "email", "phone_number")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    # Written only through the app's checked paths; read-only in the change form (the add form
    # still asks a new staff member's username and email).
    identity_fields = (
        "username",
        "email",
        "email_verified",
        "country_code",
        "phone_number",
        "interests",
    )
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "last_login",
        "credit_balance",
        "followers_count",
        "following_count",
        "session_version",
        "privacy_policy_accepted",
        "privacy_policy_version",
        "username_changed_at",
        "signup_source",
        "signup_campaign",
        "onboarding_step_1_done",
        "onboarding_step_2_done",
        "onboarding_step_3_done",
        "profile_photo",
    )
    fieldsets = (
        (None, {"fields": ("id", "username", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "name",
                    "surname",
                    ("email", "email_verified"),
                    ("country_code", "phone_number"),
                    "birth_date",
                    "gender",
                    "bio",
                    "interests",
                    "expertise",
                    "availability_status",
                    "minute_price_in_live_stream",
                    "profile_photo",
                )
            },
        ),
        (
            _("Social accounts"),
            {"fields": ("instagram", "snapchat", "x", "tiktok", "facebook")},
        ),
        (
            _("Account state"),
            {
                "fields": (
                    "registration_completed",
                    ("onboarding_step_1_done", "onboarding_step_2_done", "onboarding_step_3_done"),
                    "username_changed_at",
                    "credit_balance",
                    ("followers_count", "following_count"),
                    ("privacy_policy_accepted", "privacy_policy_version"),
                    ("signup_source", "signup_campaign"),
                    "session_version",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    @admin.display(description=_("Phone"), ordering="phone_number")
    def phone(self, user: User) -> str:
        if not user.phone_number:
            return ""
        return f"+{user.country_code or ''} {user.phone_number}"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is None:
            return readonly
        return (*readonly, *self.identity_fields)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        columns = {field.name for field in User._meta.concrete_fields}
        fields = [name for name in form.changed_data if name in columns]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])
        if "is_active" in fields and not obj.is_active:
            sessions.session_logout_all(user=obj)

    def delete_model(self, request, obj):
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user)

    # --- Adjusting a balance -------------------------------------------------------------------

    def has_adjust_credit_balance_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(ADJUST_PERMISSION)

    def get_urls(self):
        # Before the parent's: its "<object_id>/" catch-all would take this path otherwise.
        return [
            path(
                "<path:object_id>/adjust-credit-balance/",
                self.admin_site.admin_view(self.adjust_credit_balance_view),
                name="users_user_adjust_credit_balance",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_adjust_credit_balance": self.has_adjust_credit_balance_permission(request),
            "can_view_ledger": request.user.has_perm("users.view_credittransaction"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(
        description=_("Adjust the credit balance of the selected user"),
        permissions=["adjust_credit_balance"],
    )
    def adjust_credit_balance(self, request, queryset):
        """To the adjustment page of the one user selected (one balance at a time)."""
        selected = list(queryset.values_list("pk", flat=True)[:2])
        if len(selected) != 1:
            self.message_user(request, SELECT_ONE_USER, messages.WARNING)
            return None
        return HttpResponseRedirect(
            reverse("admin:users_user_adjust_credit_balance", args=[quote(selected[0])])
        )

    def adjust_credit_balance_view(self, request, object_id):
        """Ask an amount and a reason, then adjust through the money service."""
        user = self.get_object(request, unquote(object_id))
        if user is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (
            self.has_view_or_change_permission(request, user)
            and self.has_adjust_credit_balance_permission(request)
        ):
            raise PermissionDenied
        if request.method == "POST":
            form = CreditAdjustmentForm(request.POST)
            if form.is_valid():
                done, form = self._adjust(request, user, form)
                if done:
                    return HttpResponseRedirect(
                        reverse("admin:users_user_change", args=[quote(user.pk)])
                    )
        else:
            form = CreditAdjustmentForm(initial={"ledger_length": user.ledger_length})
        user.refresh_from_db(fields=["credit_balance", "ledger_length"])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust the credit balance of %(username)s") % {"username": user},
            "subtitle": None,
            "opts": self.opts,
            "original": user,
            "balance": format_credits(user.credit_balance),
            "form": form,
            "adminform": helpers.AdminForm(form, [(None, {"fields": ["amount", "reason"]})], {}),
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request, user),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/users/user/adjust_credit_balance.html", context)

    def _adjust(self, request, user: User, form: CreditAdjustmentForm):
        """Adjust unless the ledger moved since the page was shown. Returns whether it was
        done, and the form to show again otherwise (with the new ledger length, so a second
        submit after reading the message goes through)."""
        amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
        try:
            with transaction.atomic():
                # Locked, so nothing moves the balance between this check and the adjustment.
                current = (
                    User.objects.select_for_update()
                    .values_list("ledger_length", "credit_balance")
                    .get(pk=user.pk)
                )
                if current[0] != form.cleaned_data["ledger_length"]:
                    self.message_user(
                        request,
                        BALANCE_CHANGED % {"username": user, "balance": format_credits(current[1])},
                        messages.WARNING,
                    )
                    data = request.POST.copy()
                    data["ledger_length"] = str(current[0])
                    return False, CreditAdjustmentForm(data)
                row = credits.balance_adjust(
                    user=user, amount=amount, reason=reason, staff=request.user
                )
        except InvalidInput as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return False, form
        done = CREDITS_ADDED if row.direction == Direction.CREDIT else CREDITS_TAKEN
        self.message_user(
            request,
            done
            % {
                "amount": format_credits(row.amount),
                "username": user,
                "balance": format_credits(row.balance_after),
            },
            messages.SUCCESS,
        )
        return True, form


class ReadOnlyAdminMixin:
    """Rows made by the app; operators look and may delete (through a service)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProfilePhoto)
class ProfilePhotoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "preview", "user", "width", "height", "created_at")
    list_select_related = ("user",)
    search_fields = ("id", "user__username")
    readonly_fields = (
        "id",
        "user",
        "preview",
        "original",
        "variant_40",
        "variant_76",
        "variant_96",
        "width",
        "height",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    @admin.display(description=_("Preview"))
    def preview(self, photo: ProfilePhoto):
        if not photo.variant_76:
            return ""
        return format_html('<img src="{}" width="38" height="38" alt="">', photo.variant_76.url)

    def delete_model(self, request, obj):
        services.profile_photo_delete(photo=obj)

    def delete_queryset(self, request, queryset):
        for photo in queryset:
            services.profile_photo_delete(photo=photo)


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    search_fields = ("follower__username", "followee__username")
    readonly_fields = ("id", "follower", "followee", "created_at")
    fields = readonly_fields
    date_hierarchy = "created_at"

    def delete_model(self, request, obj):
        services.follow_delete(follower=obj.follower, followee=obj.followee)

    def delete_queryset(self, request, queryset):
        for follow in queryset.select_related("follower", "followee"):
            services.follow_delete(follower=follow.follower, followee=follow.followee)


# --- Money -------------------------------------------------------------------------------------


class CreditPackageForm(forms.ModelForm):
    """A credit package as the admin and `manage.py credit_package` take it."""

    # Longer than 3 on purpose: " usd " is cleaned to "USD" rather than refused for length.
    currency = forms.CharField(
        label=_("Currency"), max_length=10, help_text=_("ISO 4217, such as USD or TRY.")
    )

    class Meta:
        model = CreditPackage
        fields = ("product_id", "name", "credits", "price", "currency", "is_active")
        help_texts = {
            "product_id": _("The store product id that RevenueCat reports for this package.")
        }

    def clean_credits(self):
        credits_ = self.cleaned_data["credits"]
        if not 0 < credits_ <= MAX_PACKAGE_CREDITS:
            raise ValidationError(PACKAGE_CREDITS_RANGE)
        return credits_

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price < 0:
            raise ValidationError(PACKAGE_PRICE_NEGATIVE)
        return price

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValidationError(PACKAGE_CURRENCY_INVALID)
        return currency


@admin.register(CreditPackage)
class CreditPackageAdmin(admin.ModelAdmin):
    """What the stores sell. A package that was bought cannot be deleted (the ledger names
    it): turn it off instead."""

    form = CreditPackageForm
    list_display = ("name", "product_id", "credits", "price", "currency", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "product_id")
    fields = (
        "product_id",
        "name",
        "credits",
        ("price", "currency"),
        "is_active",
        "id",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("id", "created_at", "updated_at")


class ContributionFilter(admin.SimpleListFilter):
    """Contributions (crowdfunding) and guest fees: the money held until a stream settles.
    A filter rather than a page of their own: they are ledger rows like any other, read-only
    with the same columns and search, and the status filter tells held from settled."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("contributions", _("Contributions and guest fees"))]

    def queryset(self, request, queryset):
        if self.value() == "contributions":
            return queryset.filter(type__in=HELD_TYPES)
        return queryset


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """The ledger, append-only (contract section 5). The platform's share of an earning is
    shown to staff on the row's page."""

    list_display = (
        "occurred",
        "user",
        "type",
        "direction",
        "amount",
        "balance_after",
        "status",
        "live_stream",
    )
    list_filter = ("type", "direction", "status", ContributionFilter)
    list_select_related = ("user", "live_stream")
    # Exact ids (the row's, the user's, the store's, the stream's), or a username or title.
    search_fields = (
        "=id",
        "=user__id",
        "user__username",
        "=external_id",
        "=live_stream__id",
        "live_stream__title",
    )
    search_help_text = _(
        "A username or stream title, or exactly a row id, user id, store transaction id or "
        "stream id."
    )
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-sequence")
    list_per_page = 50
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "user",
                    "sequence",
                    "type",
                    "direction",
                    "amount",
                    "balance_after",
                    "status",
                    "occurred_at",
                    "status_changed_at",
                )
            },
        ),
        (
            _("What it was for"),
            {"fields": ("live_stream", "package", "external_id", "reverses", "reversed_by")},
        ),
        (_("Platform share (staff only)"), {"fields": ("gross_amount", "platform_amount")}),
        (_("Staff adjustment"), {"fields": ("reason", "created_by")}),
    )
    readonly_fields = [field for _name, section in fieldsets for field in section["fields"]]

    class Media:
        css = {"all": ["admin-overrides/credits.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "live_stream", "package", "created_by", "reverses")
        )

    @admin.display(description=_("occurred at"), ordering="occurred_at")
    def occurred(self, row: CreditTransaction):
        return compact_datetime(row.occurred_at)

    @admin.display(description=_("reversed by"))
    def reversed_by(self, row: CreditTransaction):
        """The refund that gave this row back, if any."""
        reversal = CreditTransaction.objects.filter(reverses=row).first()
        if reversal is None:
            return None
        url = reverse("admin:users_credittransaction_change", args=[quote(reversal.pk)])
        return format_html('<a href="{}">{}</a>', url, reversal)


@admin.register(RevenueCatEvent)
class RevenueCatEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Every accepted RevenueCat webhook body, as it came, with what processing made of it
    (unknown users and products are flagged here for staff)."""

    list_display = (
        "received",
        "event_type",
        "outcome",
        "user",
        "product_id",
        "environment",
        "shortfall",
    )
    list_filter = ("outcome", "event_type", "environment")
    list_select_related = ("user",)
    search_fields = ("=event_id", "=transaction_id", "=app_user_id")
    search_help_text = _("Exactly an event id, store transaction id or app user id.")
    date_hierarchy = "received_at"
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "id",
        "event_id",
        "event_type",
        "outcome",
        "received_at",
        "user",
        "app_user_id",
        "product_id",
        "transaction_id",
        "environment",
        "shortfall",
        "credit_transaction",
        "raw_payload",
    )
    readonly_fields = fields

    class Media:
        css = {"all": ["admin-overrides/credits.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "credit_transaction")

    @admin.display(description=_("received at"), ordering="received_at")
    def received(self, event: RevenueCatEvent):
        return compact_datetime(event.received_at)

    @admin.display(description=_("payload"))
    def raw_payload(self, event: RevenueCatEvent):
        pretty = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre class="raw-payload">{}</pre>', pretty)
