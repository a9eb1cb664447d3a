"""Matplotlib figures of the report, returned as base64 PNG data URIs (self-contained HTML)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

from valuedrift.tables import OVERALL, STANCES

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


def trajectories(stances: pd.DataFrame, stages: list[str], categories: list[str]) -> str:
    """Grid: rows = categories, columns = stages; v_t per stance against step, with CI bands."""
    plt = _plt()
    n_r, n_c = len(categories), len(stages)
    fig, axes = plt.subplots(n_r, n_c, figsize=(2.6 * n_c + 1, 1.9 * n_r + 0.6), sharey=True, squeeze=False)
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
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=3, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.97 if n_r > 2 else 0.9))
    return to_data_uri(fig)


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
