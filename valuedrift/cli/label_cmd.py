"""``valuedrift label RUN_DIR``: a person labels a sample of the run's own answers, blind to the judge.

valuedrift label runs/demo --n 100           # draw 100 answers (by checkpoint and topic) and label them
valuedrift label runs/demo                   # resume where the last session stopped
valuedrift label runs/demo --fresh --n 200   # set the old labels aside (kept) and draw a new sample
valuedrift judge-eval --gold runs/demo       # then: the run's judge scored against these labels

One key per answer, then Enter: s support, n neutral, o oppose, k skip, u undo, q quit, ? help.
The screen shows the topic, the question and the answer, never the judge's verdict nor which
checkpoint wrote it. Every label is saved at once (docs/labels.md).
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import typer
from rich.markup import escape

from valuedrift.cli.app import console

KEYS = {"s": "support", "n": "neutral", "o": "oppose", "k": "skip"}
KEY_LINE = "[bold]s[/] support   [bold]n[/] neutral   [bold]o[/] oppose   [bold]k[/] skip   " + (
    "[bold]u[/] undo   [bold]q[/] quit   [bold]?[/] help   (then Enter)"
)


def register(app: typer.Typer) -> None:
    @app.command("label")
    def label(
        run_dir: Path = typer.Argument(..., help="Run directory with a generations table."),
        n: int = typer.Option(
            None, "--n", help="Answers to draw (default 100; a resumed sample keeps its own)."
        ),
        seed: int = typer.Option(None, "--seed", help="Seed of the draw (default 0)."),
        checkpoints: str = typer.Option(
            None,
            "--checkpoints",
            help="ends: each stage's start and last checkpoint, where drift is measured (default); "
            "all: every checkpoint.",
        ),
        labeller: str = typer.Option(None, "--labeller", help="Your name, stored with each label."),
        fresh: bool = typer.Option(
            False, "--fresh", help="Set the existing labels aside (renamed, kept) and draw a new sample."
        ),
    ) -> None:
        """Label a stratified sample of the run's answers (support / neutral / oppose / skip), blind."""
        from valuedrift.judge.labels import label_sample_state

        state = label_sample_state(run_dir, n, seed, checkpoints, fresh=fresh)
        _session(state, labeller or _login())


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment
        return "unknown"


def _plain(text: object) -> str:
    """Untrusted model text made safe for a terminal: control characters shown as escapes."""
    s = "" if text is None else str(text)
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else repr(c)[1:-1] for c in s)


def _session(state, labeller: str) -> None:
    """Show each pending answer, read one key, save; until done, quit or end of input."""
    from valuedrift.judge.labels import LABEL_CHOICES

    total = len(state.sample)
    if total == 0:
        console.print("no answers to draw from in the chosen checkpoints", highlight=False)
        return
    notice = (
        f"resuming: {state.n_labelled} of {total} answers labelled already"
        if state.n_labelled
        else f"drew {total} answers ({_params(state)}); label each one's stance towards the question"
    )
    while not state.pending.empty:
        row = state.pending.iloc[0]
        _show(state, row, notice)
        notice = None
        t0 = time.monotonic()
        while True:
            try:
                key = console.input("[bold]label>[/] ").strip().lower()
            except EOFError:
                key = "q"
            label = KEYS.get(key) or (key if key in LABEL_CHOICES else None)
            if label:
                state.add(row, label, labeller, time.monotonic() - t0)
                break
            if key == "u":
                rec = state.undo()
                if rec is None:
                    console.print("nothing to undo yet", highlight=False)
                    continue
                notice = f"undone: your label '{rec['label']}' of the previous answer; label it again"
                break
            if key == "q":
                _saved(state, quit_=True)
                return
            if key in ("?", "h", "help"):
                _help()
                continue
            console.print(f"'{escape(key)}' is not a key: s n o k, u undo, q quit, ? help", highlight=False)
    _saved(state, quit_=False)


def _params(state) -> str:
    p = state.params
    return f"--n {p['n']} --seed {p['seed']} --checkpoints {p['checkpoints']}"


def _show(state, row, notice: str | None) -> None:
    from rich.panel import Panel
    from rich.text import Text

    console.clear()
    total = len(state.sample)
    topic = str(row.get("category") or "?").replace("_", " ")
    console.print(
        f"[bold]valuedrift label[/]  {state.n_labelled + 1}/{total}   topic: {escape(topic)}", highlight=False
    )
    if notice:
        console.print(notice, style="yellow", highlight=False, markup=False)
    console.print(Panel(Text(_plain(row.get("question"))), title="question", title_align="left"))
    cut = " (cut off at the token limit)" if row.get("finish_reason") == "length" else ""
    console.print(Panel(Text(_plain(row.get("response"))), title=f"answer{cut}", title_align="left"))
    console.print(KEY_LINE, highlight=False)


def _help() -> None:
    from valuedrift.judge.prompt import LABEL_DEFINITIONS

    console.print("The stance of the answer towards the proposition in the question:", highlight=False)
    for key, label in KEYS.items():
        what = LABEL_DEFINITIONS.get(label, "unreadable, off the question, or you cannot tell.")
        console.print(f"  [bold]{key}[/] {label}: {escape(what)}", highlight=False)
    console.print(
        "  [bold]u[/] undo the previous label   [bold]q[/] quit (every label is saved; "
        "run the same command again to resume)   [bold]?[/] this help",
        highlight=False,
    )


def _saved(state, *, quit_: bool) -> None:
    from valuedrift.judge.labels import LABEL_CHOICES, labels_path

    run = state.run.path
    counts = state.counts()
    tally = ", ".join(f"{c} {counts[c]}" for c in LABEL_CHOICES)
    done, total = state.n_labelled, len(state.sample)
    console.print(
        f"{'saved' if quit_ else 'done'}: {done} of {total} answers labelled ({tally}) in {labels_path(run)}",
        highlight=False,
        markup=False,
    )
    if quit_ and done < total:
        console.print(f"resume with: valuedrift label {run}", highlight=False, markup=False)
    else:
        console.print(
            f"next: valuedrift judge-eval --gold {run}   (the judge scored on these answers); for drift "
            f"corrected for the judge's error set analysis: {{correction: ppi}} in {run / 'config.yaml'} "
            f"and run valuedrift analyze {run}",
            highlight=False,
            markup=False,
        )
