from django.urls import path

from transparency.apis.verification import VerifyApi

urlpatterns = [
    path("verify/", VerifyApi.as_view(), name="api-verify"),
]
