"""The docs page at /api/v1/docs: Swagger UI from the files django-ninja ships, served by this
API itself, so the page needs nothing from outside (no CDN, works offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from ninja.openapi.docs import DocsBase

from smoothlms.api.v1.errors import EndpointNotFound, error_response

ASSETS_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class OfflineSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        swagger_settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "validatorUrl": None,  # else Swagger UI asks validator.swagger.io about the document
        }
        return render(
            request,
            "api/docs.html",
            {
                "title": api.title,
                "swagger_settings": swagger_settings,
                "csrf_token": get_token(request),
                "assets": reverse("api-docs-asset", kwargs={"filename": "-"}).removesuffix("-"),
            },
        )


def docs_asset(request: HttpRequest, filename: str) -> HttpResponse:
    """One of the allow-listed Swagger UI files."""
    if filename not in ASSETS:
        return error_response(request, EndpointNotFound(path=request.path))
    response = FileResponse((ASSETS_DIR / filename).open("rb"), content_type=ASSETS[filename])
    response["Cache-Control"] = "public, max-age=86400"
    return response
