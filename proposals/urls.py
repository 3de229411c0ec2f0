"""Pages of the proposals app (namespace "proposals", mounted at /proposals/)."""
from django.urls import path

from . import public_views, views

app_name = "proposals"
urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_new, name="new"),
    path("public/", public_views.public, name="public"),
    path("public/<int:pk>/", public_views.public_detail, name="public_detail"),
    path("supervision/", views.supervision, name="supervision"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("<int:pk>/delete/", views.delete_draft, name="delete"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/cosign/", views.cosign, name="cosign"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/supervision/", views.set_supervision, name="set_supervision"),
    path("<int:pk>/disclosure/", views.set_public, name="set_public"),
    path("<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/rehandle/", views.rehandle, name="rehandle"),
    path("<int:pk>/waive-evaluation/", views.waive_evaluation, name="waive_evaluation"),
    path("<int:pk>/withdraw-cosigner/", views.withdraw_cosigner, name="withdraw_cosigner"),
    path("assignments/<int:pk>/sign/", views.sign, name="sign"),
    path("assignments/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("assignments/<int:pk>/reassign-decide/", views.reassign_decide, name="reassign_decide"),
    path("assignments/<int:pk>/consult/", views.consult, name="consult"),
    path("assignments/<int:pk>/opinion/", views.opinion, name="opinion"),
    path("assignments/<int:pk>/reply/", views.reply, name="reply"),
    path("assignments/<int:pk>/reply/preview/", views.reply_preview, name="reply_preview"),
    path("assignments/<int:pk>/extension/", views.extension, name="extension"),
    path("replies/<int:pk>/sign-off/", views.sign_off, name="sign_off"),
    path("replies/<int:pk>/review/", views.reply_review, name="reply_review"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
]
