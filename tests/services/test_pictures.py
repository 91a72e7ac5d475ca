"""The weekly pictures: valid PNGs of the promised size that change with the data."""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from matplotlib.image import imread

from watchstander.domain.figures import WeeklyFigures, week_of, weeks_up_to
from watchstander.services.pictures import HEIGHT, WIDTH, heatmap_png, trend_png

AMS = ZoneInfo("Europe/Amsterdam")


def figures(scale: int = 1) -> WeeklyFigures:
    week = week_of(date(2026, 11, 16), AMS)
    trend = tuple(
        (w, {"general": 20 + n * scale, "urgent": 5 + n % 3, "emergency": n % 2})
        for n, w in enumerate(weeks_up_to(week, AMS))
    )
    grid = tuple(
        tuple((3 * scale if 8 <= hour <= 17 and day < 5 else 0) + day for hour in range(24))
        for day in range(7)
    )
    return WeeklyFigures(week, (), trend, grid, ((10, 4),))


def size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def pixels(png: bytes) -> float:
    return float(imread(io.BytesIO(png), format="png").sum())


def test_pictures_are_pngs_of_the_promised_size(tmp_path: Path) -> None:
    heat, trend = heatmap_png(figures(), "Europe/Amsterdam"), trend_png(figures())
    assert size(heat) == (WIDTH, HEIGHT)
    assert size(trend) == (WIDTH, HEIGHT)
    (tmp_path / "heatmap.png").write_bytes(heat)  # to look at: pytest --basetemp=out
    (tmp_path / "trend.png").write_bytes(trend)
    assert imread(io.BytesIO(heat), format="png").shape[:2] == (HEIGHT, WIDTH)


def test_pictures_change_when_the_data_change() -> None:
    assert pixels(heatmap_png(figures(1), "UTC")) != pixels(heatmap_png(figures(4), "UTC"))
    assert pixels(trend_png(figures(1))) != pixels(trend_png(figures(4)))
    assert heatmap_png(figures(2), "UTC") == heatmap_png(figures(2), "UTC")  # same data, same


def test_an_empty_week_draws_without_error() -> None:
    empty = replace(
        figures(),
        heatmap=tuple(tuple(0 for _ in range(24)) for _ in range(7)),
        trend=tuple((w, {}) for w, _ in figures().trend),
    )
    assert size(heatmap_png(empty, "UTC")) == (WIDTH, HEIGHT)
    assert size(trend_png(empty)) == (WIDTH, HEIGHT)
