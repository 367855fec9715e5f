"""The equality monitoring page: a chart per stage with the four-fifths line, drawn on the
server as SVG, and the figures in a table beneath it; axe on the page; only HR managers and
auditors see it, and the view is in the access log."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from domain.equality import ReportKind
from tests.helpers.api import Stack, User
from tests.helpers.equality import report_of, synthetic_roster
from tests.web.browser import check_page, signed_in
from web.charts import four_fifths_rate, stage_chart


def test_each_chart_draws_the_four_fifths_line_where_the_ratio_is_0_8() -> None:
    report = report_of(ReportKind.VOLUNTARY_EXIT, synthetic_roster())
    sex = next(d for d in report.dimensions if d.dimension == "sex")
    approved = next(s for s in sex.stages if s.stage == "approved")
    best = next(g for g in approved.groups if g.group == approved.most_favourable_group)
    assert best.rate is not None
    assert four_fifths_rate(approved) == pytest.approx(0.8 * best.rate)
    ineligible = next(s for s in sex.stages if s.stage == "ineligible")
    lowest = next(g for g in ineligible.groups if g.group == ineligible.most_favourable_group)
    assert lowest.rate is not None
    # An adverse stage: the line is where avoiding it is 0.8 of the best rate of avoiding it.
    assert four_fifths_rate(ineligible) == pytest.approx(1 - 0.8 * (1 - lowest.rate))
    svg = stage_chart(approved, "sex-approved")
    assert svg.startswith('<svg role="img" aria-label="Bar chart of the rate approved')
    # The line, and the small groups marked withheld rather than drawn.
    assert "four-fifths line" in svg and "withheld" in svg
    # Nothing to fetch: no fonts, no images, no links.
    assert "@font-face" not in svg and "url(http" not in svg and 'xlink:href="http' not in svg
    assert stage_chart(approved, "other") != svg  # ids differ per chart on one page


@pytest.mark.slow
async def test_hr_managers_see_charts_and_tables_and_others_do_not(
    stack: Stack, staff: dict[str, User], live: str, browser: Browser
) -> None:
    # Efficiency retirement: no scheme needed, and the shared database's cases stay as they are.
    manager = await signed_in(browser, live, staff["hr_manager"])
    await manager.get_by_role("link", name="Equality").click()
    await manager.goto("/reports/equality?kind=efficiency_retirement")
    await check_page(manager, "Equality monitoring")
    await expect(manager.get_by_text("screening guide, not a legal test")).to_be_visible()
    charts = manager.locator(".app-chart svg[role=img]")
    await expect(charts.first).to_be_visible()
    tables = manager.locator("table.govuk-table")
    assert await charts.count() == await tables.count() > 0
    await expect(tables.first).to_contain_text("Ratio to most favourable")
    async with manager.expect_download() as download:
        await manager.get_by_role("link", name="Download the figures (CSV)").click()
    assert (await download.value).suggested_filename == "equality-efficiency_retirement.csv"
    logged = await stack.pool.fetch(
        "SELECT endpoint FROM access_log WHERE user_id = $1 AND case_id = $2",
        staff["hr_manager"].user_id,
        "equality:efficiency_retirement",
    )
    assert {r["endpoint"] for r in logged} == {
        "GET /reports/equality",
        "GET /reports/equality.csv",
    }

    caseworker = await signed_in(browser, live, staff["caseworker"])
    await expect(caseworker.get_by_role("link", name="Equality")).to_have_count(0)
    response = await caseworker.goto("/reports/equality?kind=efficiency_retirement")
    assert response is not None and response.status == 403
