"""Opening one case from another: an officer facing efficiency retirement applies for the
voluntary scheme instead. The new case starts through the same door as any other."""

from __future__ import annotations

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from config.settings import Settings
from domain.case import Application
from domain.lifecycle import CaseKind
from domain.people import Actor
from service.cases import OfficerHasLeft, OpenCaseExists, UnknownOfficer, open_case
from service.kinds import KindNotAvailable

log = structlog.get_logger(__name__)


class LinkedCase(BaseModel):
    """A voluntary exit case to open with an id the workflow chose, so a retry finds it."""

    case_id: str
    officer_id: str
    application: Application
    actor: Actor


class CaseOpener:
    def __init__(self, client: Client, pool: asyncpg.Pool, settings: Settings) -> None:
        self._client, self._pool, self._settings = client, pool, settings

    @activity.defn
    async def open_voluntary_case(self, linked: LinkedCase) -> None:
        try:
            await open_case(
                self._pool,
                self._client,
                self._settings,
                officer_id=linked.officer_id,
                kind=CaseKind.VOLUNTARY_EXIT,
                application=linked.application,
                actor=linked.actor,
                case_id=linked.case_id,
            )
        except (OpenCaseExists, OfficerHasLeft, UnknownOfficer, KindNotAvailable) as error:
            # Neither goes away by retrying; the efficiency case records the failure.
            raise ApplicationError(str(error), non_retryable=True) from error
        log.info(
            "linked case opened",
            case_id=linked.case_id,
            linked_from=linked.application.linked_from,
        )
