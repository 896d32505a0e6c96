"""Error pages: JSON in the API.md shape under the API prefixes, HTML everywhere else."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from llmscope_site.api_errors import error_response

API_PREFIXES = ("/api/", "/v1/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or "/api/" in request.path


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response("not_found", "Not found.", 404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response("server_error", "Something went wrong on our side.", 500)
    return render(request, "500.html", status=500)
