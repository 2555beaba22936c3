"""Sign-in pages: Django's auth views with Kantoor's templates and the language choice."""

from __future__ import annotations

import contextlib

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.urls import reverse_lazy

from kantoor.core import services as core_services
from kantoor.core.errors import PermissionDeniedError
from kantoor.web.views.shell import LANGUAGE_SESSION_KEY


class LoginView(auth_views.LoginView):
    """Django's login; a language picked on the login page becomes the user's preference."""

    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        chosen = self.request.session.get(LANGUAGE_SESSION_KEY)
        response = super().form_valid(form)
        user = form.get_user()
        if chosen and chosen != user.language:
            # A user of no company keeps the session's choice only.
            with contextlib.suppress(PermissionDeniedError):
                core_services.user_set_own_preferences(actor=user, language=chosen)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Sends the reset link through Django's e-mail backend (KANTOOR_EMAIL_* settings)."""

    template_name = "web/auth/password_reset_form.html"
    email_template_name = "web/auth/password_reset_email.txt"
    subject_template_name = "web/auth/password_reset_subject.txt"
    success_url = reverse_lazy("web:password-reset-done")


logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="web/auth/password_change_form.html",
    success_url=reverse_lazy("web:password-change-done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="web/auth/password_change_done.html"
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="web/auth/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="web/auth/password_reset_confirm.html",
    success_url=reverse_lazy("web:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="web/auth/password_reset_complete.html"
)
