"""People: the User (email is the login), the Employee (the HR record, keyed by the HR id) and the
outbox of set-password emails (UserInvitation)."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Func, Q, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.core.timeutil import validate_time_zone
from smoothlms.people.errors import InvalidEmail, InvisibleCharacterInEmail, MixedScriptEmail, UnknownRole, UserExists
from smoothlms.people.roles import DEFAULT_ROLES, Role, is_staff_role

# A strict subset of what Django's EmailValidator accepts (dot-atom local part, LDH domain labels,
# alphabetic TLD, no punycode): most addresses match it and skip the slower checks (50,000-row files).
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
# Control, format (zero-width, bidi controls), private-use, surrogate and unassigned characters, and
# line or paragraph separators: nothing a person types on purpose, and invisible on screen.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_LABEL_DOTS = re.compile("[.\u3002]")  # IDNA also reads the ideographic full stop as a dot
# Scripts that one label may mix (Unicode TS #39, "highly restrictive"): Latin with Japanese,
# Chinese or Korean writing. Any other mix (Latin with Cyrillic, Greek with Latin...) is a look-alike.
_SCRIPT_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)


def normalize_email(email: str) -> str:
    """NFKC-normalised, trimmed and lower-cased: the one spelling under which an address is stored,
    looked up and compared (`ＡＳＨＡ@example.com ` is `asha@example.com`). Whether it is a valid
    address is clean_email's question (below)."""
    email = email or ""
    if email.isascii():  # NFKC leaves ASCII as it is: skipped in the common case (imports of 50,000 rows)
        return email.strip().lower()
    return unicodedata.normalize("NFKC", email).strip().lower()


def clean_email(email: str) -> str:
    """The normalised address (NFKC, trimmed, lower case: `normalize_email`), or InvalidEmail naming
    what was given. The one check of an address, on every path that stores one (API, desk, imports,
    HR records): refused are invalid addresses, invisible or control characters (`asha@example.com`
    followed by a zero-width space), and domain labels that mix scripts (a Cyrillic `а` in
    `exаmple.com`), punycode labels included."""
    normalized = normalize_email(email)
    if len(normalized) <= 254 and _PLAIN_EMAIL.fullmatch(normalized) and "xn--" not in normalized:
        return normalized
    shown = _shown(email)
    invisible = next((char for char in normalized if unicodedata.category(char) in _INVISIBLE), None)
    if invisible is not None:
        raise InvisibleCharacterInEmail(email=shown, character=f"U+{ord(invisible):04X}")
    try:
        validate_email(normalized)
    except ValidationError:
        raise InvalidEmail(email=shown) from None
    for label in _LABEL_DOTS.split(normalized.rpartition("@")[2]):
        scripts = _scripts(_unicode_label(label, shown))
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_MIXES):
            names = " and ".join(script.title() for script in sorted(scripts))
            raise MixedScriptEmail(email=shown, label=label, scripts=names)
    return normalized


def _shown(email: str) -> str:
    """The address as typed, for messages: invisible characters written out as \\uXXXX."""
    text = (email or "").strip() or "(blank)"
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in _INVISIBLE else char for char in text)[:254]


def _unicode_label(label: str, shown: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        raise InvalidEmail(email=shown) from None


def _scripts(label: str) -> set[str]:
    """The scripts of a label's letters (digits and hyphens belong to none), from their Unicode names:
    `LATIN SMALL LETTER A`, `CYRILLIC SMALL LETTER A`, `CJK UNIFIED IDEOGRAPH-4E00`..."""
    return {
        unicodedata.name(char, "UNKNOWN").split(" ")[0]
        for char in label
        if not (char.isascii() and not char.isalpha()) and unicodedata.category(char)[0] in "LM"
    }


def role_groups(roles: Iterable[str]) -> list[Group]:
    """The groups of `roles` (UnknownRole for a name that is none of Role's)."""
    wanted = list(dict.fromkeys(roles))
    unknown = [role for role in wanted if role not in Role.values]
    if unknown:
        raise UnknownRole(role=unknown[0], roles=", ".join(Role.values))
    groups = list(Group.objects.filter(name__in=wanted))
    if len(groups) < len(wanted):
        # The roles come with a data migration; a flushed database (transactional tests, a
        # `flush`) loses them, and they are re-created here rather than failing every sign-up.
        Group.objects.bulk_create([Group(name=name) for name in wanted], ignore_conflicts=True)
        groups = list(Group.objects.filter(name__in=wanted))
    return groups


class UserManager(BaseUserManager["User"]):
    """`create_user` is the one constructor of users: people.services.create_user (every path of
    ours) and Django's own `createsuperuser` both come through it, so its rules hold for all."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    @transaction.atomic
    def create_user(
        self,
        email: str,
        password: str | None = None,
        *,
        roles: Iterable[str] | None = None,
        full_name: str = "",
        enabled: bool = True,
        actor: User | None = None,
        superuser: bool = False,
        **extra,
    ) -> User:
        """Rules: the email is valid and unused (in any case). Roles default to LMS Student;
        explicit roles replace that default. Side effects: audit event."""
        address = clean_email(email)
        groups = role_groups(DEFAULT_ROLES if roles is None else roles)
        user = self.model(
            email=address, full_name=(full_name or "").strip(), enabled=enabled, is_superuser=superuser, **extra
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        try:
            with transaction.atomic():  # savepoint: a duplicate must not poison the caller's transaction
                user.save(using=self._db)
        except IntegrityError:
            if self.filter(email=address).exists():
                raise UserExists(email=address) from None
            raise
        user.groups.set(groups)
        record_event(
            EventType.USER_CREATED,
            actor=actor,
            member=user,
            after={"email": address, "roles": sorted(g.name for g in groups), "enabled": enabled},
        )
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        """What `createsuperuser` calls: a System Manager."""
        fields.pop("is_superuser", None)
        fields.pop("is_staff", None)
        return self.create_user(email, password, roles=[Role.SYSTEM_MANAGER], superuser=True, **fields)


class EmailDomain(Func):
    """The text after an address's last `@` (all of it when it has none): what the match keys'
    domains are compared with (hr.reconciliation finds the users of an export's domains by it).
    Its type is its source's (User.email_domain names the column's)."""

    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        # rtrim(x, every character of x but "@") strips back to the last "@": its length is where it is.
        template = "substr(%(expressions)s, length(rtrim(%(expressions)s, replace(%(expressions)s, '@', ''))) + 1)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="split_part(%(expressions)s, '@', -1)", **extra)

    def as_mysql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="SUBSTRING_INDEX(%(expressions)s, '@', -1)", **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True, max_length=254)
    # Kept by the database on every write (bulk ones too), indexed: the users of a domain are found
    # without reading every user (an address's suffix cannot use the email's own index).
    email_domain = models.GeneratedField(
        expression=EmailDomain("email"),
        output_field=models.CharField(max_length=254),
        db_persist=True,
        db_index=True,
        editable=False,
    )
    full_name = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True, help_text="Disabled users cannot sign in; their history stays.")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Shown beside cohort times on the portal. Blank: the browser's.",
    )
    api_key = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    api_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    calendar_token = models.CharField(max_length=43, unique=True, null=True, blank=True, editable=False)
    password_set = models.BooleanField(
        default=False, editable=False, help_text="False until the person chose a password."
    )
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
        return bool(self.role_names.intersection(roles)) or (self.is_superuser and Role.SYSTEM_MANAGER in roles)

    @property
    def is_staff(self) -> bool:  # what Django admin reads: staff roles reach the desk, students never
        return is_staff_role(self)

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
        return bool(self.api_secret_hash) and secrets.compare_digest(self.api_secret_hash, self.hash_api_secret(secret))


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
    reports_to = models.CharField(
        max_length=140, blank=True, db_index=True, help_text="The manager's HR id (Frappe's Reports To)."
    )
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
                condition=Q(relieving_date__isnull=True)
                | Q(date_of_joining__isnull=True)
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


INVITATION = "invitation"  # UserInvitation.kind: the first set-password email of a provisioned user
RESET = "reset"  # UserInvitation.kind: a "Forgot password?" link


class UserInvitation(models.Model):
    """The outbox of set-password emails (people.accounts writes them; notifications.delivery
    sends them): written with the user, claimed before sending so that a message goes out once,
    retried with the one backoff of every email; the sweep re-enqueues what stayed pending."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    kind = models.CharField(max_length=16, default=INVITATION)  # invitation | reset
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(
        null=True, blank=True, help_text="While pending: a claim's lease, or the retry's time after a failure."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had in hr: the model moved without copying a row.
        db_table = "hr_userinvitation"
        ordering = ["-created_at", "-id"]
        verbose_name = "set-password email"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sent", "failed", "skipped"]),
                name="userinvitation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.status}"
