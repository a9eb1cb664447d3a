"""The run directory: every step reads and writes only here, so each can be re-run alone.

Layout (``runs/<name>/``)::

    config.yaml                  resolved experiment config, with the package version
    checkpoints_manifest.json    one entry per checkpoint (schema: valuedrift/manifest_schema.json)
    checkpoints/<stage>/step-<n>/
    generations/<checkpoint>.parquet   one file per checkpoint, written atomically when complete
    judgments/<checkpoint>.parquet     likewise
    generations.parquet, judgments.parquet   the concatenated tables (derived, rebuilt on demand)
    stances.parquet, drift.parquet       analysis outputs
    stances_corrected.parquet, drift_corrected.parquet   judge-error-corrected (analysis.correction)
    report.html
    logs/

``load_run(path)`` returns a :class:`Run` whose tables are pandas DataFrames.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from valuedrift import io
from valuedrift.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "checkpoints_manifest.json"
CONFIG = "config.yaml"


def checkpoint_slug(checkpoint_id: str) -> str:
    """File-name form of a checkpoint id: ``dpo/step-20`` -> ``dpo__step-20``."""
    return checkpoint_id.replace("/", "__").replace("@", "_at_")


class RunDir:
    """Paths and atomic readers/writers of one run directory."""

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
            self.logs.mkdir(exist_ok=True)
        elif not self.path.is_dir():
            raise UserError(f"run directory not found: {self.path}")

    # --- paths -----------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def report_path(self) -> Path:
        return self.path / "report.html"

    def checkpoint_dir(self, stage: str, step: int) -> Path:
        return self.checkpoints / stage / f"step-{step}"

    def part_path(self, table: str, checkpoint_id: str) -> Path:
        """Per-checkpoint part of a table (``generations`` or ``judgments``)."""
        return self.path / table / f"{checkpoint_slug(checkpoint_id)}.parquet"

    def table_path(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    # --- config and manifest ---------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            raise UserError(
                f"{self.manifest_path} does not exist",
                hint="run 'valuedrift train' first, or pass --manifest FILE",
            )
        try:
            return json.loads(self.manifest_path.read_text())
        except json.JSONDecodeError as e:
            raise UserError(f"{self.manifest_path}: not valid JSON (line {e.lineno}: {e.msg})") from e

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        io.write_json(self.manifest_path, manifest)

    def read_config(self):
        """The resolved :class:`~valuedrift.config.Experiment` saved in this run."""
        from valuedrift.config import load_config

        return load_config(self.config_path)

    # --- tables ----------------------------------------------------------------------------------
    def write_part(self, table: str, checkpoint_id: str, df: pd.DataFrame) -> Path:
        """Atomically write one checkpoint's rows of ``table``; a complete part means 'done'."""
        return io.write_parquet(self.part_path(table, checkpoint_id), df)

    def has_part(self, table: str, checkpoint_id: str) -> bool:
        return self.part_path(table, checkpoint_id).exists()

    def read_part(self, table: str, checkpoint_id: str) -> pd.DataFrame:
        import pandas as pd

        return pd.read_parquet(self.part_path(table, checkpoint_id))

    def read_table(self, table: str) -> pd.DataFrame:
        """A whole table: the concatenation of its per-checkpoint parts, else its single file."""
        import pandas as pd

        parts_dir = self.path / table
        parts = sorted(parts_dir.glob("*.parquet")) if parts_dir.is_dir() else []
        if parts:
            return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        single = self.table_path(table)
        if single.exists():
            return pd.read_parquet(single)
        raise UserError(f"{self.path}: no {table} table yet", hint=f"run the step that writes {table}")

    def write_table(self, table: str, df: pd.DataFrame) -> Path:
        return io.write_parquet(self.table_path(table), df)


class Run:
    """A finished (or partly finished) run, its tables as pandas DataFrames.

    >>> run = load_run("runs/demo")          # doctest: +SKIP
    >>> run.drift.query("category == 'overall'")   # doctest: +SKIP
    """

    def __init__(self, path: str | Path):
        self.dir = RunDir(path)
        self.path = self.dir.path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return self.dir.read_manifest()

    @cached_property
    def checkpoints(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.manifest["checkpoints"])

    @cached_property
    def generations(self) -> pd.DataFrame:
        return self.dir.read_table("generations")

    @cached_property
    def judgments(self) -> pd.DataFrame:
        return self.dir.read_table("judgments")

    @cached_property
    def stances(self) -> pd.DataFrame:
        """Long format: stage, algorithm, checkpoint, step, progress, category, stance, value, CI."""
        return self.dir.read_table("stances")

    @cached_property
    def drift(self) -> pd.DataFrame:
        return self.dir.read_table("drift")

    @cached_property
    def stances_corrected(self) -> pd.DataFrame | None:
        """Judge-error-corrected stances (``analysis.correction``, docs/correction.md); None if absent."""
        return self._optional_table("stances_corrected")

    @cached_property
    def drift_corrected(self) -> pd.DataFrame | None:
        """Judge-error-corrected drift, next to the raw ``drift``; None when the run has none."""
        return self._optional_table("drift_corrected")

    def _optional_table(self, table: str) -> pd.DataFrame | None:
        import pandas as pd

        path = self.dir.table_path(table)
        return pd.read_parquet(path) if path.exists() else None

    @cached_property
    def config(self):
        return self.dir.read_config()

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def load_run(path: str | Path) -> Run:
    """Open a run directory; its tables load lazily as DataFrames."""
    return Run(path)
