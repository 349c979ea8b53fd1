"""Rendering the desk's own pages inside the admin's frame (header, sidebar, user tools)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


def render_desk(request: HttpRequest, template: str, context: dict, *, title: str, opts=None) -> TemplateResponse:
    return TemplateResponse(
        request,
        template,
        {
            **admin.site.each_context(request),
            "title": title,
            "opts": opts,
            **context,
        },
    )
