"""One error hierarchy for mediebild.

Everything the project raises on purpose derives from MediebildError. The CLI turns these into one
clear line and an exit code (2 for user error, 1 for a run that finished with problems); anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations


class MediebildError(Exception):
    """Base class of every error mediebild raises on purpose."""

    exit_code = 1


class UserError(MediebildError):
    """Bad arguments, a missing file, something the user can fix."""

    exit_code = 2


class ConfigError(UserError):
    """A configuration file, profile or source definition is wrong."""


class SourceError(MediebildError):
    """A source could not be fetched or read.

    `transient` errors (timeouts, HTTP 5xx, 429, connection resets) are worth retrying;
    permanent ones (404, 410, too large, not a feed) are not.
    """

    transient = False
    code = "source_error"
    retry_after: str | None = None  # the server's Retry-After, for monitors that keep a rate budget

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        if code:
            self.code = code
        self.status = status


class TransientSourceError(SourceError):
    transient = True
    code = "transient"


class PermanentSourceError(SourceError):
    transient = False
    code = "permanent"


class StoreError(MediebildError):
    """The database cannot be opened, migrated or written."""

    exit_code = 2


class ModelError(MediebildError):
    """A trained model is missing or cannot be loaded."""


class ReportError(MediebildError):
    """A digest or brief cannot be rendered or sent."""
