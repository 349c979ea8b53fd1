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
    detail = ""  # what is wrong, where more can be said than "not valid"


class InvisibleCharacterInEmail(InvalidEmail):
    message = "{email} is not a valid email address: it contains the invisible or control character {character}."
    detail = "it contains an invisible or control character"


class MixedScriptEmail(InvalidEmail):
    message = "{email} is not a valid email address: its domain label {label} mixes {scripts} letters."
    detail = "a domain label mixes letters of different scripts (a look-alike address)"


class UnknownRole(Invalid):
    code = "unknown_role"
    message = "Unknown role {role}. Roles: {roles}."


class InvalidTimeZone(Invalid):
    code = "validation_error"
    message = "{value} is not a valid IANA time zone (for example Europe/Berlin)."


class LastSystemManager(Conflict):
    code = "last_system_manager"
    message = (
        "{email} is the last enabled System Manager: it cannot be disabled or lose that role. "
        "Give another enabled user the System Manager role first."
    )
