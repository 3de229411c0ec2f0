"""REST API of complaints (placeholder: being built)."""
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.views import APIView


class _Stub(viewsets.ViewSet):
    def list(self, request):
        raise NotImplementedError


class ComplaintViewSet(_Stub):
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"], url_path="sign-off", url_name="reply-sign-off")
    def sign_off(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"], url_path="review", url_name="reply-review")
    def review(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"])
    def callback(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        raise NotImplementedError


class DispatchViewSet(_Stub):
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"], url_path="return-decision", url_name="return-decision")
    def return_decision(self, request, pk=None):
        raise NotImplementedError

    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        raise NotImplementedError


ExtensionViewSet = SuspensionViewSet = RatingViewSet = AppealViewSet = ComplaintTaskViewSet = CategoryViewSet = type("S", (_Stub,), {})


class ComplaintOptionsView(APIView):
    pass


PublicSubmitView = PublicTrackView = PublicRateView = ComplaintOptionsView
