from django.urls import path

from users.api import auth_urls, credit_urls, views
from users.notifications.api import urls as notification_urls

urlpatterns = [
    *auth_urls.urlpatterns,
    *credit_urls.urlpatterns,
    *notification_urls.urlpatterns,
    path("users/me", views.MeView.as_view(), name="users-me"),
    path("onboarding/step-1", views.OnboardingStep1View.as_view(), name="onboarding-step-1"),
    path("onboarding/step-2", views.OnboardingStep2View.as_view(), name="onboarding-step-2"),
    path("onboarding/step-3", views.OnboardingStep3View.as_view(), name="onboarding-step-3"),
    path("users/username", views.UsernameChangeView.as_view(), name="users-username"),
    path("users/search", views.UserSearchView.as_view(), name="users-search"),
    # Fixed paths before the `<user_id>` ones they would otherwise be mistaken for.
    path("users/profile/photo", views.ProfilePhotoUpdateView.as_view(), name="users-photo"),
    path(
        "users/profile/username/<str:username>",
        views.PublicProfileByUsernameView.as_view(),
        name="users-profile-by-username",
    ),
    path("users/profile/<str:user_id>", views.PublicProfileView.as_view(), name="users-profile"),
    path("file/profile-photo", views.ProfilePhotoUploadView.as_view(), name="file-profile-photo"),
    path("follow/me/followers", views.FollowersView.as_view(), name="follow-followers"),
    path("follow/<str:user_id>/status", views.FollowStatusView.as_view(), name="follow-status"),
    path("follow/<str:user_id>", views.FollowView.as_view(), name="follow"),
]
