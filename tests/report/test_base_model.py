"""The base model in the report: step 0 of the stages that start from it, not a one-dot panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.report.conftest import make_run

BASE_LABEL = "base model (step 0)"


def _overall(rows: pd.DataFrame, stage: str, step: int) -> np.ndarray:
    sel = rows[(rows.stage == stage) & (rows.step == step) & (rows.category == "overall")]
    return sel.set_index("stance").loc[["support", "neutral", "oppose"], "value"].to_numpy()


@pytest.fixture()
def run_from_base(tmp_path):
    """A run as valuedrift trains it: base/step-0; sft from base, its step 0 the base model's very
    answers (the generation cache keys by weights); dpo from sft's last checkpoint."""
    from tests.analysis.helpers import judgments_table, manifest_for
    from valuedrift.analysis.drift import analyze_run
    from valuedrift.rundir import RunDir

    df = judgments_table(
        {"base": [(0, 0.2)], "sft": [(0, 0.2), (2, 0.5), (4, 0.7)], "dpo": [(0, 0.7), (3, 0.4)]},
        noise=0.05,
        seed=3,
    )
    base = df[df.checkpoint == "base/step-0"]
    df = pd.concat(
        [
            df[df.checkpoint != "sft/step-0"],
            base.assign(checkpoint="sft/step-0", stage="sft", algorithm="sft"),
        ]
    )
    manifest = manifest_for(df, {"sft": "base/step-0", "dpo": "sft/step-4"})
    manifest["checkpoints"].sort(key=lambda e: ["base", "sft", "dpo"].index(e["stage"]))  # parents first
    run = RunDir(tmp_path / "based", create=True)
    run.write_manifest(manifest)
    for ck, part in df.groupby("checkpoint"):
        run.write_part("judgments", ck, part.reset_index(drop=True))
    analyze_run(run)
    return run


def test_base_model_is_step_zero_of_first_stages_not_a_panel_of_its_own(run_from_base):
    from valuedrift.report import figures

    stances = pd.read_parquet(run_from_base.table_path("stances"))
    stages, rows = figures.panels(stances, run_from_base.read_manifest())
    assert stages == ["sft", "dpo"]
    flagged = rows[rows.is_base]
    assert set(zip(flagged.stage, flagged.step, strict=True)) == {("sft", 0)}  # not dpo's step 0
    base = _overall(stances, "base", 0)
    np.testing.assert_allclose(_overall(rows, "sft", 0), base)

    fig = figures.trajectory_figure(rows, stages, ["overall"])
    import matplotlib.pyplot as plt  # after the figure: figures picks the Agg back end

    assert [ax.get_title() for ax in fig.axes] == ["sft (sft)", "dpo (dpo)"]
    sft, dpo = fig.axes
    marks = [ln for ln in sft.lines if ln.get_marker() == "D"]  # hollow diamonds: the base model
    assert [float(ln.get_xdata()[0]) for ln in marks] == [0.0, 0.0, 0.0]
    np.testing.assert_allclose([ln.get_ydata()[0] for ln in marks], base)
    assert not [ln for ln in dpo.lines if ln.get_marker() == "D"]
    assert BASE_LABEL in [t.get_text() for t in fig.legends[0].get_texts()]
    plt.close(fig)


def test_base_rows_stand_in_for_a_stage_without_its_own_step_zero(tmp_path):
    from valuedrift.report import figures

    run = make_run(
        tmp_path / "nozero",
        {"base": [(0, 0.1)], "sft": [(2, 0.5), (4, 0.8)]},
        parents={"sft": "base/step-0"},
    )
    stances = pd.read_parquet(run.table_path("stances"))
    stages, rows = figures.panels(stances, run.read_manifest())
    assert stages == ["sft"]
    np.testing.assert_allclose(_overall(rows, "sft", 0), _overall(stances, "base", 0))
    assert rows[(rows.stage == "sft") & (rows.step == 0)].is_base.all()
    assert not rows[rows.step > 0].is_base.any()


def test_without_a_manifest_a_lone_checkpoint_keeps_a_panel_with_one_tick(run_from_base):
    from valuedrift.report import figures

    stances = pd.read_parquet(run_from_base.table_path("stances"))
    stages, rows = figures.panels(stances, None)  # parents unknown: nothing to fold into
    assert stages[0] == "base" and not rows.is_base.any()
    fig = figures.trajectory_figure(rows, stages, ["overall"])
    import matplotlib.pyplot as plt  # after the figure: figures picks the Agg back end

    assert list(fig.axes[0].get_xticks()) == [0]  # not an empty -0.04..0.04 axis
    plt.close(fig)


def test_report_explains_the_base_marker_and_drops_the_base_stage(run_from_base, cli):
    code, _, err = cli("report", str(run_from_base.path))
    assert code == 0, err
    html = run_from_base.report_path.read_text()
    assert "stages: sft, dpo" in html
    assert "The base model is that step 0 for sft: hollow diamonds" in html
