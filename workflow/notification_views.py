"""A person's notification settings (/accounts/notifications/): e-mail and SMS per kind of
notification (in-app is always on) and the SMS quiet hours."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _, gettext_lazy

from . import notifications, services
from .models import NotificationPreference, NotificationSettings

CHANNEL_LABELS = {notifications.EMAIL: gettext_lazy("邮件"), notifications.SMS: gettext_lazy("短信")}


def visible_kinds(user) -> list:
    """The kinds shown on the page, in registration order: those of the case apps whose roles
    the person holds; every kind for the engine's roles (handlers, leaders, supervisors and
    administrators get notices about every kind of case) and for superusers."""
    from . import registry, selectors

    roles = selectors.user_roles(user=user)
    apps = {spec.app for spec in registry.roles() if spec.code in roles}
    every = user.is_superuser or "workflow" in apps
    return [k for k in notifications.kinds() if every or k.app in apps or k.app == "workflow"]


class NotificationPreferencesForm(forms.Form):
    quiet_start = forms.TimeField(label=gettext_lazy("短信免打扰开始"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_end = forms.TimeField(label=gettext_lazy("短信免打扰结束"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = visible_kinds(user)
        chosen = notifications.channels_for(user_ids=[user.pk], kinds_={k.code for k in self.kinds})
        for kind in self.kinds:
            for channel in notifications.OPTIONAL_CHANNELS:
                self.fields[self.field_name(kind.code, channel)] = forms.BooleanField(
                    label=CHANNEL_LABELS[channel], required=False, initial=channel in chosen[(user.pk, kind.code)],
                )
        start, end = notifications.quiet_hours(NotificationSettings.objects.filter(user=user).first())
        self.fields["quiet_start"].initial = start
        self.fields["quiet_end"].initial = end

    @staticmethod
    def field_name(kind: str, channel: str) -> str:
        return f"{channel}__{kind}"

    def rows(self):
        """(group, [(kind, [bound fields])]) for the template."""
        groups: dict[str, list] = {}
        for kind in self.kinds:
            fields = [self[self.field_name(kind.code, c)] for c in notifications.OPTIONAL_CHANNELS]
            groups.setdefault(str(kind.group or _("其他")), []).append((kind, fields))
        return list(groups.items())

    def channels(self) -> dict[str, set[str]]:
        return {
            kind.code: {c for c in notifications.OPTIONAL_CHANNELS if self.cleaned_data.get(self.field_name(kind.code, c))}
            for kind in self.kinds
        }


@login_required
def notification_preferences(request):
    user = request.user
    form = NotificationPreferencesForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_set(
                actor=user, channels=form.channels(), quiet_start=form.cleaned_data["quiet_start"], quiet_end=form.cleaned_data["quiet_end"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notification-preferences")
    context = {
        "form": form,
        "has_email": bool(user.email),
        "has_phone": bool(user.phone),
        "customised": NotificationPreference.objects.filter(user=user).exists(),
    }
    return render(request, "workflow/notification_preferences.html", context)
