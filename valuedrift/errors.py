"""Errors a user can cause and fix: the CLI prints their message as one line and exits with code 2.

Everything else (a bug, an unexpected library failure) keeps its traceback, because it is ours to fix.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: a config, a file, a flag. Printed as one line, exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        self.hint = hint
        super().__init__(message)

    def line(self) -> str:
        """The one line the CLI prints."""
        msg = str(self).replace("\n", " ").strip()
        return f"{msg} ({self.hint})" if self.hint else msg


class MissingDependency(UserError):
    """An optional extra (vllm, openai server, ray) is needed for what the user asked for."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed",
            hint=f"pip install 'valuedrift[{extra}]'",
        )


class ExternalFailure(UserError):
    """Something outside the code failed in a way the user can fix: an endpoint, a full disk.

    Exit code 1: the input was fine, the world was not.
    """

    exit_code = 1
