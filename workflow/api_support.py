"""Shared REST API plumbing for every case app (it names none of them).

* **One error shape** for every 4xx answer (`exception_handler`, registered
  in settings as REST_FRAMEWORK["EXCEPTION_HANDLER"]):

      {"detail": "<message for people>", "code": "<machine code>",
       "errors": {"<field>": ["<message>", ...], "non_field_errors": [...]}}

  `errors` is always there (empty unless the request had invalid fields).
  Domain services refuse with Django's ValidationError (400, messages keyed
  by field when they name one, otherwise under "non_field_errors" and in
  `detail`) or PermissionDenied (403 with its message); Http404 is 404; DRF's
  own exceptions keep their status. Messages stay in the active language.
* **Bodies that cannot hurt**: `JSONParser` refuses non-finite numbers
  (1e400, NaN), nesting deeper than MAX_JSON_DEPTH and integers Python will
  not convert, as 400s.
* **Fields**: `Bool`, `IdField` (a primary key in range, never a float or a
  boolean), `LabelCodeField` (a code of an administered scale), model-derived
  `max_length`, inline enums for choice fields.
* **Schema**: `AutoSchema` (built on first use, see `__getattr__`; the view's class docstring is not copied into
  every operation) and `postprocess_schema` (an `Error` component and the
  400/401/403/404 answers on every operation, the codes of labelled scales).
* **User directory**: `user_directory` and `directory_memberships`, scoped
  to what the requesting user may see (docs/api.md, "User directory").
"""
from __future__ import annotations

import codecs
import functools
import json
import math
import re

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from drf_spectacular.drainage import has_override, set_override
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, parsers, serializers
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.settings import api_settings

from . import registry
from .models import Membership, User
from .web import MAX_INT, model_max_length  # noqa: F401  (one limit for forms and the API; re-exported)

MAX_JSON_DEPTH = 32  # no request of ours nests deeper than 3 levels

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY  # "non_field_errors"


# --- the error shape -------------------------------------------------------------------------------
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text) -> str:
    """Text the JSON renderer can encode as UTF-8 (lone surrogates from the
    request, quoted in a message, become U+FFFD)."""
    text = str(text)
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.0.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = NON_FIELD if key in (NON_FIELD_ERRORS, NON_FIELD) and not prefix else _encodable(key)
            for path, messages in _flatten(value, f"{prefix}.{key}" if prefix else key).items():
                out.setdefault(path, []).extend(messages)
    elif isinstance(detail, (list, tuple)):
        strings = [d for d in detail if not isinstance(d, (dict, list, tuple))]
        if strings:
            out[prefix or NON_FIELD] = [_encodable(d) for d in strings]
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list, tuple)) and value:
                for path, messages in _flatten(value, f"{prefix}.{index}" if prefix else str(index)).items():
                    out.setdefault(path, []).extend(messages)
    else:
        out[prefix or NON_FIELD] = [_encodable(detail)]
    return out


def validation_error_detail(exc: DjangoValidationError) -> dict | list:
    """A Django ValidationError (a service's refusal) as DRF error detail."""
    if hasattr(exc, "error_dict"):
        return {NON_FIELD if k == NON_FIELD_ERRORS else k: v for k, v in exc.message_dict.items()}
    return list(exc.messages)


def error_body(*, detail, code: str, errors: dict | None = None, **extra) -> dict:
    """The body of every 4xx answer (see the module docstring)."""
    return {"detail": _encodable(detail), "code": code, "errors": errors or {}, **extra}


def error_response(status: int, *, detail, code: str, errors: dict | None = None, **extra) -> Response:
    """For the rare view that answers an error itself instead of raising."""
    return Response(error_body(detail=detail, code=code, errors=errors, **extra), status=status)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every refusal in the one error shape."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # Django's own 404 text names models ("No Proposal matches…")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(code="request_too_large")  # Django's limits on form bodies
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(code="suspicious_request")
    if not isinstance(exc, exceptions.APIException):
        return None
    from rest_framework.views import set_rollback  # not at the top: rest_framework.views imports this module's parser

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = "%d" % exc.wait

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        general = errors.get(NON_FIELD)
        detail = " ".join(general) if general else exceptions.ValidationError.default_detail
        code = "invalid"
    elif isinstance(exc.detail, (dict, list)):
        errors = _flatten(exc.detail)
        detail = " ".join(m for messages in errors.values() for m in messages) or exc.default_detail
        code = exc.default_code
    else:
        errors = {}
        detail = exc.detail
        code = _code(exc)
    set_rollback()
    return Response(error_body(detail=detail, code=code, errors=errors), status=exc.status_code, headers=headers)


@functools.lru_cache(maxsize=None)
def _choice_labels(model, field_name: str, language: str | None) -> dict:
    """{value: label} of a choice field, in `language` (the labels are lazy translations)."""
    return {make_hashable(value): str(label) for value, label in model._meta.get_field(field_name).flatchoices}


class ChoiceLabel(serializers.CharField):
    """The label of a choice field's value in the active language: what the model's
    get_FOO_display() gives, read from a table built once per field and language.

    get_FOO_display() rebuilds the field's whole choices dict on every call, hashing each
    lazy label (one gettext each), and DRF inspects a method source's signature per row:
    on a list of 50 proposals the labels took a third of the API's time (docs/scale.md)."""

    def __init__(self, field_name: str, *, model=None, **kwargs):
        super().__init__(source=field_name, read_only=True, **kwargs)
        self.field_name_of_choice, self.model = field_name, model  # model: else the object's class

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return None if value is None else (self.model or type(instance), value)

    def to_representation(self, value):
        model, value = value
        labels = _choice_labels(model, self.field_name_of_choice, translation.get_language())
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    detail = serializers.CharField(help_text="给人看的说明（当前语言）；输入有误时是概括，逐项原因见 errors")
    code = serializers.CharField(help_text="机器可读的代码：invalid, parse_error, not_authenticated, authentication_failed, permission_denied, not_found, method_not_allowed, ...")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="逐字段的错误 {字段: [消息]}；与字段无关的在 non_field_errors；嵌套字段写作 a.0.b。没有时为空对象",
    )


# --- parsing ------------------------------------------------------------------------------------------
def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _too_deep(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 instead of 500 for bodies Python parses
    into trouble: 1e400 (infinity, then OverflowError in an id lookup), NaN,
    integers too long to convert, and deep nesting (RecursionError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.load(codecs.getreader(encoding)(stream), parse_float=_finite_float, parse_constant=_no_constant)
        except RecursionError:
            raise exceptions.ParseError(code="json_too_deep")
        except ValueError:  # includes UnicodeDecodeError and json.JSONDecodeError
            raise exceptions.ParseError(code="json_invalid")
        if isinstance(data, (dict, list)) and _too_deep(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError(code="json_too_deep")
        return data


# --- fields -------------------------------------------------------------------------------------------
class Bool(serializers.BooleanField):
    """A boolean whose absence from form-encoded input means "not given"
    (DRF's default reads it as false, which would silently refuse or unset)."""

    default_empty_html = empty


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_INT})
class IdField(serializers.PrimaryKeyRelatedField):
    """A primary key: an integer (or a string of digits) between 1 and MAX_INT.

    DRF would pass anything to the database: 1.5 finds id 1, 1e400 raises
    OverflowError, 10**30 overflows PostgreSQL's bigint."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdecimal() and len(data) <= 10:
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_INT:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class RuleRowField(serializers.Field):
    """A row of a rules table (a reason, a category...) given by id or by code;
    active rows only. Subclasses name the model and the "unknown" message."""

    model = None
    default_error_messages = {"unknown": "“%(value)s”不存在。"}

    def to_internal_value(self, data):
        rows = self.model.objects.filter(is_active=True)
        row = None
        if isinstance(data, int) and not isinstance(data, bool) and 0 < data <= MAX_INT:
            row = rows.filter(pk=data).first()
        elif isinstance(data, str) and data.isascii() and data.isdecimal() and len(data) < 10:
            row = rows.filter(pk=int(data)).first()
        if row is None and isinstance(data, str) and queryable_text(data):
            row = rows.filter(code=data).first()
        if row is None:
            raise serializers.ValidationError(self.error_messages["unknown"] % {"value": str(data)[:64]})
        return row

    def to_representation(self, value):
        return value.code


def queryable_text(value: str) -> bool:
    """A string the database can be asked about: no NUL (PostgreSQL refuses
    it), no lone surrogate (not encodable as UTF-8), not absurdly long."""
    if len(value) > 255 or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class LabelCodeField(serializers.CharField):
    """A code of a labelled scale (rules as data: workflow.rules). The label itself (e.g. 满意) is accepted too.

    The schema documents it as a string carrying `x-label-scale`;
    `postprocess_schema` lists the scale's codes at generation time in its
    description. Not an enum: administrators may add or switch off codes."""

    def __init__(self, scale: str, **kwargs):
        self.scale = scale
        super().__init__(**kwargs)
        # (minLength: 1 for requests comes from drf-spectacular's COMPONENT_SPLIT_REQUEST)
        set_override(self, "field", {"type": "string", "x-label-scale": scale})

    def to_internal_value(self, data):
        from django.utils.translation import gettext as _

        from .rules import label_choices

        value = super().to_internal_value(data)
        if value == "" and self.allow_blank:
            return value
        choices = label_choices(self.scale)
        for choice in choices:
            if value in (choice.code, choice.label):
                return choice.code
        allowed = "、".join(f"{c.code}（{c.label}）" for c in choices)
        raise serializers.ValidationError(_("“%(value)s”不是有效的选项，可选：%(allowed)s。") % {"value": value, "allowed": allowed})


class InlineEnumsMixin:
    # Document choice fields as inline enums with their labels.
    #
    # Several models share field names with different choice sets (status,
    # role, kind, mode); drf-spectacular would name their enum components by
    # the field name alone and warn about the collision. Each serializer's
    # choice sets are named after the serializer instead (ProposalStatusEnum,
    # ReplyStatusEnum, ...).
    #
    # (A comment, not a docstring: drf-spectacular would copy a docstring into
    # the description of every serializer built on this mixin.)

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if isinstance(field, serializers.ChoiceField) and not isinstance(field, serializers.MultipleChoiceField) and not has_override(field, "field"):
                values = [str(k) for k in field.choices]
                if getattr(field, "allow_blank", False) and "" not in values:
                    values.append("")
                schema = {
                    "type": "string", "enum": values,
                    "description": "\n".join(f"* `{k}` - {v}" for k, v in field.choices.items()),
                    "x-spec-enum-id": f"{type(self).__name__}.{name}",
                }
                if field.allow_null:
                    schema["nullable"] = True
                set_override(field, "field", schema)
        return fields


class Serializer(InlineEnumsMixin, serializers.Serializer):
    pass


class ModelSerializer(InlineEnumsMixin, serializers.ModelSerializer):
    pass


class LabelSerializer(Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    is_negative = Bool(required=False)


def labels(scale: str) -> list[dict]:
    """A labelled scale as options: [{code, label, is_negative}]."""
    from .rules import label_choices

    return [{"code": c.code, "label": c.label, "is_negative": c.is_negative} for c in label_choices(scale)]


def choice_options(choices) -> list[dict]:
    """TextChoices (or pairs) as options: [{code, label}] in the active language."""
    return [{"code": str(code), "label": str(label)} for code, label in choices]


# --- schema -------------------------------------------------------------------------------------------
def _auto_schema_class():
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

    class AutoSchema(SpectacularAutoSchema):
        """drf-spectacular's AutoSchema without the view's class docstring as
        every operation's description: each operation says what it does with
        `extend_schema(summary=..., description=...)`, or has no description."""

        def get_description(self):
            action_or_method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
            doc = getattr(action_or_method, "__doc__", None) or ""
            return doc.strip()

    AutoSchema.__module__ = __name__
    AutoSchema.__qualname__ = "AutoSchema"
    return AutoSchema


def not_found(request, exception=None):
    """handler404: under /api/ a 404 is JSON in the error shape (a URL that matches no route, e.g.
    /api/v1/proposals/0.5/); elsewhere Django's page."""
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        body = error_body(detail=exceptions.NotFound.default_detail, code="not_found")
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)


def __getattr__(name: str):
    # REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "workflow.api_support.AutoSchema". Built on first use:
    # drf_spectacular.openapi imports rest_framework.views, which imports this module (its parser)
    # while it loads, so this module must not import either at the top.
    if name == "AutoSchema":
        cls = _auto_schema_class()
        globals()["AutoSchema"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ERROR_STATUSES = {
    "400": "输入有误，或案件当前状态不允许此操作",
    "401": "未提供或无效的身份凭证（见 WWW-Authenticate 响应头）",
    "403": "已登录但角色或单位无权办理",
    "404": "不存在，或当前用户无权查看",
    "409": "他人正在同时办理同一案件（嵌入式数据库繁忙），请刷新后重试",
}


def _is_anonymous(operation: dict) -> bool:
    security = operation.get("security")
    return security is not None and all(not requirement for requirement in security)


def _label_descriptions(node, scales: dict) -> None:
    if isinstance(node, dict):
        scale = node.get("x-label-scale")
        if isinstance(scale, str):
            if scale not in scales:
                scales[scale] = labels(scale)
            codes = "、".join(f"`{c['code']}`（{c['label']}）" for c in scales[scale])
            note = f"代码表 `{scale}`，由管理员维护（不是固定枚举）；生成本文档时的代码：{codes or '无'}"
            node["description"] = f"{node['description']}\n\n{note}" if node.get("description") else note
        for value in node.values():
            _label_descriptions(value, scales)
    elif isinstance(node, list):
        for value in node:
            _label_descriptions(value, scales)


def postprocess_schema(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] (after the enum hook):

    * the `Error` component, and 400/401/403/404 with it on every operation
      that needs credentials (400/404 on anonymous ones);
    * the current codes of labelled scales in their fields' descriptions."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "description": "所有 4xx 响应的格式（docs/api.md）",
        "properties": {
            "detail": {"type": "string", "description": ErrorSerializer().fields["detail"].help_text},
            "code": {"type": "string", "description": ErrorSerializer().fields["code"].help_text},
            "errors": {
                "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": ErrorSerializer().fields["errors"].help_text,
            },
        },
        "required": ["detail", "code", "errors"],
    }
    ref = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            statuses = ["400", "404"] if _is_anonymous(operation) else list(ERROR_STATUSES)
            for status in statuses:
                existing = responses.get(status)
                description = (existing or {}).get("description") or ERROR_STATUSES[status]
                responses[status] = {"content": {"application/json": {"schema": ref}}, "description": description}
    try:
        _label_descriptions(result.get("components", {}), {})
    except Exception:  # noqa: BLE001 - a schema generated without a database keeps the plain descriptions
        pass
    return result


# --- views ------------------------------------------------------------------------------------------
def url_pk(value) -> int:
    """An id from the URL: a whole number that fits the column, else 404 (never a 500)."""
    from django.http import Http404

    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404
    if not 0 < pk <= MAX_INT:
        raise Http404
    return pk


class ServiceAPIMixin:
    """For a case type's viewsets: ids read safely from the URL, input
    validated by a serializer, then one service call (DESIGN section 4)."""

    filter_backends: list = []

    def _pk(self) -> int:
        return url_pk(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- user directory ---------------------------------------------------------------------------------
def directory_memberships(*, user: User) -> models.QuerySet[Membership]:
    """The role/department pairs the user may look up (docs/api.md, "User directory"):

    * holders of a role registered with ``DirectoryScope.ALL`` see everyone's
      (the proposal office, supervisors and administrators: they assign cases,
      name leading officials and supervising units);
    * everyone else sees the people of their own departments, and holders of
      a ``PEERS`` role also see the other holders of it (committee members
      inviting co-signers).

    Only active memberships of active people in active departments."""
    from .selectors import user_roles

    base = Membership.objects.filter(is_active=True, department__is_active=True, user__is_active=True)
    if not user.is_authenticated:
        return base.none()
    roles = user_roles(user=user)
    if registry.roles_with_directory(registry.DirectoryScope.ALL) & roles:
        return base
    own = Membership.objects.filter(user=user, is_active=True, department__is_active=True).values("department_id")
    scope = Q(department_id__in=own)
    peers = registry.roles_with_directory(registry.DirectoryScope.PEERS) & roles
    if peers:
        scope |= Q(role__in=peers)
    return base.filter(scope)


def user_directory(*, user: User, role: str | None = None, department: int | None = None, q: str | None = None) -> models.QuerySet[User]:
    """People the user may look up, each with the pairs the user may see
    (`visible_memberships`), filtered by a pair's role and/or department."""
    visible = directory_memberships(user=user)
    matching = visible
    if role:
        matching = matching.filter(role=role)
    if department:
        matching = matching.filter(department_id=department)
    people = User.objects.filter(pk__in=matching.values("user_id"))
    if q:
        people = people.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return people.order_by("username").prefetch_related(
        Prefetch(
            "memberships",
            queryset=visible.select_related("department").order_by("department__code", "role"),
            to_attr="visible_memberships",
        )
    )


__all__ = [
    "MAX_INT", "MAX_JSON_DEPTH", "NON_FIELD", "RuleRowField", "AutoSchema", "Bool", "ErrorSerializer", "IdField", "InlineEnumsMixin",
    "JSONParser", "LabelCodeField", "ServiceAPIMixin", "url_pk", "LabelSerializer", "ModelSerializer", "Serializer", "choice_options",
    "directory_memberships", "error_body", "error_response", "exception_handler", "labels", "model_max_length",
    "postprocess_schema", "queryable_text", "user_directory", "validation_error_detail",
]
