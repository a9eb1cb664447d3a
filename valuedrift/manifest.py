"""The checkpoints manifest, a run-directory format: load, validate against ``manifest_schema.json``.

A hand-written manifest for an existing checkpoint series (local folders or ``hub-id@revision``)
goes through the same :func:`load_manifest` as one written by ``valuedrift train``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from valuedrift.errors import UserError

SCHEMA = Path(__file__).with_name("manifest_schema.json")
"""The one JSON schema of ``checkpoints_manifest.json`` (shipped in the package)."""


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def validate_manifest(manifest: dict[str, Any], source: str = "manifest") -> dict[str, Any]:
    """Check a manifest against the JSON schema and its own consistency; one-line UserError if bad."""
    import jsonschema

    try:
        jsonschema.validate(manifest, schema())
    except jsonschema.ValidationError as e:
        where = ".".join(str(p) for p in e.absolute_path) or "top level"
        raise UserError(f"{source}: {where}: {e.message}") from None
    ids = [c["id"] for c in manifest["checkpoints"]]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise UserError(f"{source}: checkpoint id(s) listed twice: {', '.join(sorted(dup))}")
    for c in manifest["checkpoints"]:
        if c["id"] != f"{c['stage']}/step-{c['step']}":
            raise UserError(f"{source}: checkpoint {c['id']}: id must be '<stage>/step-<step>'")
        if c.get("parent") and c["parent"] not in ids:
            raise UserError(f"{source}: checkpoint {c['id']}: parent {c['parent']!r} is not in the manifest")
    return manifest


def load_manifest(path: str | Path) -> dict[str, Any]:
    """Read and validate a manifest; local relative paths become absolute (relative to its folder)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"manifest not found: {path}")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    validate_manifest(manifest, str(path))
    root = path.resolve().parent
    for c in manifest["checkpoints"]:
        for key in ("path", "base"):
            v = c.get(key)
            if v and not Path(v).is_absolute() and (root / v).exists():
                c[key] = str((root / v).resolve())
    return manifest
