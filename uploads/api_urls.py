from django.urls import path

from . import apis

urlpatterns = [
    path("works/", apis.WorkListCreateApi.as_view(), name="api-works"),
    path("works/<int:work_id>/", apis.WorkDetailApi.as_view(), name="api-work"),
    path("works/<int:work_id>/retry/", apis.WorkRetryApi.as_view(), name="api-work-retry"),
    path("works/<int:work_id>/files/<str:kind>/", apis.WorkFileApi.as_view(), name="api-work-file"),
    path("uploads/batches/", apis.BatchCreateApi.as_view(), name="api-batches"),
    path("uploads/batches/<int:batch_id>/", apis.BatchDetailApi.as_view(), name="api-batch"),
]
