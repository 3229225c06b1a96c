from django.urls import path

from insight.views.demand import demand

app_name = "insight"

urlpatterns = [
    path("studio/demand/", demand, name="demand"),
]
