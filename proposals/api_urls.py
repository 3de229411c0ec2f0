"""REST API of the proposals app, mounted under /api/v1/ (see proposals/api.py)."""
from django.urls import include, path
from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("proposals", api.ProposalViewSet, basename="proposal")
router.register("proposal-assignments", api.AssignmentViewSet, basename="proposal-assignment")
router.register("proposal-replies", api.ReplyViewSet, basename="proposal-reply")
router.register("proposal-extensions", api.ExtensionRequestViewSet, basename="proposal-extension")
router.register("proposal-tasks", api.ProposalTaskViewSet, basename="proposal-task")
router.register("proposal-sessions", api.SessionViewSet, basename="proposal-session")
router.register("proposal-categories", api.CategoryViewSet, basename="proposal-category")
router.register("proposal-cosign-candidates", api.CosignCandidateViewSet, basename="proposal-cosign-candidate")
router.register("public/proposals", api.PublicProposalViewSet, basename="public-proposal")

urlpatterns = [
    path("proposal-options/", api.ProposalOptionsView.as_view(), name="proposal-options"),
    path("", include(router.urls)),
]
