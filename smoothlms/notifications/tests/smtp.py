"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that records what it accepted.

It can be slow (`delay`, seconds spent before answering DATA), refuse (`reply`, e.g.
"451 4.3.0 Try again later" or "550 5.1.1 No such user"), or be down (`stop()`; `start()` brings
it back on the same port). A client that disconnects while the server is still deciding gets no
acceptance, and the message is not recorded: aiosmtpd cancels the handler."""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: too loud for test output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=default_policy)  # type: ignore[return-value]


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.reply: str | None = None
        self.data_started = threading.Event()
        self.data_count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.data_count += 1
        self.data_started.set()
        if self.delay:
            await asyncio.sleep(self.delay)  # cancelled if the client goes away meanwhile
        if self.reply:
            return self.reply
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def per_recipient(self) -> Counter:
        return Counter(recipient for item in self.received for recipient in item.recipients)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
