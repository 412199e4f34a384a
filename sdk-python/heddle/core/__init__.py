"""What plugin code uses: tables, config bases, contexts, typed errors and the logger.

`from heddle.core import Table` is the short import; every name also lives in
its own module (`heddle.core.table.Table`, `heddle.core.step.StepConfig`, …).
"""

from .command import CommandContext, ExecutionMode, LineWriter
from .config import Config
from .context import StepContext, current
from .errors import (
    CancelledError,
    CommandFailedError,
    DeadlineExceededError,
    HeddleError,
    InternalError,
    InvalidConfigError,
    InvalidInputError,
    InvalidOutputError,
    MissingResourceError,
    ResourceInitFailedError,
    ResourceNotOpenError,
    StepFailedError,
    UnknownCommandError,
    UnknownResourceError,
    UnknownStepError,
    UnsupportedError,
)
from .field import Field
from .handler import ERRORS_SCHEMA, ErrorsTable
from .logger import Logger, get_logger
from .resource import Resource, ResourceConfig
from .step import ResourceBinding, StepConfig
from .table import Table

__all__ = [
    "CancelledError",
    "CommandContext",
    "CommandFailedError",
    "Config",
    "DeadlineExceededError",
    "ERRORS_SCHEMA",
    "ErrorsTable",
    "ExecutionMode",
    "Field",
    "HeddleError",
    "InternalError",
    "InvalidConfigError",
    "InvalidInputError",
    "InvalidOutputError",
    "LineWriter",
    "Logger",
    "MissingResourceError",
    "Resource",
    "ResourceBinding",
    "ResourceConfig",
    "ResourceInitFailedError",
    "ResourceNotOpenError",
    "StepConfig",
    "StepContext",
    "StepFailedError",
    "Table",
    "UnknownCommandError",
    "UnknownResourceError",
    "UnknownStepError",
    "UnsupportedError",
    "current",
    "get_logger",
]
