"""Error pages: HTML in the user's language, problem+json under /api/."""

from django.shortcuts import render

from config.api.problems import problem_response


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_response(request, 404, "No API resource at this address.")
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_response(request, 403, "You do not have permission to perform this action.")
    return render(request, "errors/403.html", status=403)


def server_error(request):
    if request.path.startswith("/api/"):
        return problem_response(request, 500, "The server could not complete the request.")
    return render(request, "errors/500.html", status=500)
