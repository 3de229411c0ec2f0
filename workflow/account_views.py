"""Account pages: changing one's own password (Django's views, in Chinese templates under
templates/registration/), and the second factor (workflow.second_factor): the account
security page, enrolment with a QR code, the code asked after the password, backup codes,
turning an optional second factor off. The consequences are the services' (workflow.security,
workflow.second_factor)."""
from urllib.parse import urlencode

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import second_factor, security
from .web import StyledForm, apply_service_errors


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page. After the form has saved the new password (validated by
    AUTH_PASSWORD_VALIDATORS): the must-change flag is cleared, every API token is revoked and
    the change is audited. Django keeps this session signed in and ends the others."""

    def form_valid(self, form):
        response = super().form_valid(form)
        security.user_password_changed(actor=self.request.user, user=form.user, request=self.request, reset=False)
        return response


# --- the second factor ---------------------------------------------------------------------------------
class CodeForm(StyledForm):
    token = forms.CharField(
        label=gettext_lazy("验证码"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


def _next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def _passed(request, device) -> None:
    """The session passed its second factor: a new session key (the password-only one is gone)."""
    request.session.cycle_key()
    django_otp.login(request, device)


@login_required
def account_security(request):
    user = request.user
    context = {
        "enrolled": second_factor.has_device(user),
        "required": second_factor.required(user),
        "verified": second_factor.session_verified(request),
        "backup_codes_left": second_factor.backup_codes_left(user),
    }
    return render(request, "registration/account_security.html", context)


@login_required
def otp_verify(request):
    """The code after the password (pages and the admin's sign-in)."""
    user = request.user
    if second_factor.session_verified(request):
        return redirect(_next(request))
    if not second_factor.has_device(user):
        request.session[second_factor.SESSION_HAS_DEVICE] = False
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next(request)})}" if second_factor.required(user) else _next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.is_locked(request, user):
            logout(request)
            return security.lockout_response(request)
        device = second_factor.verify(user=user, token=form.cleaned_data["token"], request=request)
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return security.lockout_response(request)
        if device is None:
            form.add_error("token", _("验证码不正确。请输入身份验证器上当前的 6 位数字，或一个备用验证码；连续输错会锁定账号。"))
        else:
            _passed(request, device)
            return redirect(_next(request))
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
def otp_setup(request):
    """Enrol (or replace) the authenticator: QR code and secret, confirmed by a first code, then
    the backup codes, shown once. Replacing a device needs a session that passed the old one."""
    user = request.user
    if second_factor.has_device(user) and not second_factor.session_verified(request):
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': reverse('otp_setup')})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = second_factor.enrolment_confirm(user=user, token=form.cleaned_data["token"], request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            _passed(request, device)
            return render(request, "registration/otp_backup_codes.html", {"codes": codes, "next": _next(request, "account_security"), "new": True})
    device = second_factor.enrolment_start(user=user, request=request)
    return render(request, "registration/otp_setup.html", {
        "form": form, "qr_svg": second_factor.qr_svg(device), "secret": second_factor.secret_base32(device),
        "next": _next(request, "account_security"), "required": second_factor.required(user),
    })


@require_POST
@login_required
def otp_backup_codes(request):
    """A new set of backup codes (the old ones stop working), shown once."""
    if not (second_factor.has_device(request.user) and second_factor.session_verified(request)):
        raise PermissionDenied(_("请先完成双因素认证。"))
    codes = second_factor.backup_codes_issue(user=request.user, request=request)
    return render(request, "registration/otp_backup_codes.html", {"codes": codes, "next": reverse("account_security")})


@require_POST
@login_required
def otp_disable(request):
    if not second_factor.session_verified(request):
        raise PermissionDenied(_("请先完成双因素认证。"))
    try:
        second_factor.disable(actor=request.user, user=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        request.session[second_factor.SESSION_HAS_DEVICE] = False
        messages.success(request, _("已停用双因素认证。"))
    return redirect("account_security")
