from django.urls import path

from . import views

app_name = "uploads"

urlpatterns = [
    path("studio/works/", views.work_list, name="work_list"),
    path("studio/works/upload/", views.work_upload, name="work_upload"),
    path("studio/works/<int:work_id>/", views.work_detail, name="work_detail"),
    path("studio/works/<int:work_id>/delete/", views.work_delete_view, name="work_delete"),
    path("studio/works/<int:work_id>/retry/", views.work_retry_view, name="work_retry"),
    path("studio/batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("works/<int:work_id>/files/<str:kind>/", views.work_file, name="work_file"),
]
