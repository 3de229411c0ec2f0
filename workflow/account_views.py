"""Account pages: changing one's own password (Django's views, in Chinese templates under
templates/registration/), with the platform's consequences (workflow.security)."""
from django.contrib.auth import views as auth_views

from . import security


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page. After the form has saved the new password (validated by
    AUTH_PASSWORD_VALIDATORS): the must-change flag is cleared, every API token is revoked and
    the change is audited. Django keeps this session signed in and ends the others."""

    def form_valid(self, form):
        response = super().form_valid(form)
        security.user_password_changed(actor=self.request.user, user=form.user, request=self.request, reset=False)
        return response
