"""E-mail through a real local SMTP server (aiosmtpd), for the notifier's tests."""

from __future__ import annotations

import email
import email.policy
import secrets
from email.message import EmailMessage
from typing import Any

import asyncpg
from aiosmtpd.controller import Controller

from activities.notifier import Notifier
from config.settings import Settings
from domain.officer import Officer
from tests.helpers.processes import free_port


class Inbox:
    """What the SMTP server was handed: each message's recipients and its text."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


async def officer_user_with_address(pool: asyncpg.Pool, subject: Officer) -> str:
    """A user account for the officer, with an e-mail address; the address."""
    address = f"{subject.officer_id.lower()}@force.example"
    await pool.execute(
        "INSERT INTO users (user_id, name, role, officer_id, email, token_hash)"
        " VALUES ($1, 'O', 'officer', $2, $3, $4)",
        f"u_{subject.officer_id}",
        subject.officer_id,
        address,
        secrets.token_hex(16),
    )
    return address


async def deliver_pending_without_mail(pool: asyncpg.Pool) -> None:
    """Earlier tests leave notices; send them nowhere, so a test's delivery holds its own."""
    while await Notifier(pool, Settings(smtp_host=None)).deliver_once():
        pass


async def delivered_to(pool: asyncpg.Pool, address: str, *, attached: bool) -> EmailMessage:
    """One round of the notifier through a local SMTP server; the one message to ``address``."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            letters_attached=attached,
            public_url="https://hr.example",
        )
        await Notifier(pool, settings).deliver_once()
    finally:
        controller.stop()
    [(_, raw)] = [m for m in inbox.messages if address in m[0]]
    message = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
