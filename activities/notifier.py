"""Delivers the notification outbox: e-mail through SMTP when one is configured, else a log line.

Notices are written by the same transaction as the transition that caused them, so none is
lost; each is claimed with SKIP LOCKED, so several workers never send one twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
from email.message import EmailMessage

import asyncpg
import structlog

from config.settings import Settings
from store.letters import document_content, invitation_letter_content
from store.outbox import PendingNotification, claim_pending, mark_failed, mark_sent
from store.schemes import INVITATION_LETTER, SCHEME_SUBJECT

log = structlog.get_logger(__name__)

BATCH = 50


class Notifier:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    async def deliver_once(self) -> int:
        """Deliver one batch; return how many were delivered."""
        delivered = 0
        async with self._pool.acquire() as connection, connection.transaction():
            for notification in await claim_pending(connection, BATCH):
                try:
                    await self._send(notification)
                except (OSError, smtplib.SMTPException) as error:
                    log.warning(
                        "notification not delivered",
                        case_id=notification.case_id,
                        notification_id=notification.notification_id,
                        error=type(error).__name__,
                    )
                    await mark_failed(
                        connection, notification.notification_id, type(error).__name__
                    )
                    continue
                await mark_sent(connection, notification.notification_id)
                delivered += 1
        return delivered

    async def _send(self, notification: PendingNotification) -> None:
        if not self._settings.smtp_host or not notification.addresses:
            # Addresses are personal data: the log names the case and how many, not whom.
            log.info(
                "notification",
                case_id=notification.case_id,
                subject=notification.subject,
                recipients=len(notification.addresses),
                delivered_by="log",
            )
            return
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = ", ".join(notification.addresses)
        message["Subject"] = notification.subject
        await self._compose(message, notification)
        await asyncio.to_thread(self._smtp_send, message)
        log.info(
            "notification",
            case_id=notification.case_id,
            recipients=len(notification.addresses),
            delivered_by="smtp",
        )

    async def _compose(self, message: EmailMessage, notification: PendingNotification) -> None:
        """The body, and the letter it announces: attached, or a link to sign in and read it.
        Either way the body itself carries no personal data."""
        letter = notification.document_id
        if letter is None:
            message.set_content(notification.body)
            return
        scheme = invitation_scheme(notification)
        if self._settings.letters_attached:
            content = await self._letter(notification, letter, scheme)
            if content is not None:
                message.set_content(f"{notification.body}\n\nThe letter is attached.")
                message.add_attachment(
                    content,
                    maintype="application",
                    subtype="pdf",
                    filename=f"{notification.case_id}-{letter}.pdf".replace(":", "-"),
                )
                return
        base = (self._settings.public_url or "").rstrip("/")
        # An invitation letter's page is the officer's own: the link names neither officer
        # nor anything personal.
        link = (
            f"{base}/v1/cases/{notification.case_id}/documents/{letter}"
            if scheme is None
            else f"{base}/invitation-letters/{scheme}"
        )
        message.set_content(f"{notification.body}\n\nRead it (sign in first): {link}")

    async def _letter(
        self, notification: PendingNotification, letter: str, scheme: str | None
    ) -> bytes | None:
        if scheme is None:
            found = await document_content(self._pool, notification.case_id, letter)
            return None if found is None else found[1]
        if notification.recipient_officer_id is None:
            return None
        invitation = await invitation_letter_content(
            self._pool, scheme, notification.recipient_officer_id
        )
        return None if invitation is None else invitation[1]

    def _smtp_send(self, message: EmailMessage) -> None:
        assert self._settings.smtp_host is not None
        with smtplib.SMTP(self._settings.smtp_host, self._settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)

    async def run_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self.deliver_once() == BATCH:
                    continue
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("notifier cannot reach the database", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.notifier_poll_seconds)


def invitation_scheme(notification: PendingNotification) -> str | None:
    """The scheme whose invitation letter a scheme notice announces; None for a case's letter."""
    if notification.document_id == INVITATION_LETTER and notification.case_id.startswith(
        SCHEME_SUBJECT
    ):
        return notification.case_id.removeprefix(SCHEME_SUBJECT)
    return None
