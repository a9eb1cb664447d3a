"""``trace``: the whole pipeline in one resumable call — train → generate → judge → analyze → report.

Every phase reads and writes only the run directory and skips what is already complete (finished
checkpoints, per-checkpoint generation and judgment parts), so a run killed at any moment resumes
where it stopped and ends with the same results as an uninterrupted run with the same seeds.

Before anything is trained, created or deleted, :func:`valuedrift.preflight.preflight` checks every
input the run will need (prompts, each stage's data, the base model, back-end packages, reporters,
the judge endpoint) and fails with one line.

Re-running with a changed config keeps the completed work whose own settings (and its ancestors')
did not change and redoes the rest: :func:`valuedrift.supersede.supersede_changed` moves what the
change makes stale (a changed stage's checkpoints and parts and its descendants'; every part after a
generation, judge or manifest change) into ``superseded/<UTC time>/``, logging what and why, and
the new config is saved. ``--fresh`` deletes the run directory and starts over.
"""

from __future__ import annotations

import errno
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from valuedrift import io
from valuedrift.config import Experiment, dump_config, load_config
from valuedrift.errors import ExternalFailure, UserError
from valuedrift.rundir import RunDir

log = logging.getLogger("valuedrift.trace")

PHASES = ("train", "generate", "judge", "analyze", "report")


@dataclass
class TraceResult:
    run: RunDir
    report: Path
    timings: dict[str, float] = field(default_factory=dict)


def run_path(exp: Experiment, out: str | Path | None = None) -> Path:
    """The run directory of ``exp``: ``out``, or ``runs/<name>``."""
    return Path(out) if out else Path("runs") / exp.name


def prepare_run(exp: Experiment, out: str | Path | None = None, *, fresh: bool = False) -> RunDir:
    """Create (or reopen) the run directory for ``exp`` and save its resolved config.

    A reopened run keeps the completed work the config change leaves valid and moves the rest
    into ``superseded/`` (see :mod:`valuedrift.supersede`); ``fresh`` deletes the directory first."""
    path = run_path(exp, out)
    if fresh and path.exists():
        if any(path.iterdir()) and not (path / "config.yaml").exists():
            raise UserError(
                f"--fresh: {path} is not a valuedrift run directory (no config.yaml); not deleting it"
            )
        shutil.rmtree(path)
    run = RunDir(path, create=True)
    if run.config_path.exists():
        from valuedrift.supersede import supersede_changed

        supersede_changed(run, load_config(run.config_path), exp)
    io.write_text(run.config_path, dump_config(exp))
    io.clean_partials(run.path)
    return run


def _check_labels(exp: Experiment, path: Path, fresh: bool) -> None:
    """``analysis.correction: ppi`` needs a person's labels on this run's answers, which a new (or
    ``--fresh``) run cannot have yet: refuse before training, not at the analyze phase."""
    if exp.analysis.correction == "ppi" and (fresh or not (path / "labels.jsonl").exists()):
        raise UserError(
            f"analysis.correction: ppi needs {path / 'labels.jsonl'}, which this run does not have yet",
            hint="trace with correction 'none' first, then 'valuedrift label RUN_DIR' and 'valuedrift analyze'",
        )


def _attach_log_file(run: RunDir) -> logging.Handler:
    handler = logging.FileHandler(run.logs / "trace.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("valuedrift").addHandler(handler)
    logging.getLogger("valuedrift").setLevel(logging.INFO)
    return handler


def _phase_train(run: RunDir, exp: Experiment) -> None:
    if exp.checkpoints is not None:  # a series trained elsewhere (valuedrift/series.py)
        from valuedrift.series import build_manifest, refuse_changed_traced

        manifest = build_manifest(exp.checkpoints)
        refuse_changed_traced(run, manifest)
        run.write_manifest(manifest)
        return
    if exp.manifest:
        from valuedrift.manifest import load_manifest

        manifest = load_manifest(exp.manifest)
        run.write_manifest(manifest)
        return
    if not exp.stages:
        raise UserError("the config has no stages and no manifest: nothing to trace")
    from valuedrift.walk.runner import train_run

    train_run(run, exp)


def _phase_generate(run: RunDir, exp: Experiment, on_progress=None) -> None:
    from valuedrift.generate.run import generate_run

    generate_run(run, exp, on_progress=on_progress)


def _phase_judge(run: RunDir, exp: Experiment) -> None:
    from valuedrift.judge.run import judge_run

    # the offline judge is cheap to validate: its gold-set figures go into the report
    judge_run(run, exp, validate=exp.judge.backend == "offline")
    write_contamination(run, exp)


def _phase_analyze(run: RunDir, exp: Experiment) -> None:
    from valuedrift.analysis.drift import analyze_run

    analyze_run(run, exp)


def _phase_report(run: RunDir, exp: Experiment) -> None:
    from valuedrift.report import build_report

    build_report(run)


def write_contamination(run: RunDir, exp: Experiment) -> dict:
    """Check evaluation prompts against every stage's training prompts; write ``contamination.json``."""
    from valuedrift.curate.contamination import check_contamination, training_texts
    from valuedrift.data.loaders import load_prompts

    questions = load_prompts(exp.generation.prompts)["question"].tolist()
    texts: list[str] = []
    sources: list[str] = []
    for st in exp.stages:
        if st.data is not None:
            t = training_texts(st.data)
            texts += t
            sources += [st.name] * len(t)
    matches = check_contamination(questions, texts)
    result = {
        "n_eval": len(questions),
        "n_train": len(texts),
        "threshold": float(matches.attrs.get("threshold", float("nan"))),
        "matches": [
            {
                "eval": m["eval"],
                "train": m["train"],
                "similarity": float(m["similarity"]),
                "source": sources[int(m["train_index"])] if "train_index" in m else "",
            }
            for m in matches.to_dict("records")
        ],
    }
    io.write_json(run.path / "contamination.json", result)
    if result["matches"]:
        log.warning(
            "%d evaluation prompt(s) overlap the training data (see the report)", len(result["matches"])
        )
    return result


PHASE_FUNCS: dict[str, Callable[[RunDir, Experiment], None]] = {
    "train": _phase_train,
    "generate": _phase_generate,
    "judge": _phase_judge,
    "analyze": _phase_analyze,
    "report": _phase_report,
}


def trace(
    exp: Experiment,
    out: str | Path | None = None,
    *,
    fresh: bool = False,
    on_phase: Callable[[int, str], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> TraceResult:
    """Run every phase for ``exp`` in its run directory, skipping completed work.

    ``on_phase(i, name)`` is called as each phase starts; ``on_progress`` is the generate phase's
    progress callback (see :data:`valuedrift.generate.run.ProgressFn`). Every input is checked
    first (:func:`valuedrift.preflight.preflight`), before ``fresh`` deletes anything."""
    from valuedrift.preflight import preflight

    preflight(exp)
    _check_labels(exp, run_path(exp, out), fresh)
    run = prepare_run(exp, out, fresh=fresh)
    handler = _attach_log_file(run)
    timings: dict[str, float] = {}
    try:
        for i, phase in enumerate(PHASES):
            if on_phase:
                on_phase(i, phase)
            log.info("phase %d/%d: %s", i + 1, len(PHASES), phase)
            t = time.perf_counter()
            try:
                if phase == "generate":
                    _phase_generate(run, exp, on_progress)
                else:
                    PHASE_FUNCS[phase](run, exp)
            except OSError as e:
                if e.errno == errno.ENOSPC:
                    raise ExternalFailure(
                        f"disk full during {phase} in {run.path}",
                        hint="free space and re-run the same command: completed work is kept",
                    ) from e
                raise
            timings[phase] = round(time.perf_counter() - t, 2)
            _record_timings(run, timings)
    finally:
        logging.getLogger("valuedrift").removeHandler(handler)
        handler.close()
    return TraceResult(run=run, report=run.report_path, timings=timings)


def _record_timings(run: RunDir, timings: dict[str, float]) -> None:
    """Seconds per phase of this invocation (a resumed run times only what it redid)."""
    io.write_json(run.logs / "trace_timings.json", timings)
