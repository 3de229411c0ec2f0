"""Staff pages of complaints (namespace "complaints", mounted at /complaints/)."""
from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger.xlsx", views.ledger_export, name="ledger_export"),
    path("requests/", views.requests_queue, name="requests"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/triage/", views.triage, name="triage"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/sign-off/", views.sign_off, name="sign_off"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/callback/", views.callback, name="callback"),
    path("<int:pk>/rectify/", views.rectify, name="rectify"),
    path("<int:pk>/note/", views.note, name="note"),
    path("<int:pk>/instruct/", views.instruct, name="instruct"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/extension/", views.extension, name="extension"),
    path("<int:pk>/suspend/", views.suspend, name="suspend"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("dispatches/<int:pk>/sign/", views.sign, name="sign"),
    path("dispatches/<int:pk>/return-decide/", views.return_decide, name="return_decide"),
    path("dispatches/<int:pk>/opinion/", views.opinion, name="opinion"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("suspensions/<int:pk>/decide/", views.suspension_decide, name="suspension_decide"),
    path("ratings/<int:pk>/appeal/", views.appeal, name="appeal"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
