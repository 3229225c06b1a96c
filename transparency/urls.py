from django.urls import path

from . import views

app_name = "transparency"

urlpatterns = [
    path("public/licenses/<uuid:grant_uuid>/", views.license_page, name="license"),
    path("public/licenses/<uuid:grant_uuid>/odrl.json", views.license_odrl, name="license_odrl"),
    path("verify/", views.verify_page, name="verify"),
]
