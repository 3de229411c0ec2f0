"""REST API of the shared engine under /api/v1/: who am I, the department and
user directories, my tasks and notifications, deadlines. Sign-in and tokens: workflow/api_auth.py.

Errors come in the one shape of workflow/api_support.py (docs/api.md)."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from . import api_support, registry, selectors, services, workdays
from . import inbox as inbox_selectors
from .api_support import MAX_INT, Bool, ChoiceLabel, Serializer, error_response, user_directory
from .web import statistics_date_validators
from .models import Department, Membership, Notification, SupervisionState, TimeUnit


# --- departments ----------------------------------------------------------------------------------
class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "kind", "parent", "contact_person", "contact_phone", "doc_number_prefix"]


@extend_schema_view(
    list=extend_schema(summary="单位名录", description="启用的单位（每个登录用户都可查看：交办、派单要用到单位 id）。可按 kind、code 筛选，分页。"),
    retrieve=extend_schema(summary="单位详情", description="一个启用的单位；停用的 404。"),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentSerializer
    filterset_fields = ["kind", "code"]

    def get_queryset(self):
        return selectors.department_list(user=self.request.user)


# --- who am I -------------------------------------------------------------------------------------
class DepartmentRefSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField(help_text="简称（没有时为全称）")

    def get_name(self, department) -> str:
        return str(department)


class MembershipSerializer(Serializer):
    department = DepartmentRefSerializer()
    role = serializers.ChoiceField(choices=registry.role_choices(), read_only=True)
    role_display = ChoiceLabel("role")


class MeMembershipSerializer(serializers.ModelSerializer):
    department = DepartmentSerializer()
    role = serializers.ChoiceField(choices=registry.role_choices(), read_only=True)
    role_display = ChoiceLabel("role")

    class Meta:
        model = Membership
        fields = ["department", "role", "role_display"]


class MeSerializer(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(help_text="姓名（未填写时为空）")
    name = serializers.CharField(help_text="显示的名字：姓名，未填写时为用户名")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=registry.role_choices()), help_text="有效的角色（只计启用单位中的有效任职；超级用户另有 admin）",
    )
    memberships = MeMembershipSerializer(many=True, help_text="有效的任职（单位 + 角色），只含启用的单位")


class MeView(APIView):
    @extend_schema(summary="当前用户", description="id、用户名、姓名、角色和任职（单位 + 角色）。", responses=MeSerializer)
    def get(self, request):
        user = request.user
        memberships = [m for m in selectors.user_memberships(user=user) if m.department.is_active]
        data = {
            "id": user.pk,
            "username": user.username,
            "full_name": user.full_name or user.get_full_name(),
            "name": str(user),
            "roles": sorted(selectors.user_roles(user=user)),
            "memberships": memberships,
        }
        return Response(MeSerializer(data).data)


# --- user directory -------------------------------------------------------------------------------
class DirectoryUserSerializer(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField(help_text="显示的名字：姓名，未填写时为用户名")
    memberships = MembershipSerializer(source="visible_memberships", many=True, help_text="当前用户可以看到的任职（单位 + 角色）")

    def get_name(self, user) -> str:
        return str(user)


class DirectoryQuerySerializer(Serializer):
    role = serializers.ChoiceField(choices=registry.role_choices(), required=False, help_text="只列出有此角色的人")
    department = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT, help_text="只列出在此单位任职的人（单位 id）")
    q = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="用户名或姓名包含的文字")


@extend_schema_view(
    list=extend_schema(
        summary="用户名录（按角色、单位查找）",
        description=(
            "查找牵头领导、联名委员等的用户 id。只列出有效任职的在职人员，只给 id、用户名、显示名和任职，"
            "不给电话和电子邮件。范围：提案委、督查人员和系统管理员看全部；其他人看本单位的人，"
            "政协委员另可看全部政协委员（邀请联名）。role 和 department 同时给出时，须是同一条任职。分页。"
        ),
        parameters=[DirectoryQuerySerializer],
    ),
)
class UserDirectoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DirectoryUserSerializer
    filter_backends: list = []

    def get_queryset(self):
        query = DirectoryQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return user_directory(user=self.request.user, role=data.get("role"), department=data.get("department"), q=data.get("q") or None)


# --- notifications --------------------------------------------------------------------------------
class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationQuerySerializer(Serializer):
    unread = Bool(required=False, default=False, help_text="true：只列出未读的")


class MarkReadSerializer(Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_INT), required=False, allow_null=True, max_length=1000,
        help_text="要标为已读的通知 id；不给则全部标为已读",
    )


MARKED = inline_serializer("MarkedRead", {"marked": serializers.IntegerField(help_text="这次标为已读的条数")})


@extend_schema_view(
    list=extend_schema(
        summary="我的通知",
        description="当前用户自己的通知，新的在前，分页；unread=true 只列未读。",
        parameters=[NotificationQuerySerializer],
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Notification.objects.none()  # for the schema's path parameter type; get_queryset scopes
    serializer_class = NotificationSerializer
    filter_backends: list = []

    def get_queryset(self):
        query = NotificationQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return selectors.notification_list(user=self.request.user, unread_only=query.validated_data["unread"])

    def _own(self) -> Notification:
        return selectors.notification_get(user=self.request.user, pk=api_support.url_pk(self.kwargs.get("pk")))

    @extend_schema(
        summary="标为已读（一条）", description="只能标自己的通知；别人的或不存在的 404。已读的再标不变。",
        request=None, responses=NotificationSerializer,
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self._own()
        services.notification_mark_read(actor=request.user, notification_ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="标为已读（全部或所给的多条）",
        description="不给 ids 时把自己的全部未读通知标为已读；给 ids 时只标其中属于自己的。返回这次标记的条数。",
        request=MarkReadSerializer, responses=MARKED,
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        marked = services.notification_mark_read(actor=request.user, notification_ids=ids)
        return Response({"marked": marked})


# --- tasks ----------------------------------------------------------------------------------------
class TaskSerializer(Serializer):
    id = serializers.IntegerField()
    process_id = serializers.IntegerField()
    flow_task = serializers.SerializerMethodField(help_text="流程节点（不随语言变化）")
    title = serializers.SerializerMethodField(help_text="环节名称（当前语言），取自流程节点的标题")
    status = serializers.CharField()
    created = serializers.DateTimeField()

    def get_flow_task(self, task) -> str:
        return str(task.flow_task)

    def get_title(self, task) -> str:
        node = task.flow_task
        if node is None:
            return ""
        return str(node.task_title or node)


class InboxView(APIView):
    @extend_schema(
        summary="我的待办（指派给我的任务）",
        description="viewflow 收件箱：指派给当前用户的任务，新的在前，最多 200 条，不分页。各类案件另有带办理接口的待办列表。",
        responses=TaskSerializer(many=True),
    )
    def get(self, request):
        tasks = selectors.inbox_tasks(user=request.user)[:200]
        return Response(TaskSerializer(tasks, many=True).data)


class OneInboxQuerySerializer(Serializer):
    kind = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="案件类型（任务模型，如 proposals.proposaltask）")
    step = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="环节（流程节点，如 proposals/flows.ProposalFlow.sign）")
    state = serializers.ChoiceField(required=False, allow_blank=True, choices=SupervisionState.choices, help_text="期限状态")

    def validate_kind(self, value):
        if value and value not in {k for k, _label in inbox_selectors.task_kinds()}:
            raise serializers.ValidationError(_("没有这种案件类型。"))
        return value

    def validate_step(self, value):
        if value and value not in {v for v, _label, _kind in inbox_selectors.step_choices()}:
            raise serializers.ValidationError(_("没有这个环节。"))
        return value


class OneInboxTaskSerializer(Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(source="inbox_kind", help_text="案件类型（任务模型）")
    step = serializers.SerializerMethodField(help_text="环节（流程节点，不随语言变化）")
    step_title = serializers.CharField(help_text="环节名称（当前语言）")
    case_id = serializers.SerializerMethodField()
    case_title = serializers.CharField()
    waiting = serializers.CharField(source="waiting_party", help_text="等待办理结果的人（提案人、市民，已遮蔽）")
    department = serializers.CharField(source="department.name", default="", help_text="任务所在单位")
    owner = serializers.SerializerMethodField(help_text="领取人；空表示待领取")
    deadline = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField(source="chip_state", help_text="期限状态：on_time / warning / overdue / severely_overdue")
    working_days_left = serializers.IntegerField(source="wd_left", default=0)
    working_days_late = serializers.IntegerField(source="wd_late", default=0)
    provisional_calendar = serializers.BooleanField(source="provisional_deadline", default=False, help_text="期限落在暂定日历年度")
    releasable = serializers.BooleanField(help_text="领取后可退回待领取")
    page = serializers.CharField(source="action_url", help_text="办理页面")

    def get_step(self, task) -> str:
        return str(task.flow_task)

    def get_case_id(self, task) -> int | None:
        case = task.case
        return case.pk if case is not None else None

    def get_owner(self, task) -> str:
        return str(task.owner) if task.owner_id else ""


class OneInboxSerializer(Serializer):
    total = serializers.IntegerField(help_text="符合筛选的待办总数")
    results = OneInboxTaskSerializer(many=True, help_text="按期限排序的前 100 项")


class OneInboxView(APIView):
    @extend_schema(
        summary="待办（按期限排序）",
        description="当前用户要办理的全部任务：指派给本人的和本单位本岗位的，各类案件合在一起，按期限排序，"
                    "附期限状态（与页面的标签、督办扫描一致）、剩余或逾期的工作日数。可按案件类型、环节、期限状态筛选。"
                    "办理即领取；领取（claim）只是告诉同事由谁在办。",
        parameters=[OneInboxQuerySerializer],
        responses=OneInboxSerializer,
    )
    def get(self, request):
        query = OneInboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = inbox_selectors.InboxFilters(**{k: query.validated_data.get(k) or "" for k in ("kind", "step", "state")})
        found = inbox_selectors.inbox(user=request.user, filters=filters)
        return Response(OneInboxSerializer({"total": found["total"], "results": found["tasks"]}).data)


class TaskClaimView(APIView):
    release = False

    @extend_schema(
        summary="领取任务",
        description="领取本单位（本岗位）待领取的任务，让同事知道由谁在办。不是自己（本单位、本岗位）的任务 403；"
                    "已被他人领取（给出领取人）或已办理 400。",
        request=None,
        responses=OneInboxTaskSerializer,
    )
    def post(self, request, kind: str, pk: int):
        from django.http import Http404

        model = next((m for m in registry.task_models() if m._meta.label_lower == kind), None)
        if model is None:
            raise Http404
        service = services.task_release if self.release else services.task_claim
        try:
            service(actor=request.user, task_model=model, task_id=pk)
        except model.DoesNotExist:
            raise Http404
        row = next((t for t in inbox_selectors.inbox(user=request.user, limit=inbox_selectors.LIMIT)["tasks"] if t.pk == pk), None)
        if row is None:
            return Response({"id": pk, "released" if self.release else "claimed": True})
        return Response(OneInboxTaskSerializer(row).data)


class TaskReleaseView(TaskClaimView):
    release = True

    @extend_schema(
        summary="退回待领取",
        description="把自己领取、尚未办理的任务退回本单位（本岗位）待领取；指派给本人的任务（如委员评价）不能退回，403。",
        request=None,
        responses=OneInboxTaskSerializer,
    )
    def post(self, request, kind: str, pk: int):
        return super().post(request, kind, pk)


# --- working-day deadlines ---------------------------------------------------------------------------
class DeadlineQuerySerializer(Serializer):
    start = serializers.DateField(help_text="YYYY-MM-DD")
    amount = serializers.IntegerField(min_value=0, max_value=3650)
    unit = serializers.ChoiceField(choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)


class DeadlineSerializer(Serializer):
    start = serializers.DateField()
    amount = serializers.IntegerField()
    unit = serializers.ChoiceField(choices=TimeUnit.choices, read_only=True)
    deadline = serializers.DateTimeField()


class DeadlineView(APIView):
    @extend_schema(
        summary="按工作日历计算期限",
        description="从 start 起算 amount 个单位（工作日含调休）。日历里没有的年份不猜：400，missing_year 给出缺的年份。",
        parameters=[DeadlineQuerySerializer],
        responses=DeadlineSerializer,
    )
    def get(self, request):
        query = DeadlineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data["start"]
        amount = query.validated_data["amount"]
        unit = query.validated_data["unit"]
        try:
            start_dt = workdays.end_of_day(start).replace(hour=9, minute=0, second=0)
            deadline = workdays.compute_deadline(start_dt, amount, unit)
        except workdays.CalendarYearMissing as exc:
            return error_response(400, detail=str(exc), code="calendar_year_missing", errors={"start": [str(exc)]}, missing_year=exc.year)
        except (OverflowError, ValueError):
            raise DjangoValidationError({"start": [_("起始日期过远，无法计算期限。")]})
        return Response(DeadlineSerializer({"start": start, "amount": amount, "unit": unit, "deadline": deadline}).data)


# --- supervision: urging notices (催办单) ---------------------------------------------------------
class UrgingNoticeSerializer(Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(source="department.name", default="", help_text="承办单位")
    step = serializers.CharField(help_text="逾期的环节")
    deadline = serializers.DateTimeField(help_text="办理期限")
    issued_at = serializers.DateTimeField(help_text="催办时间")
    case_type = serializers.CharField(source="case_type.model", help_text="案件类型（模型名）")
    case_id = serializers.IntegerField()
    signed_by = serializers.CharField(source="signed_by.username", default=None, allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="本单位待签收的催办单", description="承办人员和单位领导看到本单位逾期未办任务的催办单。"),
)
class UrgingNoticeViewSet(mixins.ListModelMixin, api_support.ServiceAPIMixin, viewsets.GenericViewSet):
    serializer_class = UrgingNoticeSerializer

    @property
    def queryset(self):  # for the schema's path parameter type; get_queryset scopes
        from .models import UrgingNotice

        return UrgingNotice.objects.none()

    def get_queryset(self):
        from .supervision import urging_notices_for

        return urging_notices_for(user=self.request.user).select_related("case_type")

    @extend_schema(
        summary="签收催办单", description="只有承办单位的承办人员或单位领导可以签收（其他人 403）；已签收的再签 400。",
        request=None, responses=UrgingNoticeSerializer,
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        from django.http import Http404

        from .models import UrgingNotice
        from .supervision import urging_notice_sign

        notice = UrgingNotice.objects.filter(pk=self._pk()).first()
        if notice is None:
            raise Http404
        notice = urging_notice_sign(actor=request.user, notice=notice)
        return Response(UrgingNoticeSerializer(notice).data)


# --- supervision: notices by hand (督办单, workflow.notices) -------------------------------------
class SupervisionNoticeSerializer(Serializer):
    id = serializers.IntegerField()
    case_type = serializers.SerializerMethodField(help_text="案件类型（proposal、complaint）")
    case_id = serializers.IntegerField()
    department = DepartmentRefSerializer(help_text="被督办单位")
    issued_by = serializers.CharField(source="issued_by.username")
    issued_at = serializers.DateTimeField()
    requirement = serializers.CharField(help_text="督办要求")
    deadline = serializers.DateTimeField(help_text="答复期限（当日24时前）")
    signed_by = serializers.CharField(source="signed_by.username", default=None, allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    response = serializers.CharField(help_text="书面答复")
    responded_by = serializers.CharField(source="responded_by.username", default=None, allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["issued", "signed", "responded", "overdue"], read_only=True,
        help_text="issued 待签收，signed 已签收待答复，responded 已答复，overdue 逾期未答复",
    )
    responded_late = serializers.BooleanField(read_only=True)

    def get_case_type(self, notice) -> str:
        hooks = registry.notice_hooks_for(notice.case_type.model_class())
        return hooks.code if hooks else notice.case_type.model


class SupervisionNoticeIssueSerializer(Serializer):
    case_type = serializers.CharField(max_length=32, help_text="proposal 或 complaint")
    case_id = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    department = serializers.IntegerField(min_value=1, max_value=MAX_INT, help_text="被督办单位 id（正在办理该案件的单位）")
    requirement = serializers.CharField(max_length=2000)
    deadline = serializers.DateField(help_text="答复期限：今天以后的工作日")


class SupervisionNoticeRespondSerializer(Serializer):
    response = serializers.CharField(max_length=5000)


@extend_schema_view(
    list=extend_schema(summary="督办单", description="被督办单位的承办人员和单位领导看到本单位收到的督办单；督办人看到自己下发的，附状态（逾期未答复为 overdue）。"),
)
class SupervisionNoticeViewSet(mixins.ListModelMixin, api_support.ServiceAPIMixin, viewsets.GenericViewSet):
    serializer_class = SupervisionNoticeSerializer

    @property
    def queryset(self):  # for the schema's path parameter type; get_queryset scopes
        from .models import SupervisionNotice

        return SupervisionNotice.objects.none()

    def get_queryset(self):
        from .notices import notices_for

        return notices_for(user=self.request.user)

    def list(self, request, *args, **kwargs):
        from .notices import annotate_status

        page = self.paginate_queryset(self.get_queryset())
        if page is not None:
            return self.get_paginated_response(SupervisionNoticeSerializer(annotate_status(page), many=True).data)
        return Response(SupervisionNoticeSerializer(annotate_status(self.get_queryset()), many=True).data)

    @extend_schema(
        summary="下发督办单",
        description="该案件的督查人员或重点提案的牵头领导向正在办理的单位下发（其他人 403）；期限须为今天以后的工作日（400）。",
        request=SupervisionNoticeIssueSerializer, responses={201: SupervisionNoticeSerializer},
    )
    def create(self, request):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        from . import notices

        data = self._input(SupervisionNoticeIssueSerializer)
        case = notices.case_for(code=data["case_type"], pk=data["case_id"])
        if case is None:
            raise Http404
        if not notices.can_issue(user=request.user, case=case):
            raise PermissionDenied(_("只有该案件的督查人员或牵头领导可以下发督办单。"))
        notice = notices.supervision_notice_issue(
            actor=request.user, case=case, department=data["department"], requirement=data["requirement"], deadline=data["deadline"],
        )
        return Response(SupervisionNoticeSerializer(notices.annotate_status([notice])[0]).data, status=201)

    @extend_schema(
        summary="签收督办单", description="被督办单位的承办人员或单位领导签收（其他人 403）；已签收的再签 400。",
        request=None, responses=SupervisionNoticeSerializer,
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        from . import notices

        notice = notices.supervision_notice_sign(actor=request.user, notice=notices.notice_get(user=request.user, pk=self._pk()))
        return Response(SupervisionNoticeSerializer(notices.annotate_status([notice])[0]).data)

    @extend_schema(
        summary="答复督办单", description="被督办单位签收后书面答复，一次（其他人 403；未签收、已答复、答复为空 400）。",
        request=SupervisionNoticeRespondSerializer, responses=SupervisionNoticeSerializer,
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        from . import notices

        data = self._input(SupervisionNoticeRespondSerializer)
        notice = notices.supervision_notice_respond(
            actor=request.user, notice=notices.notice_get(user=request.user, pk=self._pk()), response=data["response"],
        )
        return Response(SupervisionNoticeSerializer(notices.annotate_status([notice])[0]).data)


# --- the periodic report (通报) -----------------------------------------------------------------------
class ReportSerializer(Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="draft | submitted | returned | published")
    doc_number = serializers.CharField(help_text="发文字号（发布时编号；草稿为空）")
    title = serializers.CharField()
    period_kind = serializers.CharField(help_text="day | month | quarter | year | custom")
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    scope = serializers.CharField(help_text="空：全部案件类型；否则案件类型代码")
    rank_by = serializers.CharField()
    issuer_name = serializers.CharField(help_text="发文机关")
    drafted_by = serializers.CharField(source="drafted_by.username", default=None, allow_null=True, help_text="空：系统自动起草")
    drafted_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    return_reason = serializers.CharField(help_text="退回理由（被退回时）")
    issued_by = serializers.CharField(source="issued_by.username", default=None, allow_null=True, help_text="审批发布人；空：系统自动发布或尚未发布")
    issued_at = serializers.DateTimeField(allow_null=True)
    pdf = serializers.SerializerMethodField(help_text="PDF 下载地址（草稿为标注“草稿/送审稿”的PDF）")

    def get_pdf(self, report) -> str:
        from django.urls import reverse

        return reverse("api-document-pdf", args=["report", report.pk])


class ReportIssueSerializer(Serializer):
    period = serializers.ChoiceField(choices=["day", "month", "quarter", "year", "custom"])
    date = serializers.DateField(required=False, validators=statistics_date_validators(), help_text="所在的日、月、季度或年（须已结束）；不填为上个月")
    start = serializers.DateField(required=False, validators=statistics_date_validators())
    end = serializers.DateField(required=False, validators=statistics_date_validators())
    scope = serializers.CharField(required=False, allow_blank=True, default="")
    rank_by = serializers.CharField(required=False, allow_blank=True, default="")


class ReportReturnSerializer(Serializer):
    reason = serializers.CharField(max_length=2000, help_text="退回理由")


def _report_params(request) -> dict:
    from django.utils import timezone

    from .reports import last_month

    serializer = ReportIssueSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    d = serializer.validated_data
    return {"kind": d["period"], "day": d.get("date") or last_month(timezone.localdate()), "start": d.get("start"),
            "end": d.get("end"), "scope": d.get("scope") or "", "rank_by": d.get("rank_by") or ""}


class ReportListView(api_support.ServiceAPIMixin, APIView):
    """GET: the reports the user sees, newest first; POST: draft one."""

    @extend_schema(summary="通报列表", description="已发布的通报对督办看板的各角色可见；草稿、送审中、已退回的只对起草部门和审批领导可见。",
                   responses=ReportSerializer(many=True))
    def get(self, request):
        from django.core.paginator import Paginator

        from .reports import list_reports_for

        page = Paginator(list_reports_for(user=request.user), 50).get_page(request.query_params.get("page"))
        return Response({"count": page.paginator.count, "results": ReportSerializer(page.object_list, many=True).data})

    @extend_schema(
        summary="起草通报", description="督查人员、提案委、热线派单中心（能查看全部单位的）可起草，生成草稿（未编号）；其他人 403；同一时段已有通报 400。",
        request=ReportIssueSerializer, responses={201: ReportSerializer},
    )
    def post(self, request):
        from .reports import report_draft

        report = report_draft(actor=request.user, **_report_params(request))
        return Response(ReportSerializer(report).data, status=201)


class ReportDetailView(api_support.ServiceAPIMixin, APIView):
    @extend_schema(summary="通报详情", responses=ReportSerializer)
    def get(self, request, pk: int):
        from .reports import report_get

        return Response(ReportSerializer(report_get(user=request.user, pk=pk)).data)


class ReportActionView(api_support.ServiceAPIMixin, APIView):
    """POST /api/v1/reports/<id>/<action>/: submit (送审), approve (审批发布), return (退回, reason),
    regenerate (重新生成数据), revise (修改时段、范围、排名依据: the fields of POST /reports/)."""

    @extend_schema(
        operation_id="reports_action", summary="通报操作", description="submit / regenerate / revise：起草部门；approve / return（reason）：发文单位的单位领导，"
        "不能审批自己起草或送审的通报。无权 403；状态不符 400；不存在 404。",
        request=ReportReturnSerializer, responses=ReportSerializer,
    )
    def post(self, request, pk: int, action: str):
        from django.http import Http404

        from . import reports

        if action not in ("submit", "approve", "return", "regenerate", "revise"):
            raise Http404
        report = reports.report_get(user=request.user, pk=pk)
        if action == "submit":
            report = reports.report_submit(actor=request.user, report=report)
        elif action == "approve":
            report = reports.report_approve(actor=request.user, report=report)
        elif action == "return":
            serializer = ReportReturnSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            report = reports.report_return(actor=request.user, report=report, reason=serializer.validated_data["reason"])
        elif action == "regenerate":
            report = reports.report_regenerate(actor=request.user, report=report)
        else:
            report = reports.report_revise(actor=request.user, report=report, **_report_params(request))
        return Response(ReportSerializer(report).data)
