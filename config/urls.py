from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.api.views import favicon, health

urlpatterns = [
    path("health/", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include("users.api.urls")),
    path("api/v1/", include("livestreams.api.urls")),
    path("api/v1/", include("consents.api.urls")),
    path("api/v2/", include("livestreams.api.v2_urls")),
    path("api/v2/", include("users.notifications.api.v2_urls")),
]

if settings.DEBUG and not settings.AWS_STORAGE_BUCKET_NAME:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "config.api.views.bad_request"
handler403 = "config.api.views.permission_denied"
handler404 = "config.api.views.not_found"
handler500 = "config.api.views.server_error"
