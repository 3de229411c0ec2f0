"""Public pages for citizens without an account (namespace "complaints_public", mounted at /complaint/)."""
from django.urls import path

from . import public_views as views

app_name = "complaints_public"
urlpatterns = [
    path("", views.submit, name="submit"),
    path("similar/", views.similar, name="similar"),
    path("submitted/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("<str:number>/follow/", views.follow, name="follow"),
    path("<str:number>/notice.pdf", views.reply_notice_pdf, name="reply_notice"),
]
