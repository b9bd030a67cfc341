import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from framework.models import Framework

from . import selectors
from .forms import LoginForm, TokenForm
from .models import PartyKind, PartyStatus, SecurityEventKind
from .services import security_event_record
from .two_factor import has_confirmed_device, match_token, pending_totp_device, two_factor_enroll


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # Sign-in switches the interface to the person's preferred language.
        response.set_cookie("opl_language", form.get_user().preferred_language, samesite="Lax", max_age=365 * 24 * 3600)
        return response


def _safe_next(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """Second step of sign-in for coordinators and focal points."""
    if not has_confirmed_device(request.user):
        return redirect(f"/account/two-factor/setup/?next={_safe_next(request, '/')}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            security_event_record(kind=SecurityEventKind.TWO_FACTOR_VERIFIED, request=request, user=request.user)
            return redirect(_safe_next(request))
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_FAILED, request=request, user=request.user)
        form.add_error("token", _("That code is not valid. Try the current code or a recovery code."))
    return render(request, "registry/two_factor_verify.html", {"form": form, "next": _safe_next(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up an authenticator app; shows the recovery codes once on success."""
    if has_confirmed_device(request.user) and not request.user.is_verified():
        return redirect("two_factor_verify")
    device = pending_totp_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["token"].split())):
            codes = two_factor_enroll(user=request.user, device=device)
            otp_login(request, device)
            security_event_record(kind=SecurityEventKind.TWO_FACTOR_ENROLLED, request=request, user=request.user)
            messages.success(request, _("Two-factor sign-in is set up."))
            return render(request, "registry/two_factor_codes.html", {"codes": codes, "next": _safe_next(request)})
        form.add_error("token", _("That code is not valid. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode()
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_svg": buffer.getvalue().decode(),
        "next": _safe_next(request, ""),
    }
    return render(request, "registry/two_factor_setup.html", context)


def party_list(request):
    context = {
        "parties": selectors.party_list(filters=request.GET),
        "filters": request.GET,
        "kinds": PartyKind.choices,
        "statuses": PartyStatus.choices,
        "frameworks": Framework.objects.all(),
    }
    return render(request, "registry/party_list.html", context)
