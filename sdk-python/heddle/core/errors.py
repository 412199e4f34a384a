"""Typed errors that plugin code (and the SDK) raise to choose an error code.

Codes are the stable names of the `ErrorCode` enum in
proto/heddle/plugin/v1/errors.proto without the `ERROR_CODE_` prefix. A plain
exception raised by step code becomes `STEP_FAILED`; raise a `HeddleError` (or
one of its subclasses) to report something more precise.
"""

from __future__ import annotations

from typing import Optional

PLUGIN_ERROR_CODES = (
    "INVALID_CONFIG",
    "INVALID_INPUT",
    "UNKNOWN_STEP",
    "UNKNOWN_RESOURCE",
    "RESOURCE_NOT_OPEN",
    "RESOURCE_INIT_FAILED",
    "STEP_FAILED",
    "INVALID_OUTPUT",
    "CANCELLED",
    "DEADLINE_EXCEEDED",
    "UNKNOWN_COMMAND",
    "COMMAND_FAILED",
    "UNSUPPORTED",
    "MISSING_RESOURCE",
    "INTERNAL",
)
"""Codes 1-99 of the proto `ErrorCode` table: the ones step code and the SDK raise."""

DATA_PLANE_ERROR_CODES = (
    "SEGMENT_INVALID",
    "SEGMENT_NOT_FOUND",
    "SHM_UNAVAILABLE",
)
"""Data-plane codes (150+) a plugin reports about shared-memory segments (protocol §8)."""

ALLOWED_ERROR_CODES = PLUGIN_ERROR_CODES + DATA_PLANE_ERROR_CODES
"""Every code a `HeddleError` may carry."""


class HeddleError(Exception):
    """An error with a stable code, a message for humans and an optional config field.

    `code` must be one of `ALLOWED_ERROR_CODES` (raises `ValueError` otherwise,
    so a typo is caught where it is made). `field` is a JSON pointer into the
    config (e.g. `/rows`) for `INVALID_CONFIG`. `component` names the step,
    resource or command; the SDK fills it in when left empty.
    """

    code: str = "INTERNAL"

    def __init__(
        self,
        code: str,
        message: str,
        field: Optional[str] = None,
        component: Optional[str] = None,
    ) -> None:
        if code not in ALLOWED_ERROR_CODES:
            raise ValueError(
                f"unknown Heddle error code {code!r}: use one of {', '.join(ALLOWED_ERROR_CODES)}"
            )
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.component = component
        self.stack: Optional[str] = None  # filled by the SDK with the traceback where it was raised

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r})"


class _FixedCodeError(HeddleError):
    """Base of the typed errors below: the code comes from the class, callers pass a message."""

    def __init__(self, message: str, field: Optional[str] = None, component: Optional[str] = None) -> None:
        super().__init__(type(self).code, message, field=field, component=component)


class InvalidConfigError(_FixedCodeError):
    """A config failed its JSON Schema; `field` is the JSON pointer of the offending field. Code `INVALID_CONFIG`."""

    code = "INVALID_CONFIG"


class InvalidInputError(_FixedCodeError):
    """The input table is missing, unreadable or of the wrong shape. Code `INVALID_INPUT`."""

    code = "INVALID_INPUT"


class UnknownStepError(_FixedCodeError):
    """No step or handler of that name in the plugin. Code `UNKNOWN_STEP`."""

    code = "UNKNOWN_STEP"


class UnknownResourceError(_FixedCodeError):
    """No resource kind of that name in the plugin. Code `UNKNOWN_RESOURCE`."""

    code = "UNKNOWN_RESOURCE"


class ResourceNotOpenError(_FixedCodeError):
    """A call named an instance id that is not open, or open with another kind. Code `RESOURCE_NOT_OPEN`."""

    code = "RESOURCE_NOT_OPEN"


class ResourceInitFailedError(_FixedCodeError):
    """A resource constructor raised. Code `RESOURCE_INIT_FAILED`."""

    code = "RESOURCE_INIT_FAILED"


class StepFailedError(_FixedCodeError):
    """The step's own code failed. Code `STEP_FAILED`."""

    code = "STEP_FAILED"


class InvalidOutputError(_FixedCodeError):
    """The step returned something that is not a table (or too big for a unary call). Code `INVALID_OUTPUT`."""

    code = "INVALID_OUTPUT"


class CancelledError(_FixedCodeError):
    """The call was cancelled by the host or the user. Code `CANCELLED`."""

    code = "CANCELLED"


class DeadlineExceededError(_FixedCodeError):
    """The call ran past its deadline. Code `DEADLINE_EXCEEDED`."""

    code = "DEADLINE_EXCEEDED"


class UnknownCommandError(_FixedCodeError):
    """No Heimdall command of that name. Code `UNKNOWN_COMMAND`."""

    code = "UNKNOWN_COMMAND"


class CommandFailedError(_FixedCodeError):
    """The command's own code failed. Code `COMMAND_FAILED`."""

    code = "COMMAND_FAILED"


class UnsupportedError(_FixedCodeError):
    """The plugin does not implement the requested feature. Code `UNSUPPORTED`."""

    code = "UNSUPPORTED"


class MissingResourceError(_FixedCodeError):
    """A step needs a resource binding that the call did not give. Code `MISSING_RESOURCE`."""

    code = "MISSING_RESOURCE"


class InternalError(_FixedCodeError):
    """A bug in the SDK: please report it. Code `INTERNAL`."""

    code = "INTERNAL"


class SegmentInvalidError(_FixedCodeError):
    """A shared-memory segment is truncated, misaligned or not Arrow IPC file bytes. Code `SEGMENT_INVALID`."""

    code = "SEGMENT_INVALID"


class SegmentNotFoundError(_FixedCodeError):
    """A shared-memory handle names a file that does not exist (freed or never created). Code `SEGMENT_NOT_FOUND`."""

    code = "SEGMENT_NOT_FOUND"


class ShmUnavailableError(_FixedCodeError):
    """A segment could not be created or mapped here (no HEDDLE_SHM_DIR, tmpfs full). Code `SHM_UNAVAILABLE`."""

    code = "SHM_UNAVAILABLE"


__all__ = [
    "PLUGIN_ERROR_CODES",
    "DATA_PLANE_ERROR_CODES",
    "ALLOWED_ERROR_CODES",
    "HeddleError",
    "InvalidConfigError",
    "InvalidInputError",
    "UnknownStepError",
    "UnknownResourceError",
    "ResourceNotOpenError",
    "ResourceInitFailedError",
    "StepFailedError",
    "InvalidOutputError",
    "CancelledError",
    "DeadlineExceededError",
    "UnknownCommandError",
    "CommandFailedError",
    "UnsupportedError",
    "MissingResourceError",
    "InternalError",
    "SegmentInvalidError",
    "SegmentNotFoundError",
    "ShmUnavailableError",
]
