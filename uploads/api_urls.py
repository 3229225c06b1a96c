from django.urls import path

from uploads.apis.batches import BatchCreateApi, BatchDetailApi
from uploads.apis.works import WorkDetailApi, WorkFileApi, WorkListCreateApi, WorkRetryApi

urlpatterns = [
    path("works/", WorkListCreateApi.as_view(), name="api-works"),
    path("works/<int:work_id>/", WorkDetailApi.as_view(), name="api-work"),
    path("works/<int:work_id>/retry/", WorkRetryApi.as_view(), name="api-work-retry"),
    path("works/<int:work_id>/files/<str:kind>/", WorkFileApi.as_view(), name="api-work-file"),
    path("uploads/batches/", BatchCreateApi.as_view(), name="api-batches"),
    path("uploads/batches/<int:batch_id>/", BatchDetailApi.as_view(), name="api-batch"),
]
