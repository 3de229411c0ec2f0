"""Open311 GeoReport v2 (namespace "open311", mounted at /open311/v2/); see complaints/open311.py."""
from django.urls import path, re_path

from . import open311

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)"
urlpatterns = [
    re_path(rf"^discovery{FMT}$", open311.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", open311.services, name="services"),
    re_path(rf"^services/(?P<service_code>[^/.]+){FMT}$", open311.service_definition, name="service-definition"),
    re_path(rf"^requests{FMT}$", open311.requests, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/.]+){FMT}$", open311.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/.]+){FMT}$", open311.token, name="token"),
    re_path(rf"^servicerequestupdates{FMT}$", open311.updates, name="updates"),
]
del path
