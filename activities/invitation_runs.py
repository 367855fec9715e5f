"""Keeping an invitation run's figures in PostgreSQL, past the namespace's retention."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from domain.scheme import RunFigures
from store import schemes


class InvitationRunActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_run_figures(self, figures: RunFigures) -> None:
        """Idempotent: the row is set to the figures, however many times."""
        await schemes.record_figures(self._pool, figures)
