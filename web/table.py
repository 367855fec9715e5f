"""GOV.UK tables without the macro's cost: ``govukTable``'s parameters and markup, in Python.

The ``govuk-frontend-jinja`` macro calls its attributes macro for every cell and reads each
parameter through Jinja's attribute lookup; for a page of 50 rows that was most of the page's
rendering (BENCHMARKS.md, "Web pages"). This writes the same elements and classes with plain
f-strings, every value through ``escape`` (``Markup.format`` cost as much as the macro). It
takes the parameters pages use: ``caption``, ``captionClasses``, ``classes``,
``firstCellIsHeader``, ``head`` and ``rows`` of cells ``{text or html, format, classes}``;
tests/web/test_table.py holds its markup to the macro's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

Cell = Mapping[str, Any]


def _class(base: str, *more: object) -> Markup:
    """The ``class`` attribute's value: ``base`` and each of ``more`` given."""
    return escape(" ".join([base, *(str(name) for name in more if name)]))


def _modified(base: str, item: Cell) -> Markup:
    """``base`` with the item's ``format`` modifier and its own ``classes``."""
    fmt = item.get("format")
    return _class(base, fmt and f"{base}--{fmt}", item.get("classes"))


def _content(cell: Cell) -> Markup:
    if cell.get("html"):
        # As the macro's ``| safe``: pages build these cells' markup, escaping what they put in.
        return Markup(cell["html"])  # noqa: S704
    return escape(cell.get("text", ""))


def table(params: Mapping[str, Any]) -> Markup:
    """The ``govukTable`` markup for ``params``."""
    out = [f'<table class="{_class("govuk-table", params.get("classes"))}">']
    if params.get("caption"):
        names = _class("govuk-table__caption", params.get("captionClasses"))
        out.append(f'<caption class="{names}">{escape(params["caption"])}</caption>')
    head: Sequence[Cell] = params.get("head") or ()
    if head:
        out.append('<thead class="govuk-table__head"><tr class="govuk-table__row">')
        for item in head:
            names = _modified("govuk-table__header", item)
            out.append(f'<th scope="col" class="{names}">{_content(item)}</th>')
        out.append("</tr></thead>")
    out.append('<tbody class="govuk-table__body">')
    header_first = bool(params.get("firstCellIsHeader"))
    for row in params.get("rows") or ():
        if not row:
            continue
        out.append('<tr class="govuk-table__row">')
        for index, cell in enumerate(row):
            if index == 0 and header_first:
                names = _class("govuk-table__header", cell.get("classes"))
                out.append(f'<th scope="row" class="{names}">{_content(cell)}</th>')
            else:
                names = _modified("govuk-table__cell", cell)
                out.append(f'<td class="{names}">{_content(cell)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    # Every value above went through escape() (or is a cell's html, as the macro's | safe).
    return Markup("".join(out))  # noqa: S704
