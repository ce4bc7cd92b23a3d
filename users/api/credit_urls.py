from django.urls import path

from users.api import credit_views as views

urlpatterns = [
    path("users/me/transactions", views.TransactionsView.as_view(), name="users-transactions"),
    path("credit-packages", views.CreditPackagesView.as_view(), name="credit-packages"),
    path(
        "credit-packages/purchase",
        views.CreditPurchaseView.as_view(),
        name="credit-packages-purchase",
    ),
    path(
        "webhooks/revenuecat",
        views.RevenueCatWebhookView.as_view(),
        name="webhooks-revenuecat",
    ),
]
