"""The HTML report: self-contained, escaped, complete; compare's tidy table."""

from __future__ import annotations

import re

import pandas as pd
import pytest


def test_report_is_self_contained_and_escapes_model_output(analysed_run, cli):
    code, out, err = cli("report", str(analysed_run.path))
    assert out.strip() == str(analysed_run.report_path)
    assert code == 0, err
    html = analysed_run.report_path.read_text()
    assert "<script" not in html.lower()  # neither ours nor the model's
    assert "&lt;script&gt;document.title=&#34;PWNED&#34;" in html
    assert "onerror=" not in html.replace("onerror=&#34;", "")
    srcs = re.findall(r'src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "http://" not in html and "https://" not in html  # nothing fetched from a network
    for section in (
        "How to read",
        "Stance trajectories",
        "Drift per stage",
        "Algorithm comparison",
        "Examples of the largest drifts",
        "The judge",
        "Data contamination",
        "Resolved configuration",
    ):
        assert section in html


def test_report_needs_analysis_first(run_dir, cli):
    code, _, err = cli("report", str(run_dir.path))
    assert code == 2 and "run 'valuedrift analyze' first" in err


def test_compare_two_runs_gives_tidy_frame(two_runs, tmp_path, cli):
    import valuedrift

    a, b = two_runs
    df = valuedrift.compare([a.path, b.path])
    assert list(df.columns[:5]) == ["run", "algorithm", "stage", "category", "stance"]
    assert len(df) == 2 * 3 * 3  # 2 runs x (2 topics + overall) x 3 stances
    sup = df[(df.category == "overall") & (df.stance == "support")].set_index("algorithm")
    assert sup.loc["dpo", "magnitude"] == pytest.approx(0.5, abs=0.03)
    assert sup.loc["ppo", "magnitude"] == pytest.approx(0.02, abs=0.03)
    pv = df.pivot_table(index="category", columns="algorithm", values="magnitude", aggfunc="first")
    assert pv.shape == (3, 2)

    out = tmp_path / "cmp.csv"
    code, _, err = cli("compare", str(a.path), str(b.path), "--out", str(out))
    assert code == 0, err
    back = pd.read_csv(out)
    assert set(back.algorithm) == {"dpo", "ppo"} and set(back.category) == {"overall"}
    code, md, _ = cli("compare", str(a.path), str(b.path))
    assert code == 0 and md.startswith("| run")
    code, _, err = cli("compare", str(a.path), "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "use a .csv or .md" in err


def test_report_names_the_base_model_as_the_config_does(analysed_run, cli):
    code, _, err = cli("report", str(analysed_run.path))
    assert code == 0, err
    assert "base model <code>smollm2" not in analysed_run.report_path.read_text()  # no config yet: manifest
    analysed_run.config_path.write_text("name: demo\nbase_model: {name: smollm2-135m-instruct}\n")
    code, _, err = cli("report", str(analysed_run.path))
    assert code == 0, err
    assert "base model <code>smollm2-135m-instruct</code>" in analysed_run.report_path.read_text()
