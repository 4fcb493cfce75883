"""Domain exceptions: errors a user can cause, with messages written for that user."""

from __future__ import annotations


class PolarisError(Exception):
    """Base class of every error Polaris reports to a user instead of a traceback."""


class InputError(PolarisError):
    """Bad input from a user: a file, an argument, a setting.

    The message names the file, row, column and what was expected where that applies.
    ``problems`` holds one line per problem when there are several.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class WorkspaceError(PolarisError):
    """A workspace cannot be opened, created or written (bad name, corrupt file, read-only folder)."""
