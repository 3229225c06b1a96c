from django.urls import path

from transparency.views.licenses import license_odrl, license_page
from transparency.views.verification import verify_page

app_name = "transparency"

urlpatterns = [
    path("public/licenses/<uuid:grant_uuid>/", license_page, name="license"),
    path("public/licenses/<uuid:grant_uuid>/odrl.json", license_odrl, name="license_odrl"),
    path("verify/", verify_page, name="verify"),
]
