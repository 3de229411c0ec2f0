"""REST API of the proposals app, mounted under /api/v1/. Filled in by the API work."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
