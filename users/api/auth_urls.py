from django.urls import path

from users.api import auth_views

urlpatterns = [
    path("auth/send-otp", auth_views.SendOtpView.as_view(), name="auth-send-otp"),
    path("auth/verify-otp", auth_views.VerifyOtpView.as_view(), name="auth-verify-otp"),
    path("auth/send-otp-email", auth_views.SendEmailOtpView.as_view(), name="auth-send-otp-email"),
    path(
        "auth/verify-otp-email",
        auth_views.VerifyEmailOtpView.as_view(),
        name="auth-verify-otp-email",
    ),
    path("auth/refresh", auth_views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", auth_views.LogoutView.as_view(), name="auth-logout"),
]
