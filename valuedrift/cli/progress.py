"""The generate phase's progress bar: a rich bar drawn from ``generate_run``'s ``on_progress`` calls."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class GenerateBar:
    """``on_progress(done, total, description)`` as a rich progress bar, started on the first call.

    Use as a context manager so the bar is closed however the phase ends.
    """

    def __init__(self, console: Console):
        self.progress = Progress(
            TextColumn("[bold]generate[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = None

    def __call__(self, done: int, total: int, description: str) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(description, total=total)
        self.progress.update(self.task, completed=done, total=total, description=description)

    def __enter__(self) -> GenerateBar:
        return self

    def __exit__(self, *exc) -> None:
        if self.task is not None:
            self.progress.stop()
