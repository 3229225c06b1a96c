from django.urls import path

from uploads.views.batches import batch_detail
from uploads.views.works import (
    work_delete_view,
    work_detail,
    work_file,
    work_list,
    work_retry_view,
    work_upload,
)

app_name = "uploads"

urlpatterns = [
    path("studio/works/", work_list, name="work_list"),
    path("studio/works/upload/", work_upload, name="work_upload"),
    path("studio/works/<int:work_id>/", work_detail, name="work_detail"),
    path("studio/works/<int:work_id>/delete/", work_delete_view, name="work_delete"),
    path("studio/works/<int:work_id>/retry/", work_retry_view, name="work_retry"),
    path("studio/batches/<int:batch_id>/", batch_detail, name="batch_detail"),
    path("works/<int:work_id>/files/<str:kind>/", work_file, name="work_file"),
]
