"""The built-in demo: config and small training sets shipped with the package."""

from pathlib import Path

DEMO_DIR = Path(__file__).parent
DEMO_CONFIG = DEMO_DIR / "demo.yaml"
DATA_DIR = DEMO_DIR / "data"


def demo_data(name: str) -> Path:
    """Path of a shipped demo data file, e.g. ``demo_data('sft.jsonl')``."""
    return DATA_DIR / name
