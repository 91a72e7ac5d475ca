"""The weekly figures as two pictures (PNG, matplotlib's Agg backend: no screen needed):
contacts by hour of day and day of week, and the last twelve weeks per level.

matplotlib is imported with this module (the bot imports it when the plugin starts), so the
first picture costs no import and the bot's memory at rest already holds it.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from watchstander.domain.figures import DAYS, LEVELS, WeeklyFigures

WIDTH, HEIGHT, DPI = 1000, 420, 100  # pixels of each picture
COLOURS = {"general": "#7aa6c2", "urgent": "#e8a33d", "emergency": "#c8553d"}


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _figure() -> Figure:
    # a Figure of its own (not pyplot): nothing global, safe from the scheduler's threads
    return Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")


def heatmap_png(figures: WeeklyFigures, timezone: str) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    grid = figures.heatmap
    image = axes.imshow(grid, aspect="auto", cmap="Blues", vmin=0, interpolation="nearest")
    axes.set_yticks(range(7), list(DAYS))
    axes.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    axes.set_xlabel(f"hour of day ({timezone})")
    axes.set_title(f"#support threads by hour and day, week {figures.week.label}")
    peak = max((max(row) for row in grid), default=0)
    for day, row in enumerate(grid):
        for hour, count in enumerate(row):
            if count:
                colour = "white" if count > peak * 0.6 else "#223"
                axes.text(hour, day, str(count), ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, ax=axes, label="threads")
    return _png(figure)


def trend_png(figures: WeeklyFigures) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    labels = [week.short for week, _ in figures.trend]
    bottom = [0] * len(labels)
    for level in LEVELS:
        values = [counts.get(level, 0) for _, counts in figures.trend]
        axes.bar(labels, values, bottom=bottom, label=level, color=COLOURS[level])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("threads")
    axes.set_xlabel("week starting")
    axes.set_title(f"#support threads per week and level, the {len(labels)} weeks to {labels[-1]}")
    axes.legend(loc="upper left")
    axes.tick_params(axis="x", labelrotation=45)
    return _png(figure)
