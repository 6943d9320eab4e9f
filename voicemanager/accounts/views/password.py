"""Password reset, throttled by client address and by email (voicemanager/core/throttle.py)."""
from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.template.response import TemplateResponse

from voicemanager.core import throttle

THROTTLED = "auth.password_reset_requested"


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not throttle.allowed(THROTTLED, self.request, email):
            return TemplateResponse(self.request, self.template_name,
                                    {**self.get_context_data(form=form), "throttled": True}, status=429)
        throttle.record(THROTTLED, self.request, email)
        return super().form_valid(form)
