"""What the desk's admins share: the desk's look, read-only pages, and saving through a service."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import csrf_protect_m
from django.core.exceptions import ValidationError

from smoothlms.core.errors import DomainError


class DeskAdmin(admin.ModelAdmin):
    """Every desk page: the desk's templates (header, navigation, styles)."""

    change_list_template = "desk/change_list.html"
    change_form_template = "desk/change_form.html"
    save_as = False


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
