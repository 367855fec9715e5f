"""Guards in front of the routes: a ceiling on request bodies, and a brake on token guessing.

Both are per API process. Behind a load balancer with several API processes, the guessing
brake multiplies by their number; tokens carry 256 random bits, so the brake is about noise
and log flooding rather than the odds of a guess. The address is the TCP peer's, or the one
a trusted proxy names in ``X-Forwarded-For`` (``EXITCASES_TRUSTED_PROXIES``, see api.server).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable

from cachetools import TTLCache
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ProblemError

# The whole force's roster (46,000 officers) is under 5 MB: the same ceiling as the import.
MAX_BODY_BYTES = 10_000_000
MAX_ROSTER_BYTES = 10 * 1024 * 1024
# A page's upload is a multipart form: the file (at most the roster's 10 MiB, evidence's 10 MB)
# plus the CSRF token, any other fields and each part's headers. Allowing for them, a file at its
# limit reaches the page, and one a little over gets the page's own error on its form.
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_PAGE_FORM_BYTES = MAX_ROSTER_BYTES + FORM_OVERHEAD_BYTES
# Addresses that are the API's, whatever the client accepts; every other address is a page's.
API_PREFIXES = ("/v1/", "/codec", "/session", "/health", "/metrics", "/docs", "/openapi")


class BodyLimitMiddleware:
    """413 for a body over the limit. A body that does not announce its length is read (up to
    the limit) before the route sees it, so nothing is half-processed when it turns out large.

    A page's multipart form may be ``page_limit`` long; refused, a page gets ``too_large_page``
    (an ASGI app answering in HTML, given the limit in ``scope["body_limit"]``), the API's
    clients the JSON problem.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        page_limit: int = MAX_PAGE_FORM_BYTES,
        too_large_page: ASGIApp | None = None,
    ) -> None:
        self.app, self.limit, self.page_limit = app, limit, page_limit
        self.too_large_page = too_large_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        page = not scope["path"].startswith(API_PREFIXES)
        form = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.page_limit if page and form else self.limit
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                await self._refuse(scope, receive, send, limit, page=page)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, limit, page=page)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, limit: int, *, page: bool
    ) -> None:
        if page and self.too_large_page is not None:
            await self.too_large_page({**scope, "body_limit": limit}, receive, send)
        else:
            await _refuse_json(send, limit)


async def _refuse_json(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "/problems/too-large",
            "title": "Request too large",
            "status": 413,
            "detail": f"the request body is over {limit:,} bytes",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FailedAuthBrake:
    """After ``limit`` failed authentications from one address within ``window`` seconds, that
    address's further failures get 429 until the window has moved on.

    Only failures are braked: a valid credential from the same address still gets through, so
    one mistyped script does not lock out everyone behind the same NAT. Addresses are held in a
    TTL cache: each is forgotten ``window`` seconds after its last failure, and at most
    ``max_addresses`` are held (the least recently failing go first), so a flood from many
    addresses cannot grow the process.
    """

    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        max_addresses: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._timer = limit, window, timer
        # Only the newest ``limit`` failures decide whether an address is braked.
        self._failures: TTLCache[str, deque[float]] = TTLCache(
            maxsize=max_addresses, ttl=window, timer=timer
        )

    def __len__(self) -> int:
        return len(self._failures)

    def failed(self, address: str) -> None:
        """Count a failure from ``address``; 429 when it has failed ``limit`` times already."""
        now = self._timer()
        failures = self._failures.get(address) or deque(maxlen=self.limit)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) >= self.limit:
            retry = int(failures[0] + self.window - now) + 1
            raise ProblemError(
                429,
                f"too many failed authentications from this address; retry in {retry} s",
                kind="too-many-failures",
                headers={"Retry-After": str(retry)},
            )
        failures.append(now)
        # Set again, not only appended to: the entry's time to live starts afresh.
        self._failures[address] = failures
