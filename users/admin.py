"""The users admin: operators inspect accounts, photos and follows; staff sign in with a
password. Deletions go through the services, so counters and stored files stay right.

Identity fields (username, email and its verification, phone, interests) are read-only here:
they change through the app's own checked paths. A save writes only the fields the form
changed, so counters and balances moved meanwhile by the services are not overwritten, and
deactivating an account ends its sessions.

The only changelist action is Django's own "delete_selected", which declares the delete
permission: a view-only operator is offered no action, and a forged POST of it does nothing."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from users import services, sessions
from users.models import Follow, ProfilePhoto, User


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
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
