"""The desk's addresses (CONTRACT.md sections 4 and 10): `/app/lms-batch`, `/app/lms-batch/new`,
`/app/lms-batch/<name>`, `/app/user`, ... are the admin pages themselves, not redirects.

Each address is mounted on the desk site beside the admin's own URLs (`/app/catalog/batch/...`,
which keep working) under the same reverse names. Django's `reverse()` takes the pattern defined
last when several share a name, and these come after the admin's, so every link the admin makes
(`{% url opts|admin_urlname:'changelist' %}`, breadcrumbs, redirects after saving, the list's row
links) leads to the short address. A record's page is keyed by its name where users know one
(cohorts and courses), else by its id. A path with a trailing slash redirects to the one without.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import update_wrapper

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import path, re_path, register_converter

from smoothlms.assessments.models import QuizSubmission
from smoothlms.catalog.models import Batch, Course, LMSSettings
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment
from smoothlms.people.models import Employee, User
from smoothlms.training.models import Certificate, TrainingAssignment

# Paths under an address that are pages, not records: a record with such a name is linked by id.
RESERVED_KEYS = frozenset({"new", "import", "export"})


@dataclass(frozen=True)
class Address:
    slug: str  # the path under /app/
    model: type[models.Model]
    key: str = "pk"  # the field in a record's path: "name" or the primary key
    singleton: bool = False  # one record (LMS Settings): the address is its form

    @property
    def converter(self) -> str:
        return "desk_" + self.slug.replace("-", "_")


ADDRESSES: tuple[Address, ...] = (
    Address("lms-batch", Batch, key="name"),
    Address("lms-batch-enrollment", BatchEnrollment),
    Address("lms-enrollment", CourseEnrollment),
    Address("lms-course", Course, key="name"),
    Address("user", User),
    Address("employee", Employee),
    Address("lms-training-assignment", TrainingAssignment),
    Address("lms-quiz-submission", QuizSubmission),
    Address("lms-certificate", Certificate),
    Address("lms-settings", LMSSettings, singleton=True),
)
BY_MODEL: dict[type[models.Model], Address] = {address.model: address for address in ADDRESSES}


class KnownKey(str):
    """A record's primary key (quoted, as the admin writes it) that also carries the record's path
    key, so links to many records (a list's rows) need no query each. Where a pattern cannot use
    the key, the value is the primary key, as any admin URL expects."""

    key: str

    def __new__(cls, pk: str, *, key: str) -> KnownKey:
        value = super().__new__(cls, pk)
        value.key = key
        return value


def record_key(obj: models.Model, pk: str | None = None) -> str:
    """The argument that reverses to `obj`'s desk page (`pk` as quoted by the admin, if given)."""
    address = BY_MODEL.get(type(obj))
    text = str(obj.pk) if pk is None else pk
    if address is None or address.key == "pk":
        return text
    return KnownKey(text, key=str(getattr(obj, address.key)))


class _PkConverter:
    regex = "[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


def _name_converter(address: Address) -> type:
    field = address.key

    class NameConverter:
        regex = "[^/]+"

        def to_python(self, value: str) -> str:
            return value  # looked up by the view, after the desk's access check (no leak to students)

        def to_url(self, value) -> str:
            if isinstance(value, KnownKey):
                key = value.key
            elif str(value).isdigit():  # a primary key, as the admin's own templates pass it
                key = address.model._default_manager.filter(pk=value).values_list(field, flat=True).first()
            else:
                key = None
            if not key or key in RESERVED_KEYS or "/" in key:
                raise ValueError(value)  # no such page: reverse() falls back to the admin's own URL
            return key

    return NameConverter


for _address in ADDRESSES:
    register_converter(_PkConverter if _address.key == "pk" else _name_converter(_address), _address.converter)


def _keyed(address: Address, model_admin, view: Callable) -> Callable:
    """`view(request, object_id, ...)` reached by the record's path key."""
    if address.key == "pk":

        def by_pk(request: HttpRequest, key: str, **kwargs) -> HttpResponse:
            return view(request, key, **kwargs)

        return by_pk

    def by_name(request: HttpRequest, key: str, **kwargs) -> HttpResponse:
        if not model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        pk = address.model._default_manager.filter(**{address.key: key}).values_list("pk", flat=True).first()
        if pk is None:
            raise Http404(f"No {address.model._meta.verbose_name} named {key}.")
        return view(request, str(pk), **kwargs)

    return by_name


def _wrap(site, model_admin, view: Callable, permission: str) -> Callable:
    inner = site.admin_view(view)

    def wrapper(*args, **kwargs):
        return inner(*args, **kwargs)

    wrapper.model_admin = model_admin  # what the access-denied page reads to name the roles needed
    wrapper.desk_permission = permission
    return update_wrapper(wrapper, view)


def strip_slash(request: HttpRequest, **kwargs) -> HttpResponse:
    query = request.META.get("QUERY_STRING", "")
    target = request.path.rstrip("/")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)


def address_urls(site) -> list:
    """The address patterns of every model registered on `site` that has one."""
    patterns = []
    for address in ADDRESSES:
        model_admin = site._registry.get(address.model)
        if model_admin is not None:
            patterns += _patterns(site, address, model_admin)
    return patterns


def _patterns(site, address: Address, model_admin) -> list:
    opts = address.model._meta
    name = f"{opts.app_label}_{opts.model_name}"
    slug, key = address.slug, f"<{address.converter}:key>"
    patterns = [path(slug, _wrap(site, model_admin, model_admin.changelist_view, "view"), name=f"{name}_changelist")]
    extras = getattr(model_admin, "desk_views", list)()
    if not address.singleton:
        patterns.append(path(f"{slug}/new", _wrap(site, model_admin, model_admin.add_view, "add"), name=f"{name}_add"))
    # Pages under the address before records' paths, which could otherwise take their names.
    patterns += [
        path(
            f"{slug}/{extra.route}", _wrap(site, model_admin, extra.view, extra.permission), name=f"{name}_{extra.name}"
        )
        for extra in extras
        if not extra.keyed
    ]
    keyed = (
        []
        if address.singleton
        else [
            ("history", model_admin.history_view, "history", "view"),
            ("delete", model_admin.delete_view, "delete", "delete"),
        ]
    )
    keyed += [(extra.route, extra.view, extra.name, extra.permission) for extra in extras if extra.keyed]
    patterns += [
        path(
            f"{slug}/{key}/{route}",
            _wrap(site, model_admin, _keyed(address, model_admin, view), permission),
            name=f"{name}_{suffix}",
        )
        for route, view, suffix, permission in keyed
    ]
    if not address.singleton:
        patterns.append(
            path(
                f"{slug}/{key}",
                _wrap(site, model_admin, _keyed(address, model_admin, model_admin.change_view), "view"),
                name=f"{name}_change",
            )
        )
    patterns.append(re_path(rf"^{re.escape(slug)}(?:/[^/]+)*/$", strip_slash))
    return patterns
