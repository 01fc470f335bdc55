"""Every error danvan raises on purpose, in one place (like ``pandas.errors``).

Each derives from :class:`DanvanError` and carries the message a user reads (Vietnamese for data
errors a ward official acts on, English for developer-facing usage errors) and the exit code the
command line maps it to. Library code raises these; only :mod:`danvan.cli` turns them into output
and an exit status. Where an error used to be a plain ``ValueError`` / ``LookupError`` it still is
one too, so that callers catching the builtin keep working.

Exit codes: 1 the work failed (bad data, a report failed), 2 bad usage (nothing ran), 3 another
danvan run holds the outputs, 4 a machine fault (:class:`MachineFault`: a full disk, a read-only or
unwritable store or outputs folder, a damaged store).
"""

from __future__ import annotations

__all__ = [
    "DanvanError",
    "UsageError",
    "NumberParseError",
    "WrittenParseError",
    "UnitCodeError",
    "UnknownUnitError",
    "SplitLineageError",
    "UnitFileError",
    "CatalogueError",
    "StoreMissingError",
    "StoreSubsetError",
    "IntakeError",
    "ParameterError",
    "NoDataError",
    "NotebookNotFoundError",
    "RunSetError",
    "OutputsLocked",
    "WorkerMismatchError",
    "ExportError",
    "MachineFault",
    "DiskFull",
    "NotWritable",
    "StoreDamaged",
]


class DanvanError(Exception):
    """Base of every danvan error. ``str(exc)`` is the message a user reads."""

    exit_code = 1

    @property
    def message(self) -> str:
        return str(self)


class UsageError(DanvanError):
    """The command or call was given something it cannot use; nothing ran."""

    exit_code = 2


# ---- core -------------------------------------------------------------------------------------
class NumberParseError(DanvanError, ValueError):
    """A text that is not a number in Vietnamese (or plain machine) notation."""


class WrittenParseError(NumberParseError):
    """A figure as written that cannot be read, or is ambiguous ("1,234 hộ", "từ 93 điểm", "100% / 99%").
    ``code`` is a stable English reason id, ``message_vi`` tells the ward official what to write."""

    def __init__(self, code: str, message: str, message_vi: str, text: str = ""):
        super().__init__(f"{message} (got {text!r})" if text else message)
        self.code = code
        self.message_vi = message_vi
        self.text = text


# ---- reference: units and catalogue -----------------------------------------------------------
class UnitCodeError(UsageError, ValueError, TypeError):
    """A unit code that is not a code string (an int, or not 2/3/5 ASCII digits). A ``TypeError``
    too when it is not a string at all (``1`` for ``"00001"`` would lose the leading zeros)."""


class UnknownUnitError(UsageError, LookupError):
    """A unit code that does not exist (in that year). The message says how to fix it."""


class SplitLineageError(UnknownUnitError):
    """Figures of a unit for a year before it existed cannot be derived: it received only part of a
    split unit, and no shares are known (a sum would be silently wrong). The message says why."""


class UnitFileError(UsageError, ValueError):
    """A user unit file (``--units``, ``DANVAN_UNITS``) that is not well formed: the Vietnamese
    message lists every problem with file, row, column, what was found and what was expected."""


class CatalogueError(UsageError, ValueError):
    """A catalogue file that is not well formed; the message names file, entry and fix."""


# ---- store ------------------------------------------------------------------------------------
class StoreMissingError(UsageError, FileNotFoundError):
    """A read of a store that does not exist: reading never creates one (``danvan setup`` does)."""


class StoreSubsetError(DanvanError, LookupError):
    """A report read a unit-year that the inputs carried with it (a store subset) do not hold: a bug
    in what its notebook kind declares, never shown as an empty unit-year."""


# ---- intake -----------------------------------------------------------------------------------
class IntakeError(DanvanError, ValueError):
    """Bad input data. The message is Vietnamese and names file, row, column and the fix."""


# ---- run --------------------------------------------------------------------------------------
class ParameterError(UsageError, ValueError):
    """Bad run parameters; raised before any kernel starts."""


class NoDataError(ParameterError):
    """Valid parameters, but the store (or data directory) holds nothing for that unit-year."""


class NotebookNotFoundError(UsageError, FileNotFoundError):
    """A notebook name that is neither a file nor one of the project's notebooks."""


class RunSetError(UsageError, ValueError):
    """A run-set file that is not well formed."""


class OutputsLocked(DanvanError, RuntimeError):
    """Another danvan batch is writing the same outputs directory."""

    exit_code = 3


class WorkerMismatchError(UsageError):
    """A cluster worker runs another danvan (version or code digest) than the client: its reports
    would not be the ones the client planned. Nothing ran."""


class ExportError(DanvanError):
    """An executed notebook could not be exported to a requested format."""


# ---- the machine ------------------------------------------------------------------------------
class MachineFault(DanvanError):
    """Not the user's input but the machine: what was being written stays as it was (or complete).
    The message (Vietnamese) names the file or folder and what to do."""

    exit_code = 4


class DiskFull(MachineFault):
    """The disk holding a file danvan writes is full (ENOSPC, EDQUOT, SQLITE_FULL)."""


class NotWritable(MachineFault):
    """A file or folder danvan must write is on a read-only mount or not writable for this user."""


class StoreDamaged(MachineFault):
    """The store file is damaged (truncated, overwritten pages, not a database); nothing is written
    to it. The message says how to restore it from a backup (``danvan backup``)."""
