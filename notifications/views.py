"""The in-app inbox and the notification preferences of the signed-in person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import PreferencesForm
from .models import Notification

PAGE_SIZE = 25


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "notifications": page.object_list})


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)  # others: 404
    services.notification_mark_read(notification=notification, actor=request.user)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return _back(request)


@login_required
def preferences(request):
    initial = selectors.frequencies(actor=request.user)
    form = PreferencesForm(request.POST or None, initial_frequencies=initial)
    if request.method == "POST" and form.is_valid():
        services.preferences_save(actor=request.user, frequencies=form.cleaned_data)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
