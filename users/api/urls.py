from users.api import auth_urls

urlpatterns = [
    *auth_urls.urlpatterns,
]
