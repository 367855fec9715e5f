"""Task queues: the cases' own, and the letters' beside it."""

from __future__ import annotations


def letters_queue(task_queue: str) -> str:
    """Where a case's letters are rendered: a queue of their own, so a burst of PDFs never takes
    the case workers' activity slots from other cases' steps, and letter workers scale apart.
    Derived from the case's own queue, so a workflow finds it from its own info,
    deterministically."""
    return f"{task_queue}-letters"
