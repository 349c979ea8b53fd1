"""Sign-in by email (any case) and desk permissions derived from roles."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from smoothlms.people.models import User, normalize_email
from smoothlms.people.roles import ROLE_PERMISSIONS, Role


def sign_in_email(request, credentials: dict | None) -> str:
    """The account a sign-in attempt is for, as django-axes counts failures: the typed email under
    its one stored spelling, so `ASHA@example.com ` and `asha@example.com` share one count."""
    source = credentials if credentials else getattr(request, "POST", {}) or {}
    return normalize_email(str(source.get("username") or source.get("email") or ""))[:254]


class RoleBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        login = normalize_email(email or username or kwargs.get(User.USERNAME_FIELD) or "")
        if not login or password is None:
            return None
        try:
            user = User.objects.get(email=login)
        except User.DoesNotExist:
            User().set_password(password)  # same work either way: no timing oracle on emails
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def _role_permissions(self, user: User) -> set[str]:
        cached = getattr(user, "_role_perm_cache", None)
        if cached is None:
            cached = set()
            for role in user.role_names:
                for model, actions in ROLE_PERMISSIONS.get(role, {}).items():
                    app_label, model_name = model.split(".")
                    cached.update(f"{app_label}.{action}_{model_name}" for action in actions)
            user._role_perm_cache = cached
        return cached

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return self._role_permissions(user_obj)

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        if getattr(user_obj, "is_superuser", False) or user_obj.has_role(Role.SYSTEM_MANAGER):
            return True
        return perm in self._role_permissions(user_obj)

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser or user_obj.has_role(Role.SYSTEM_MANAGER):
            return True
        return any(perm.startswith(f"{app_label}.") for perm in self._role_permissions(user_obj))
