"""Charts (bars, lines, intervals) at print width with every text readable; legends sit outside
the plotting area (under it), never over data."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .layout import FONT_PT, PRINT_WIDTH_IN, TITLE_PT, chart_figure, text_width_in, wrap_text

_ROW_IN = 0.27            # height per bar / interval row (one 8 pt label line plus air)
_MARKERS = "osD^vP*Xh<>"  # distinct shapes so series stay apart in greyscale print
_MAX_LABEL_IN = 2.2       # category labels wrap beyond this width


def _style(ax: Axes, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title:  # over the figure, not the axes: long category labels move the axes off centre
        ax.figure.suptitle(wrap_text(title, PRINT_WIDTH_IN - 0.2, TITLE_PT), fontsize=TITLE_PT)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=FONT_PT)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=FONT_PT)
    ax.tick_params(labelsize=FONT_PT)
    ax.xaxis.get_offset_text().set_fontsize(FONT_PT)
    ax.yaxis.get_offset_text().set_fontsize(FONT_PT)


def _legend_below(fig: Figure, ax: Axes, n_entries: int) -> None:
    """A legend under the axes (constrained layout makes room), in as many columns as fit."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    widest = max(text_width_in(label, FONT_PT) for label in labels) + 0.5
    ncols = max(1, min(n_entries, int(PRINT_WIDTH_IN // widest)))
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=FONT_PT, frameon=False)


def _title_rows(title: str | None) -> float:
    return 0.0 if not title else 0.18 * (wrap_text(title, PRINT_WIDTH_IN - 0.2, TITLE_PT).count("\n") + 1)


def _category_labels(labels: Sequence[str]) -> list[str]:
    return [wrap_text(str(label), _MAX_LABEL_IN, FONT_PT) for label in labels]


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str,
              highlight: Sequence[bool] | None = None, reference: float | None = None,
              reference_label: str | None = None, counts: Sequence[int] | None = None) -> Figure:
    """Horizontal bars in the given order, first on top (e.g. mean activation per class).

    ``highlight`` marks bars in a second colour; ``reference`` draws a dashed vertical line
    (``reference_label`` names it in a legend under the chart); ``counts`` (n per bar) are
    printed after each label, e.g. "Bread (n=12)"."""
    values = np.asarray(values, dtype=float)
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    for what, extra in (("highlight", highlight), ("counts", counts)):
        if extra is not None and len(extra) != len(values):
            raise ValueError(f"{what} has {len(extra)} entries for {len(values)} bars")
    names = [f"{label} (n={int(c)})" for label, c in zip(labels, counts)] if counts is not None else list(labels)
    names = _category_labels(names)
    lines = sum(name.count("\n") + 1 for name in names)
    legend_rows = 0.3 if reference is not None and reference_label else 0.0
    fig = chart_figure(0.75 + _title_rows(title) + legend_rows + max(lines, 2) * 0.165 + 0.1 * len(names))
    ax = fig.add_subplot()
    y = np.arange(len(values))[::-1]
    colors = ["tab:orange" if highlight is not None and highlight[i] else "tab:blue" for i in range(len(values))]
    ax.barh(y, values, color=colors)
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(values) - 0.4)
    if reference is not None:
        ax.axvline(reference, color="0.3", linestyle="--", linewidth=1, label=reference_label)
    _style(ax, title, xlabel, None)
    if reference is not None and reference_label:
        _legend_below(fig, ax, 1)
    return fig


def grouped_bars(groups: Sequence[str], series: dict[str, Sequence[float]], title: str, ylabel: str,
                 errors: dict[str, tuple[Sequence[float], Sequence[float]]] | None = None,
                 ylim: tuple[float, float] | None = None) -> Figure:
    """Bars per group (e.g. class) for several series (e.g. saliency share vs area), a legend of
    the series under the chart; ``errors[name] = (lows, highs)`` draws each bar's interval (the
    bounds themselves, not distances from the bar). ``ylim`` fixes the value axis."""
    n = len(groups)
    for name, values in series.items():
        if len(values) != n:
            raise ValueError(f"series {name!r} has {len(values)} values for {n} groups")
    unknown = sorted(set(errors or {}) - set(series))
    if unknown:
        raise ValueError(f"errors given for {unknown}, which are not series ({list(series)})")
    labels = _category_labels(groups)
    rotate = sum(text_width_in(label, FONT_PT) + 0.1 for label in labels) > PRINT_WIDTH_IN - 0.8
    fig = chart_figure(3.4 + _title_rows(title) + (0.9 if rotate else 0.0))
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(series))
    x = np.arange(n)
    for j, (name, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        yerr = None
        if errors and name in errors:
            low, high = (np.asarray(v, dtype=float) for v in errors[name])
            yerr = np.vstack([values - low, high - values]).clip(min=0)
        ax.bar(x + (j - (len(series) - 1) / 2) * width, values, width, label=name, yerr=yerr, capsize=2,
               error_kw={"linewidth": 0.8})
    if rotate:
        ax.set_xticks(x, labels, rotation=35, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(x, labels)
    if ylim is not None:
        ax.set_ylim(*ylim)
    _style(ax, title, None, ylabel)
    _legend_below(fig, ax, len(series))
    return fig


def line_chart(series: dict[str, tuple[Sequence, Sequence[float]]], title: str, xlabel: str, ylabel: str,
               ylim: tuple[float, float] | None = (-0.2, 1.05)) -> Figure:
    """One line per series name -> (x values, y values), a marker at every point (NaN values leave a
    gap), a grey line at 0 and a legend under the chart. x values may be numbers or names."""
    fig = chart_figure(3.6 + _title_rows(title) + 0.2 * ((len(series) + 1) // 2))
    ax = fig.add_subplot()
    for k, (name, (x, y)) in enumerate(series.items()):
        if len(x) != len(y):
            raise ValueError(f"series {name!r} has {len(x)} x values and {len(y)} y values")
        ax.plot(list(x), list(y), marker=_MARKERS[k % len(_MARKERS)], markersize=4, linewidth=1.2, label=name)
    ax.axhline(0, color="grey", linewidth=0.8)
    if ylim:
        ax.set_ylim(*ylim)
    _style(ax, title, xlabel, ylabel)
    for tick in ax.get_xticklabels():
        if text_width_in(tick.get_text(), FONT_PT) > 0.5:
            tick.set(rotation=30, ha="right", rotation_mode="anchor")
    _legend_below(fig, ax, len(series))
    return fig


def interval_chart(labels: Sequence[str], means: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                   title: str, xlabel: str, reference: float = 0.0, reference_label: str | None = None) -> Figure:
    """A forest plot: per label (first on top) its mean as a dot and its interval as a line, with a
    dashed line at ``reference`` (e.g. "method minus random" differences against 0). Intervals
    that lie wholly on one side of the reference get a filled dot, the others an open one."""
    means, lows, highs = (np.asarray(v, dtype=float) for v in (means, lows, highs))
    if not len(labels) == len(means) == len(lows) == len(highs):
        raise ValueError(f"labels, means, lows and highs differ in length: "
                         f"{len(labels)}, {len(means)}, {len(lows)}, {len(highs)}")
    names = _category_labels(labels)
    lines = sum(name.count("\n") + 1 for name in names)
    fig = chart_figure(0.8 + _title_rows(title) + max(lines, 2) * 0.165 + 0.1 * len(names)
                       + (0.3 if reference_label else 0.0))
    ax = fig.add_subplot()
    y = np.arange(len(means))[::-1]
    clear = (lows > reference) | (highs < reference)
    ax.axvline(reference, color="0.4", linestyle="--", linewidth=1, label=reference_label, zorder=1)
    ax.hlines(y, lows, highs, color="tab:blue", linewidth=1.6, zorder=2)
    ax.scatter(means[clear], y[clear], color="tab:blue", s=22, zorder=3)
    ax.scatter(means[~clear], y[~clear], facecolor="white", edgecolor="tab:blue", s=22, zorder=3)
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(means) - 0.4)
    _style(ax, title, xlabel, None)
    if reference_label:
        _legend_below(fig, ax, 1)
    return fig
