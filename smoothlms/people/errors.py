from smoothlms.core.errors import Conflict, Invalid, NotFound


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No user with email {email}."


class UserExists(Conflict):
    code = "user_exists"
    message = "A user with email {email} already exists."


class InvalidEmail(Invalid):
    code = "invalid_email"
    message = "{email} is not a valid email address."


class UnknownRole(Invalid):
    code = "unknown_role"
    message = "Unknown role {role}. Roles: {roles}."


class InvalidTimeZone(Invalid):
    code = "validation_error"
    message = "{value} is not a valid IANA time zone (for example Europe/Berlin)."
