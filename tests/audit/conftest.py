"""Fixtures the audit tests borrow: the API's full stack (dev Temporal server, worker, app and
users), started only by the tests that ask for it."""

from tests.api.conftest import api, new_officer, stack, staff  # noqa: F401
