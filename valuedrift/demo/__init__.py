"""The built-in demo: config and small training sets shipped with the package."""

from pathlib import Path

DEMO_DIR = Path(__file__).parent
DEMO_CONFIG = DEMO_DIR / "demo.yaml"
DATA_DIR = DEMO_DIR / "data"


def demo_configs() -> list[str]:
    """Names of the shipped experiment configs (``demo:<name>``)."""
    return sorted(p.stem for p in DEMO_DIR.glob("*.yaml"))


def demo_config(spec: str) -> Path:
    """``demo:all-algorithms`` (or ``demo:all-algorithms.yaml``) -> the shipped config file."""
    from valuedrift.errors import UserError

    name = spec.removeprefix("demo:").removesuffix(".yaml")
    path = DEMO_DIR / f"{name}.yaml"
    if not path.exists():
        raise UserError(f"{spec}: no such built-in config (there are: {', '.join(demo_configs())})")
    return path


def demo_data(name: str) -> Path:
    """Path of a shipped demo data file, e.g. ``demo_data('sft.jsonl')``."""
    return DATA_DIR / name
