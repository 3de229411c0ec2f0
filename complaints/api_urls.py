"""REST API of complaints, mounted under /api/v1/ (see complaints/api.py).

Action URL names used by the flow's declarations (complaints/flows.py):
complaint-triage, complaint-reply, complaint-reply-sign-off,
complaint-reply-review, complaint-callback, complaint-rectify (on
complaints/{id}/), complaint-dispatch-sign, complaint-dispatch-return-decision,
complaint-dispatch-opinion (on complaint-dispatches/{id}/)."""
from django.urls import include, path
from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("complaints", api.ComplaintViewSet, basename="complaint")
router.register("complaint-dispatches", api.DispatchViewSet, basename="complaint-dispatch")
router.register("complaint-extensions", api.ExtensionViewSet, basename="complaint-extension")
router.register("complaint-suspensions", api.SuspensionViewSet, basename="complaint-suspension")
router.register("complaint-ratings", api.RatingViewSet, basename="complaint-rating")
router.register("complaint-appeals", api.AppealViewSet, basename="complaint-appeal")
router.register("complaint-tasks", api.ComplaintTaskViewSet, basename="complaint-task")
router.register("complaint-categories", api.CategoryViewSet, basename="complaint-category")

urlpatterns = [
    path("complaint-options/", api.ComplaintOptionsView.as_view(), name="complaint-options"),
    path("public/complaints/", api.PublicSubmitView.as_view(), name="public-complaint-submit"),
    path("public/complaints/track/", api.PublicTrackView.as_view(), name="public-complaint-track"),
    path("public/complaints/rate/<str:token>/", api.PublicRateView.as_view(), name="public-complaint-rate"),
    path("", include(router.urls)),
]
