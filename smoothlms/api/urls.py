"""URLs under /api/v1/: the API's operations, its OpenAPI document and docs page, and a JSON
answer for everything else (unknown paths 404, wrong methods 405), never an HTML page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from smoothlms.api.v1.api import api
from smoothlms.api.v1.docs import docs_asset
from smoothlms.api.v1.errors import EndpointNotFound, MethodNotAllowed, error_response


def _json_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt: cookie-authenticated calls are checked for CSRF by SessionAuth
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(request, EndpointNotFound(path=request.path))
        if isinstance(response, HttpResponseNotAllowed):
            refusal = error_response(request, MethodNotAllowed(method=request.method, allowed=response["Allow"]))
            refusal["Allow"] = response["Allow"]
            return refusal
        return response

    return wrapper


@csrf_exempt  # an unknown path writes nothing: 404 whatever the method and credentials, not a CSRF page
def endpoint_not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(request, EndpointNotFound(path=request.path))


# Not `app_name`: Django's include() reads a module-level app_name as this module's namespace.
_patterns, _app, _namespace = api.urls
for pattern in _patterns:
    pattern.callback = _json_refusals(pattern.callback)

urlpatterns = [
    path("docs/assets/<str:filename>", docs_asset, name="api-docs-asset"),
    path("", include((_patterns, _app), namespace=_namespace)),
    re_path(r"", endpoint_not_found),
]
