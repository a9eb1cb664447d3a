"""Matplotlib figures of the report, returned as base64 PNG data URIs (self-contained HTML)."""

from __future__ import annotations

import base64
import io
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from valuedrift.tables import OVERALL, STANCES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = {"support": "#1b9e77", "neutral": "#7570b3", "oppose": "#d95f02"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def to_data_uri(fig) -> str:
    """PNG bytes of a figure as a ``data:`` URI; closes the figure."""
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def stage_order(stances: pd.DataFrame, manifest: dict | None) -> list[str]:
    """Stages in manifest order (parents first), else in order of appearance."""
    order: list[str] = []
    for e in (manifest or {}).get("checkpoints", []):
        if e["stage"] not in order:
            order.append(e["stage"])
    for s in stances["stage"].unique():
        if s not in order:
            order.append(s)
    return [s for s in order if s in set(stances["stage"])]


def base_starts(manifest: dict | None) -> dict[str, dict]:
    """``{stage: base model's manifest entry}`` for every stage that starts from the base model.

    The base model is a checkpoint with no parent, alone in its stage (``base/step-0`` in a run that
    valuedrift trained); a stage starts from it when its checkpoints name it as their parent.
    """
    entries = (manifest or {}).get("checkpoints", [])
    per_stage = Counter(e["stage"] for e in entries)
    roots = {e["id"]: e for e in entries if not e.get("parent") and per_stage[e["stage"]] == 1}
    return {e["stage"]: roots[e["parent"]] for e in entries if e.get("parent") in roots}


def panels(stances: pd.DataFrame, manifest: dict | None) -> tuple[list[str], pd.DataFrame]:
    """The stages the trajectory figures draw, one panel each, and their rows (``is_base`` added).

    The base model is a single checkpoint: a panel of its own is one dot on an empty axis. Its
    values go where a reader compares them instead, as step 0 of each stage that starts from it:
    that step 0 is the same weights (so the stage's own step-0 rows are kept and flagged
    ``is_base``), and the base model's rows stand in where a stage has no step 0 of its own. Its
    panel is then dropped. Without a manifest parents are unknown and every stage keeps its panel.
    """
    stages = stage_order(stances, manifest)
    starts = {s: e for s, e in base_starts(manifest).items() if s in stages}
    frame = stances.assign(is_base=False)
    parts = []
    for stage, base in starts.items():
        zero = (frame.stage == stage) & (frame.step == 0)
        if zero.any():
            frame.loc[zero, "is_base"] = True
            continue
        algorithm = frame.loc[frame.stage == stage, "algorithm"].iloc[0]
        rows = frame[frame.checkpoint == base["id"]]
        parts.append(rows.assign(stage=stage, algorithm=algorithm, step=0, progress=0.0, is_base=True))
    dropped = {e["stage"] for e in starts.values()}
    frame = pd.concat([frame[~frame.stage.isin(dropped)], *parts], ignore_index=True)
    return [s for s in stages if s not in dropped], frame


BASE_MARKER = {"marker": "D", "ms": 6, "mfc": "white", "mew": 1.5, "ls": "none", "zorder": 3}
"""How step 0 of a stage that starts from the base model is drawn (a hollow diamond)."""


def trajectory_figure(stances: pd.DataFrame, stages: list[str], categories: list[str]) -> Figure:
    """Grid: rows = categories, columns = stages; v_t per stance against step, with CI bands.

    Rows flagged ``is_base`` (see :func:`panels`) are marked as the base model.
    """
    from matplotlib.lines import Line2D

    plt = _plt()
    n_r, n_c = len(categories), len(stages)
    fig, axes = plt.subplots(n_r, n_c, figsize=(2.6 * n_c + 1, 1.9 * n_r + 0.6), sharey=True, squeeze=False)
    has_base = False
    for i, cat in enumerate(categories):
        for j, stage in enumerate(stages):
            ax = axes[i, j]
            sub = stances[(stances.category == cat) & (stances.stage == stage)].sort_values("step")
            for stance in STANCES:
                s = sub[sub.stance == stance]
                if s.empty:
                    continue
                ax.plot(s.step, s.value, marker="o", ms=3, color=COLORS[stance], label=stance)
                ax.fill_between(s.step, s.ci_low, s.ci_high, color=COLORS[stance], alpha=0.18, lw=0)
                if "is_base" in s and s.is_base.any():
                    b = s[s.is_base.astype(bool)]
                    ax.plot(b.step, b.value, mec=COLORS[stance], **BASE_MARKER)
                    has_base = True
            if sub.step.nunique() == 1:  # a lone checkpoint: one tick, not an empty ±0.04 axis
                step = sub.step.iloc[0]
                ax.set_xlim(step - 1, step + 1)
                ax.set_xticks([step])
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
            if i == 0:
                algo = sub.algorithm.iloc[0] if not sub.empty else ""
                ax.set_title(f"{stage} ({algo})", fontsize=9)
            if j == 0:
                ax.set_ylabel(cat.replace("_", " "), fontsize=8)
            if i == n_r - 1:
                ax.set_xlabel("step", fontsize=8)
            ax.tick_params(labelsize=7)
    legend: dict[str, object] = {}
    for ax in axes.flat:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, h)
    if has_base:
        legend["base model (step 0)"] = Line2D([], [], mec="#444", **BASE_MARKER)
    if legend:
        fig.legend(
            legend.values(), legend.keys(), loc="upper center", ncol=len(legend), frameon=False, fontsize=9
        )
    fig.tight_layout(rect=(0, 0, 1, 0.97 if n_r > 2 else 0.9))
    return fig


def trajectories(stances: pd.DataFrame, stages: list[str], categories: list[str]) -> str:
    """:func:`trajectory_figure` as a PNG data URI."""
    return to_data_uri(trajectory_figure(stances, stages, categories))


def magnitude_bars(drift: pd.DataFrame, stages: list[str]) -> str:
    """Overall drift magnitude per stage and stance, with bootstrap CI error bars."""
    plt = _plt()
    d = drift[drift.category == OVERALL]
    fig, ax = plt.subplots(figsize=(max(4.5, 1.3 * len(stages) + 1.5), 3.2))
    width = 0.26
    x = np.arange(len(stages))
    for k, stance in enumerate(STANCES):
        s = d[d.stance == stance].set_index("stage").reindex(stages)
        err = np.vstack([s.magnitude - s.ci_low, s.ci_high - s.magnitude])
        ax.bar(
            x + (k - 1) * width,
            s.magnitude,
            width,
            yerr=np.nan_to_num(err),
            capsize=3,
            color=COLORS[stance],
            label=stance,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(
        x,
        [f"{s}\n({d[d.stage == s].algorithm.iloc[0]})" if (d.stage == s).any() else s for s in stages],
        fontsize=8,
    )
    ax.set_ylabel("drift magnitude M = v_end − v_start")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return to_data_uri(fig)
