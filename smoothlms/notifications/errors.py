"""Refusals of the notification services."""

from smoothlms.core.errors import Conflict, Invalid


class EnrollmentNotActive(Conflict):
    code = "enrollment_not_active"
    message = "Only an active enrollment gets a confirmation email; {member} is {status} in this cohort."


class EmailsTurnedOff(Conflict):
    code = "emails_turned_off"
    message = "Confirmation emails are turned off in LMS Settings."


class NoConfirmationTemplate(Conflict):
    code = "no_confirmation_template"
    message = "No confirmation email template is configured in LMS Settings."


class TemplateLimitExceeded(Invalid):
    """A template that could use unbounded memory or time: refused when saved, and again when
    rendered (a template saved before these checks, or one written around the form)."""

    code = "template_limit"
    message = "Template refused: {detail}"
