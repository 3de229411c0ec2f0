"""Pages of the proposals app (namespace "proposals"). Filled in by the views work."""
from django.urls import path  # noqa: F401

app_name = "proposals"
urlpatterns: list = []
