"""API sign-in and tokens under /api/v1/auth/ (docs/api.md, docs/security.md).

* `POST auth/token/`: username and password (and `otp`, the second factor's
  code, for administrators and anyone enrolled) for an expiring token
  (django-rest-knox, stored hashed). Locked-out sign-ins (django-axes) get
  429 `locked_out`; too many sign-ins from one address get 429 `throttled`;
  both with Retry-After.
* `POST auth/logout/`: revokes the token of this request;
  `POST auth/logout-all/`: every token of the user.
* `GET auth/tokens/`: the user's own live tokens; `DELETE auth/tokens/{prefix}/`
  revokes one of them.

These endpoints leave out `PasswordIsCurrent`: a user who must change their
password can still sign in (to learn that, 403 on everything else) and out.
"""
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_out
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import permissions, serializers, status, throttling
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from . import security
from .api_support import ErrorSerializer, Serializer


class SignInThrottle(throttling.SimpleRateThrottle):
    """Sign-ins per client address, at settings.API_TOKEN_THROTTLE_RATE (read on every request,
    so the environment and the tests decide; None: no throttle). Counts live in the default cache:
    per process unless CACHES names a shared one (docs/security.md)."""

    scope = "sign_in"

    def get_rate(self):
        return settings.API_TOKEN_THROTTLE_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": security.client_ip(request) or "unknown"}


class CredentialsSerializer(Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True)


class TokenSerializer(Serializer):
    token = serializers.CharField(help_text="令牌，请求头写作 Authorization: Token <token>；只在此时给出一次")
    expiry = serializers.DateTimeField(allow_null=True, help_text="到期时间（API_TOKEN_TTL_HOURS 小时后）")
    must_change_password = serializers.BooleanField(help_text="true：须先在网页上修改密码，其他接口在此之前一律 403 password_change_required")


class TokenView(APIView):
    """Sign in with username and password. No authentication of its own: a stale token in the
    header must not stop a new sign-in."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [SignInThrottle]
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(
        summary="用用户名和密码换取令牌",
        description=(
            "之后的请求带请求头 Authorization: Token <token>。令牌在 expiry 到期（默认 10 小时），"
            "退出、修改密码时吊销。用户名或密码不对：400。连续失败 5 次（15 分钟内）账号锁定：429 locked_out，"
            "账号存在与否答复相同；同一地址登录过于频繁：429 throttled。两者都带 Retry-After。"
            "管理员（以及自愿启用了双因素认证的用户）还须在 otp 中给出验证码：缺少为 400 otp_required，"
            "错误为 400 otp_invalid（与密码错误一样计入锁定次数）；尚未设置双因素认证的管理员为 403 otp_enrolment_required。"
        ),
        request=inline_serializer("Credentials", {
            "username": serializers.CharField(), "password": serializers.CharField(),
            "otp": serializers.CharField(required=False, help_text="双因素认证的验证码（身份验证器上的 6 位数字或一个备用验证码）：管理员和已启用双因素认证的用户必填"),
        }),
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="用户名或密码不对（code invalid）；缺少验证码（code otp_required）；验证码不对（code otp_invalid，计入锁定次数）"),
            403: OpenApiResponse(ErrorSerializer, description="管理员尚未设置双因素认证（code otp_enrolment_required）：先在网页上设置"),
            429: OpenApiResponse(ErrorSerializer, description="账号锁定（code locked_out）或登录过于频繁（code throttled），Retry-After 给出秒数"),
        },
    )
    def post(self, request, *args, **kwargs):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        django_request = request._request  # axes marks the Django request (AxesMiddleware reads it there)
        data = dict(credentials.validated_data)
        otp = data.pop("otp", "")
        user = authenticate(django_request, **data)
        if getattr(django_request, "axes_locked_out", False):
            return security.lockout_response(django_request)
        if user is None or not user.is_active:
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [_("无法使用提供的认证信息登录。")]}, code="authorization")
        refusal = self._second_factor(user, otp, django_request)
        if refusal is not None:
            return refusal
        user_logged_in.send(sender=type(user), request=django_request, user=user, via="token")
        token, key = security.api_token_create(user=user, request=django_request)
        return Response(TokenSerializer({"token": key, "expiry": token.expiry, "must_change_password": security.password_change_required(user)}).data)

    @staticmethod
    def _second_factor(user, otp: str, django_request):
        """A token is as good as a session that passed the second factor: whoever needs the
        code in the browser (workflow.second_factor) gives it here, in the same request."""
        from . import second_factor
        from .api_support import error_response

        enrolled = second_factor.has_device(user)
        if not (enrolled or second_factor.required(user)):
            return None
        if not enrolled:
            return error_response(403, detail=_("管理员账号须先在网页上设置双因素认证（/accounts/otp/setup/），才能获取令牌。"), code="otp_enrolment_required")
        if not otp.strip():
            return error_response(400, detail=_("请在 otp 中给出身份验证器上的验证码或一个备用验证码。"), code="otp_required")
        device = second_factor.verify(user=user, token=otp, request=django_request, via="token")
        if getattr(django_request, "axes_locked_out", False):
            return security.lockout_response(django_request)
        if device is None:
            return error_response(400, detail=_("验证码不正确。"), code="otp_invalid")
        return None


def _current_token(request):
    return request.auth if isinstance(request.auth, AuthToken) else None


REVOKED = inline_serializer("Revoked", {"revoked": serializers.IntegerField(help_text="吊销的令牌数")})


class LogoutView(APIView):
    authentication_classes = [KnoxTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="退出（吊销本令牌）", description="吊销这次请求所用的令牌；之后用它的请求一律 401。", request=None, responses=REVOKED)
    def post(self, request):
        token = _current_token(request)
        security.api_token_revoke(actor=request.user, token=token, request=request._request, reason="logout")
        user_logged_out.send(sender=type(request.user), request=request._request, user=request.user, via="token")
        return Response({"revoked": 1})


class LogoutAllView(APIView):
    authentication_classes = [KnoxTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="退出全部（吊销本人全部令牌）", description="吊销当前用户的全部令牌，包括这次请求所用的。", request=None, responses=REVOKED)
    def post(self, request):
        revoked = security.api_tokens_revoke_all(actor=request.user, request=request._request, reason="logout_all")
        user_logged_out.send(sender=type(request.user), request=request._request, user=request.user, via="token", reason="logout_all")
        return Response({"revoked": revoked})


class TokenInfoSerializer(Serializer):
    prefix = serializers.CharField(source="token_key", help_text="令牌的前几位（用来识别和吊销，不能用来认证）")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(help_text="是否为这次请求所用的令牌")

    def get_current(self, token) -> bool:
        current = self.context.get("current")
        return current is not None and current.digest == token.digest


class TokenListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="我的令牌",
        description="当前用户自己未过期的令牌（前缀、创建时间、到期时间），新的在前，不分页。看不到别人的。",
        responses=TokenInfoSerializer(many=True),
    )
    def get(self, request):
        tokens = security.api_token_list(user=request.user)
        return Response(TokenInfoSerializer(tokens, many=True, context={"current": _current_token(request)}).data)


class TokenDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="吊销我的一个令牌",
        description="按前缀吊销当前用户自己的一个令牌；别人的或不存在的 404。",
        parameters=[OpenApiParameter("prefix", str, OpenApiParameter.PATH, description="令牌前缀（我的令牌列表中的 prefix）")],
        request=None, responses={204: None},
    )
    def delete(self, request, prefix: str):
        from django.http import Http404

        tokens = list(security.api_token_list(user=request.user).filter(token_key=prefix)[:2])
        if len(tokens) != 1:
            raise Http404
        security.api_token_revoke(actor=request.user, token=tokens[0], request=request._request, reason="revoked")
        return Response(status=status.HTTP_204_NO_CONTENT)
