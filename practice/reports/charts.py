"""Charts drawn on the server as inline SVG: no script, no network, readable by a screen
reader (role="img" with a title and a description). Every chart on the page has a table of
the same numbers beside it, so the picture never carries information on its own."""

from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito); lines also
# differ by dash pattern and marker shape, so colour is never the only difference.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6 4", "2 3")
WIDTH, HEIGHT = 560, 270
LEFT, RIGHT, TOP, BOTTOM = 52, 36, 16, 62

_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]  # None: nothing to measure that week (no gap filled in)


def _svg(title: str, description: str, body: list[str], height: int) -> Markup:
    number = next(_ids)
    return Markup(
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-{number}-title chart-{number}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{number}-title">{escape(title)}</title>'
        f'<desc id="chart-{number}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 14) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="#333">{escape(text)}</text>')


def rate_lines(title: str, description: str, labels: list[str], series: list[Series]) -> Markup:
    """Rates (0 to 1) per week as lines, with a 0-100% scale and a legend below."""
    peak = max([value for line in series for value in line.values if value is not None] + [0.0])
    top = max(0.1, min(1.0, _round_up(peak)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(index: int) -> float:
        return LEFT + (index * step if len(labels) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    body = []
    for tick in (0, top / 2, top):
        body.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        body.append(_text(LEFT - 6, y(tick) + 5, f"{tick:.0%}", anchor="end", size=13))
    every = max(1, -(-len(labels) // 8))  # at most eight week labels, so they never overlap
    for index, label in enumerate(labels):
        if index % every == 0:
            body.append(_text(x(index), HEIGHT - BOTTOM + 20, label, size=13))
    for number, line in enumerate(series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        for run in _runs(line.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" '
                        f'stroke-dasharray="{dash}"/>')
        for index, value in enumerate(line.values):
            if value is not None:
                body.append(_marker(number, x(index), y(value), colour))
        legend_x = LEFT - 40 + number * 180
        body.append(f'<line x1="{legend_x}" x2="{legend_x + 28}" y1="{HEIGHT - 14}" y2="{HEIGHT - 14}" '
                    f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>')
        body.append(_marker(number, legend_x + 14, HEIGHT - 14, colour))
        body.append(_text(legend_x + 34, HEIGHT - 10, line.name, anchor="start"))
    return _svg(title, description, body, HEIGHT)


def _marker(number: int, cx: float, cy: float, colour: str) -> str:
    if number % 3 == 1:
        return f'<rect x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if number % 3 == 2:
        return (f'<polygon points="{cx:.1f},{cy - 4.5:.1f} {cx + 4.5:.1f},{cy + 3.5:.1f} '
                f'{cx - 4.5:.1f},{cy + 3.5:.1f}" fill="{colour}"/>')
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>'


def _runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Stretches of consecutive weeks with a value: a week with nothing to measure breaks
    the line rather than being drawn as 0%."""
    runs, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return [run for run in runs if len(run) > 1]


def _round_up(value: float) -> float:
    """The next tenth up (0.23 -> 0.3), so a low rate is not squashed against the axis."""
    return (int(value * 10 + 0.9999)) / 10


def bars(title: str, description: str, items: list[tuple[str, int]], *, shown: list[str] | None = None) -> Markup:
    """Horizontal bars, one per item, with its value written at its end. `shown` are the
    values as text (money, say); by default the numbers themselves."""
    row, label_w = 32, 190
    height = TOP + row * max(len(items), 1) + 8
    largest = max([value for _, value in items] + [1])
    plot_w = WIDTH - label_w - 100  # room for the value after the longest bar
    body = []
    for index, (label, value) in enumerate(items):
        y = TOP + index * row
        width = plot_w * max(value, 0) / largest
        body.append(_text(label_w - 8, y + 20, _shorten(label), anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row - 10}" '
                    f'fill="{COLOURS[0]}"/>')
        body.append(_text(label_w + width + 6, y + 20, shown[index] if shown else str(value), anchor="start"))
    if not items:
        body.append(_text(WIDTH / 2, TOP + 18, "Nothing to show for this range."))
    return _svg(title, description, body, height)


def _shorten(label: str, longest: int = 24) -> str:
    return label if len(label) <= longest else label[: longest - 1] + "…"
