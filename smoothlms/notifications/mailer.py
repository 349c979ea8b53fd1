"""One SMTP connection per task, and what a failure means: permanent (the server refused this
message), or worth another attempt (and whether the server is down for the rest of the batch)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from django.core.mail import EmailMessage, get_connection

from smoothlms.notifications.policy import ERROR_LENGTH

log = logging.getLogger(__name__)


@dataclass
class SendError:
    text: str
    permanent: bool  # the server refused this message for good (5xx): retrying cannot help
    server_down: bool  # could not reach the server: the rest of this batch would fail the same way


class Mailer:
    """One SMTP connection for a whole task, opened on the first message, reopened after an error."""

    def __init__(self) -> None:
        self.connection = None
        self.down: SendError | None = None

    def send(self, message: EmailMessage) -> SendError | None:
        """None when the server accepted the message."""
        if self.down is not None:
            return self.down
        try:
            if self.connection is None:
                connection = get_connection(fail_silently=False)
                connection.open()
                self.connection = connection
        except (smtplib.SMTPException, OSError) as exc:
            self.down = SendError(_describe(exc), permanent=False, server_down=True)
            return self.down
        message.connection = self.connection
        try:
            accepted = self.connection.send_messages([message])
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            self.close()  # the session is in an unknown state: the next message opens a new one
            return SendError(_describe(exc), permanent=_is_permanent(exc), server_down=False)
        if accepted != 1:
            return SendError("The mail server did not accept the message.", permanent=False, server_down=False)
        return None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                log.debug("closing the SMTP connection failed", exc_info=True)
            self.connection = None


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, ValueError):  # a malformed message (e.g. a bad address): the same every time
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items())
        return f"Recipient refused: {detail}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
