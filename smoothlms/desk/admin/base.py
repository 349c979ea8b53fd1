"""What the desk's admins share: the desk's look, read-only pages, and saving through a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path, reverse

from smoothlms.core.errors import DomainError
from smoothlms.csvio.exports import get_export
from smoothlms.desk.addresses import record_key
from smoothlms.desk.exporting import FORMATS, kind_response


@dataclass(frozen=True)
class DeskView:
    """A page of an admin besides its list and forms: `route` under the model's URLs (after the
    record's key when `keyed`), reversed as `admin:<app>_<model>_<name>`. `permission` is the
    action it needs ("view", "add", "change", "delete"), named on the access-denied page."""

    route: str
    view: Callable
    name: str
    keyed: bool = False
    permission: str = "view"


class DeskChangeList(ChangeList):
    def url_for_result(self, result) -> str:
        # The record's desk address, with its key read from the row (no query per row).
        pk = quote(getattr(result, self.pk_attname))
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(record_key(result, pk),),
            current_app=self.model_admin.admin_site.name,
        )


class DeskAdmin(admin.ModelAdmin):
    """Every desk page: the desk's templates (header, navigation, styles) and links to the desk's
    addresses (smoothlms.desk.addresses)."""

    change_list_template = "desk/change_list.html"
    change_form_template = "desk/change_form.html"
    save_as = False
    # The export registry's kind that downloads this list (Export CSV / Excel beside it, with the
    # list's filters and search applied), or None.
    export_kind: str | None = None

    def get_changelist(self, request, **kwargs):
        return DeskChangeList

    def has_export(self) -> bool:
        return self.export_kind is not None

    def desk_views(self) -> list[DeskView]:
        return [DeskView("export/<str:fmt>", self.export_view, "export")] if self.has_export() else []

    def changelist_view(self, request, extra_context=None):
        # A list is titled by what it lists ("Employees"), not the admin's "Select employee to change".
        extra_context = {
            "title": self.opts.verbose_name_plural[:1].upper() + self.opts.verbose_name_plural[1:],
            **(extra_context or {}),
        }
        if self.has_export():
            extra_context = {
                "export_url_name": f"admin:{self.opts.app_label}_{self.opts.model_name}_export",
                "export_query": request.GET.urlencode(),
                **extra_context,
            }
        return super().changelist_view(request, extra_context)

    def export_stem(self, request) -> str:
        return self.export_kind or self.opts.model_name

    def export_view(self, request, fmt: str):
        """The list as filtered and searched on the page (every page of it), streamed as CSV or
        written as XLSX by the export registry."""
        if fmt not in FORMATS:
            raise Http404("Unknown export format: use csv or xlsx.")
        if not (self.has_view_permission(request) and request.user.has_perm(get_export(self.export_kind).permission)):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        return kind_response(self.export_kind, queryset, fmt=fmt, stem=self.export_stem(request))

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        custom = []
        for extra in self.desk_views():
            inner = self.admin_site.admin_view(extra.view)

            def wrapper(*args, _inner=inner, **kwargs):
                return _inner(*args, **kwargs)

            wrapper.model_admin = self
            wrapper.desk_permission = extra.permission
            route = f"<path:object_id>/{extra.route}/" if extra.keyed else f"{extra.route}/"
            custom.append(path(route, update_wrapper(wrapper, extra.view), name=f"{info}_{extra.name}"))
        return custom + super().get_urls()


class ReadOnlyAdmin(DeskAdmin):
    """Records kept as they are (evidence, logs, outboxes): listed and opened, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceSavedAdmin(DeskAdmin):
    """An admin whose saves go through a service. The service owns its transaction, so the admin's
    own one is left out; a DomainError it raises is shown on the form, which is displayed again
    with what was typed, and nothing is saved."""

    class _Refused(Exception):
        def __init__(self, error: DomainError) -> None:
            super().__init__(error.code)
            self.error = error

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return self._changeform_view(request, object_id, form_url, extra_context)
        except self._Refused as refused:
            # A second pass over the same POST: the form reports the refusal, so nothing is saved.
            request._desk_refusal = refused.error
            return self._changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal: DomainError | None = getattr(request, "_desk_refusal", None)
        if refusal is None:
            return form

        class RefusedForm(form):
            def clean(self):
                super().clean()
                raise ValidationError(refusal.user_message(), code=refusal.code)

        return RefusedForm

    def save_model(self, request, obj, form, change):
        pass  # saved in save_related, where the inline formsets are at hand

    def call_service(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except DomainError as err:
            raise self._Refused(err) from None

    def refuse(self, error: DomainError):
        """Show `error` on the form as a service refusal would be (nothing is saved)."""
        raise self._Refused(error)


def adopt(obj, saved) -> None:
    """Give the admin's unsaved instance the identity of the one the service created."""
    obj.pk = saved.pk
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db
