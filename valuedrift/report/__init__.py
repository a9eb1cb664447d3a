"""The self-contained HTML report of a run."""

from valuedrift.report.build import build_report

__all__ = ["build_report"]
