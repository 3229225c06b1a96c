from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.views.home import dashboard
from payouts import webhooks

from . import views
from .health import healthz

# Admin sign-in goes through allauth, so staff meet the same lockout and two-factor step.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = "Assent staff"

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("uploads.api_urls")),
    path("", include("licensing.api_urls")),
    path("", include("payouts.api_urls")),
    path("", include("marketplace.api_urls")),
    path("", include("moderation.api_urls")),
    path("", include("collectives.api_urls")),
    path("", include("insight.api_urls")),
    path("", include("transparency.api_urls")),
    # Anything else under /api/ answers a JSON 404, not an HTML page.
    re_path(r"^.*$", views.api_not_found),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard, name="dashboard"),
    path("", include("accounts.urls")),
    path("", include("uploads.urls")),
    path("", include("licensing.urls")),
    path("", include("payouts.urls")),
    path("", include("marketplace.urls")),
    path("", include("moderation.urls")),
    path("", include("collectives.urls")),
    path("", include("insight.urls")),
    path("", include("transparency.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe-webhook"),
]

handler400 = "config.views.error_400"
handler403 = "config.views.error_403"
handler404 = "config.views.error_404"
handler500 = "config.views.error_500"

if settings.DEBUG:
    # Debug pages for the error templates, so they can be looked at while developing.
    urlpatterns += [
        path("_errors/403/", views.error_403),
        path("_errors/404/", views.error_404),
        path("_errors/500/", views.error_500),
        path("_errors/503/", views.error_503),
    ]
