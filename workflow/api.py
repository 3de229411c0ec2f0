"""REST API of the shared engine under /api/v1/."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, workdays
from .models import Department, Membership, TimeUnit


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "kind", "parent", "contact_person", "contact_phone", "doc_number_prefix"]


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The department directory (every signed-in user may read it)."""

    serializer_class = DepartmentSerializer
    filterset_fields = ["kind", "code"]

    def get_queryset(self):
        return selectors.department_list(user=self.request.user)


class MembershipSerializer(serializers.ModelSerializer):
    department = DepartmentSerializer()

    class Meta:
        model = Membership
        fields = ["department", "role"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    memberships = MembershipSerializer(many=True)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "username": user.username,
            "full_name": str(user),
            "roles": sorted(selectors.user_roles(user=user)),
            "memberships": selectors.user_memberships(user=user),
        }
        return Response(MeSerializer(data).data)


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    process_id = serializers.IntegerField()
    flow_task = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    status = serializers.CharField()
    created = serializers.DateTimeField()

    def get_flow_task(self, task) -> str:
        return str(task.flow_task)

    def get_title(self, task) -> str:
        return str(task.title) if hasattr(task, "title") else str(task.flow_task)


class InboxView(APIView):
    """The requesting user's assigned tasks (viewflow inbox)."""

    @extend_schema(responses=TaskSerializer(many=True))
    def get(self, request):
        tasks = selectors.inbox_tasks(user=request.user)[:200]
        return Response(TaskSerializer(tasks, many=True).data)


class DeadlineQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text="YYYY-MM-DD")
    amount = serializers.IntegerField(min_value=0, max_value=3650)
    unit = serializers.ChoiceField(choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)


class DeadlineSerializer(serializers.Serializer):
    start = serializers.DateField()
    amount = serializers.IntegerField()
    unit = serializers.CharField()
    deadline = serializers.DateTimeField()


class DeadlineView(APIView):
    """Compute a deadline on the working-day calendar."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("amount", int, required=True),
            OpenApiParameter("unit", str, enum=TimeUnit.values),
        ],
        responses=DeadlineSerializer,
    )
    def get(self, request):
        query = DeadlineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data["start"]
        amount = query.validated_data["amount"]
        unit = query.validated_data["unit"]
        start_dt = workdays.end_of_day(start).replace(hour=9, minute=0, second=0)
        try:
            deadline = workdays.compute_deadline(start_dt, amount, unit)
        except workdays.CalendarYearMissing as exc:
            return Response({"detail": str(exc), "missing_year": exc.year}, status=400)
        except (OverflowError, ValueError):
            return Response({"start": [_("起始日期过远，无法计算期限。")]}, status=400)
        return Response(DeadlineSerializer({"start": start, "amount": amount, "unit": unit, "deadline": deadline}).data)
