"""Headers every HTML page of the service carries, whoever answered it.

No framing: the sign-in page holds a form and a sign-out button; framed invisibly by another
page, a user could be tricked into pressing them (clickjacking). Every HTML response says so in
the current header (CSP ``frame-ancestors``) and the older one browsers without CSP still honour.

No storing: pages hold cases, amounts and officers' details. Kept by the browser, Back after
signing out on a shared machine would show them to the next person at it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class PageHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_page_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").lower().startswith("text/html"):
                    for name, value in PAGE_HEADERS.items():
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_page_headers)
