"""Bar charts for the equality report page, drawn on the server as SVG by matplotlib.

The Agg backend (no display); text stays text in a generic sans-serif family, so the browser
draws it with its own fonts and nothing is fetched, and glyph definitions are not repeated
(with ids clashing) in every chart of the page. Each chart has a data table beneath it on the
page, which is what screen readers read.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from domain.equality import FOUR_FIFTHS, StageFigures

# GOV.UK colours: bars in blue, the four-fifths line in red, flagged groups in orange.
_BAR, _FLAGGED, _LINE = "#1d70b8", "#f47738", "#d4351c"


def four_fifths_rate(stage: StageFigures) -> float | None:
    """The rate at which a group's ratio to the most favourable group is exactly 0.8."""
    best = next((g.rate for g in stage.groups if g.group == stage.most_favourable_group), None)
    if best is None:
        return None
    return FOUR_FIFTHS * best if stage.favourable else 1 - FOUR_FIFTHS * (1 - best)


def stage_chart(stage: StageFigures, name: str) -> str:
    """The stage's rate for each group as horizontal bars (none where the rate is withheld),
    with the four-fifths line: SVG markup for the page, its ids unique to ``name``."""
    groups = [g.group for g in stage.groups]
    rates = [g.rate or 0.0 for g in stage.groups]
    colours = [_FLAGGED if g.below_four_fifths else _BAR for g in stage.groups]
    figure = Figure(figsize=(6.4, 0.45 * len(groups) + 1.1))
    axes = figure.add_subplot()
    axes.barh(groups, rates, color=colours)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel(f"rate ({stage.label})")
    for index, figures in enumerate(stage.groups):
        if figures.rate is None:
            axes.text(0.01, index, "withheld", va="center", fontsize=8)
    line = four_fifths_rate(stage)
    if line is not None:
        axes.axvline(line, color=_LINE, linestyle="--", label="four-fifths line")
        axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    out = io.StringIO()
    # The salt makes the ids inside each chart its own: several charts share one page.
    with matplotlib.rc_context(
        {"svg.hashsalt": name, "svg.fonttype": "none", "font.family": "sans-serif"}
    ):
        figure.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    label = f"Bar chart of the rate {stage.label} by group; the table below gives the figures."
    return svg[svg.index("<svg") :].replace("<svg", f'<svg role="img" aria-label="{label}"', 1)
