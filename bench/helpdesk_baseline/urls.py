"""URLs for the baseline: escalation e-mails reverse helpdesk's ticket URLs."""
from django.urls import include, path

urlpatterns = [
    path("helpdesk/", include("helpdesk.urls")),
]
