from django.urls import path

from . import views_models as views

app_name = "models"

urlpatterns = [
    path("team/models/", views.model_list, name="list"),
    path("team/models/new/", views.model_new, name="new"),
    path("team/models/<uuid:declaration_uuid>/", views.model_detail, name="detail"),
    path("studio/models/", views.studio_models, name="studio_models"),
    path("studio/licenses/", views.studio_licenses, name="studio_licenses"),
]
