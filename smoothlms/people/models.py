"""People: the User (email is the login) and the Employee (the HR record, keyed by the HR id)."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from smoothlms.core.timeutil import validate_time_zone
from smoothlms.people.roles import STAFF_ROLES, Role


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased: the one spelling under which an address is stored and looked up."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        from smoothlms.people.services import create_user

        roles = fields.pop("roles", None)
        return create_user(email=email, password=password, roles=roles, actor=None, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        from smoothlms.people.services import create_user

        fields.pop("is_superuser", None)
        fields.pop("is_staff", None)
        return create_user(email=email, password=password, roles=[Role.SYSTEM_MANAGER], actor=None,
                           superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True, max_length=254)
    full_name = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True, help_text="Disabled users cannot sign in; their history stays.")
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone],
                                 help_text="Shown beside cohort times on the portal. Blank: the browser's.")
    api_key = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    api_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    calendar_token = models.CharField(max_length=43, unique=True, null=True, blank=True, editable=False)
    password_set = models.BooleanField(default=False, editable=False,
                                       help_text="False until the person chose a password.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        db_table = "people_user"
        ordering = ["email"]
        verbose_name = "user"
        constraints = [
            # Stored lower-cased, so the plain unique index is case-insensitive on every database
            # (MariaDB cannot index an expression such as LOWER(email)).
            models.CheckConstraint(condition=Q(email=Lower("email")), name="user_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:  # what Django's auth reads
        return self.enabled

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles)) or (
            self.is_superuser and Role.SYSTEM_MANAGER in roles
        )

    @property
    def is_staff(self) -> bool:  # what Django admin reads: staff roles reach the desk, students never
        return self.enabled and (self.is_superuser or bool(self.role_names & STAFF_ROLES))

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR, Role.SYSTEM_MANAGER)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_set = raw_password is not None

    @staticmethod
    def hash_api_secret(secret: str) -> str:
        # API secrets are 256-bit random tokens: one SHA-256 is enough (no dictionary to guard
        # against) and keeps each API request free of a slow password hash.
        return hashlib.sha256(secret.encode()).hexdigest()

    def check_api_secret(self, secret: str) -> bool:
        return bool(self.api_secret_hash) and secrets.compare_digest(
            self.api_secret_hash, self.hash_api_secret(secret)
        )


class EmployeeStatus(models.TextChoices):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    SUSPENDED = "Suspended"
    LEFT = "Left"


class Employee(models.Model):
    """The HR record. `employee` (the HR id) is the stable key; email is an attribute that changes."""

    employee = models.CharField("HR id", max_length=140, unique=True)
    employee_name = models.CharField(max_length=200)
    company_email = models.EmailField(blank=True)
    personal_email = models.EmailField(blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="employees")
    status = models.CharField(max_length=16, choices=EmployeeStatus.choices, default=EmployeeStatus.ACTIVE)
    date_of_joining = models.DateField(null=True, blank=True)
    relieving_date = models.DateField(null=True, blank=True)
    employment_type = models.CharField(max_length=64, blank=True)
    department = models.CharField(max_length=140, blank=True)
    designation = models.CharField(max_length=140, blank=True)
    reports_to = models.CharField(max_length=140, blank=True, db_index=True,
                                  help_text="The manager's HR id (Frappe's Reports To).")
    modified_in_hr = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The user, but only while this employee is Active: a unique index on it lets one user belong
    # to one active employee while leavers' records keep pointing at the same (rehired) user.
    # A stored generated column, because MariaDB has no partial unique indexes.
    active_user = models.GeneratedField(
        expression=Case(When(status=EmployeeStatus.ACTIVE, then=F("user_id")), default=None),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["employee"]
        constraints = [
            models.UniqueConstraint(fields=["active_user"], name="employee_one_active_per_user"),
            models.CheckConstraint(condition=Q(status__in=EmployeeStatus.values), name="employee_status_valid"),
            models.CheckConstraint(
                condition=Q(relieving_date__isnull=True) | Q(date_of_joining__isnull=True)
                | Q(relieving_date__gte=F("date_of_joining")),
                name="employee_relieving_after_joining",
            ),
        ]
        indexes = [models.Index(fields=["company_email"]), models.Index(fields=["personal_email"])]

    def __str__(self) -> str:
        return f"{self.employee}: {self.employee_name}"

    @property
    def preferred_email(self) -> str:
        """Frappe's order: the user id when linked, else the company email, else the personal one."""
        if self.user_id:
            return self.user.email
        return normalize_email(self.company_email or self.personal_email)


def role_group(role: str) -> Group:
    return Group.objects.get(name=role)
