"""docs/design.md says what the code does: its algorithm table is the registry's, row for row."""

from __future__ import annotations

from pathlib import Path

from valuedrift.config.algorithms import all_specs

DESIGN = Path(__file__).resolve().parents[1] / "docs" / "design.md"
HEADER = ["algorithm", "data", "lr (LoRA)", "lr (full)"]


def _cells(line: str) -> list[str]:
    return [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]


def algorithm_table(text: str) -> list[tuple[str, str, float, float]]:
    """The rows of the markdown table headed ``| algorithm | data | lr (LoRA) | lr (full) |``."""
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.lstrip().startswith("|") and _cells(ln) == HEADER]
    assert len(starts) == 1, f"expected one algorithm table in {DESIGN}, found {len(starts)}"
    rows = []
    for ln in lines[starts[0] + 2 :]:  # skip the header and its |---| separator
        if not ln.lstrip().startswith("|"):
            break
        name, data, lr_lora, lr_full = _cells(ln)
        rows.append((name, data, float(lr_lora), float(lr_full)))
    return rows


def test_design_doc_algorithm_table_matches_the_registry():
    documented = algorithm_table(DESIGN.read_text(encoding="utf-8"))
    registry = [(s.name, s.data, s.lr_lora, s.lr_full) for s in all_specs()]
    assert documented == registry


def test_the_table_parser_reads_cells_with_backticks():
    text = "\n".join(
        [
            "| algorithm | data | lr (LoRA) | lr (full) |",
            "|---|---|---|---|",
            "| `dpo` | `preference` | 5e-5 | 1e-5 |",
            "",
            "| not | part | of | it |",
        ]
    )
    assert algorithm_table(text) == [("dpo", "preference", 5e-5, 1e-5)]
