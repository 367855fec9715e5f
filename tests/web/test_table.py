"""Our cheaper GOV.UK components write what the GOV.UK macros write: the same elements,
attributes, text and escaping, for every parameter the pages pass (whitespace between tags
aside). ``web.table.table`` against ``govukTable``; ``select`` in macros.html against
``govukSelect``."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from web.table import table
from web.templating import environment

GOVUK = environment.from_string(
    '{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}'
    "{{ govukTable(params) }}"
)
GOVUK_SELECT = environment.from_string(
    '{% from "govuk_frontend_jinja/components/select/macro.html" import govukSelect %}'
    "{{ govukSelect(params) }}"
)
OUR_SELECT = environment.from_string('{% from "macros.html" import select %}{{ select(params) }}')


class Events(HTMLParser):
    """The document as a list of tags with their attributes, and text (its runs of spaces as
    one: a browser shows them so)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, *(f"{k}={v}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.events.append(("text", " ".join(data.split())))


def events(markup: str) -> list[tuple[str, ...]]:
    parser = Events()
    parser.feed(markup)
    parser.close()
    return parser.events


CASES: list[dict[str, Any]] = [
    {  # the inbox's shape: html cells with a class, badges, a hidden caption
        "caption": "Open tasks, soonest due first",
        "captionClasses": "govuk-visually-hidden",
        "head": [{"text": "Case"}, {"text": "Due"}, {"text": "Status"}],
        "rows": [
            [
                {"html": '<a class="govuk-link" href="/cases/EX-1">EX-1</a>', "classes": "x"},
                {"text": "1 May 2026 at 09:00"},
                {"html": '<strong class="moj-badge moj-badge--red">Overdue</strong>'},
            ],
            [{"text": "EX-2"}, {"text": "No deadline"}, {"html": ""}],
        ],
    },
    {  # numbers, escaping, an empty row skipped, a table class, no caption
        "classes": "app-wide",
        "head": [{"text": "Group <b>"}, {"html": "<em>Rate</em>", "format": "numeric"}],
        "rows": [
            [{"text": 'Tom & Jerry\'s "group"'}, {"text": 0.5, "format": "numeric"}],
            [],
            [{"text": None}, {"text": 3, "format": "numeric", "classes": "a b"}],
        ],
    },
    {  # the roster's errors: the first cell a row header
        "caption": "Problems",
        "captionClasses": "govuk-table__caption--m",
        "firstCellIsHeader": True,
        "head": [{"text": "Line", "format": "numeric"}, {"text": "Problem"}],
        "rows": [[{"text": 4, "classes": "c"}, {"text": "rank: <unknown>"}]],
    },
    {"rows": [[{"text": "no head"}]]},
]


@pytest.mark.parametrize("params", CASES)
def test_the_markup_is_govuk_tables(params: dict[str, Any]) -> None:
    assert events(str(table(params))) == events(GOVUK.render(params=params))


def test_text_is_escaped_and_html_is_not() -> None:
    ours = str(table(CASES[1]))
    assert "Group &lt;b&gt;" in ours and "<b>" not in ours and "<em>Rate</em>" in ours
    assert "Tom &amp; Jerry&#39;s &#34;group&#34;" in ours


def test_the_select_is_govuk_selects() -> None:
    params = {
        "id": "rank",
        "name": "rank",
        "label": {"text": "Rank & grade"},
        "items": [
            {"value": "", "text": "Any"},
            {"value": "chief_inspector", "text": "Chief <inspector>", "selected": False},
            {"value": "superintendent", "text": "Superintendent", "selected": True},
        ],
    }
    ours = OUR_SELECT.render(params=params)
    assert events(ours) == events(GOVUK_SELECT.render(params=params))
    assert "Chief &lt;inspector&gt;" in ours
    assert '<option value="superintendent" selected>' in ours
