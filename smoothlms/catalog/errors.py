from smoothlms.core.errors import Conflict, Invalid, NotFound


class BatchNotFound(NotFound):
    code = "not_found"
    message = "No cohort named {name}."


class CourseNotFound(NotFound):
    code = "not_found"
    message = "No course named {name}."


class InvalidBatch(Invalid):
    """Model validation failed; params["fields"] maps each field to its messages."""

    code = "validation_error"
    message = "{detail}"


class NameTaken(Conflict):
    code = "name_taken"
    message = "The name {name} is already used."
