"""The API docs pages load nothing from another host: they work on a closed network."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api.app import create_app
from config.settings import Settings

BASE = "http://api.test"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.found


EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_file_from_the_service_itself(page: str) -> None:
    transport = httpx.ASGITransport(app=create_app(Settings()))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        response = await http.get(page)
        assert response.status_code == 200
        found = references(response.text)
        # The script, and the stylesheet or icon: a page with no references proves nothing.
        assert any(url.endswith(".js") for url in found), found
        for url in found:
            absolute = urljoin(f"{BASE}{page}", url)
            assert urlsplit(absolute).netloc == urlsplit(BASE).netloc, f"{page} loads {url}"
            asset = await http.get(absolute)
            assert asset.status_code == 200, url
            suffix = "." + url.rsplit(".", 1)[-1]
            assert EXPECTED_TYPES[suffix] in asset.headers["content-type"], url
        # The document the page renders is the service's own too.
        assert "/openapi.json" in response.text
        assert (await http.get("/openapi.json")).status_code == 200
