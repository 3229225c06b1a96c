from django.urls import path

from insight.apis.demand import DemandApi

urlpatterns = [
    path("insight/demand/", DemandApi.as_view(), name="api-insight-demand"),
]
