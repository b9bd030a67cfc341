from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The username or password is not correct. Both are case-sensitive."),
        "inactive": _("This account is not active."),
    }


class TokenForm(forms.Form):
    token = forms.CharField(
        label=pgettext_lazy("one-time code", "Code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
