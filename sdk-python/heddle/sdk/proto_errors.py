"""HeddleError → protobuf `Error` (protocol §7), shared by the gRPC servicer and the frame lane."""

from __future__ import annotations

import traceback

from ..core.errors import HeddleError, InternalError
from ..plugin.v1 import errors_pb2

_ERROR_CODES = {name: number for name, number in errors_pb2.ErrorCode.items()}


def error_to_proto(error: HeddleError, namespace: str = "") -> errors_pb2.Error:
    """The protobuf `Error` for a HeddleError; a bare component name is qualified as `namespace.name`."""
    component = error.component or ""
    if component and namespace and "." not in component:
        component = f"{namespace}.{component}"
    return errors_pb2.Error(
        code=_ERROR_CODES.get("ERROR_CODE_" + error.code, errors_pb2.ERROR_CODE_INTERNAL),
        message=error.message,
        component=component,
        stack=error.stack or "",
        field=error.field or "",
    )


def internal_error(exc: BaseException, component: str) -> HeddleError:
    """An INTERNAL error for an exception the SDK did not expect (a bug to report), with its traceback.

    Call it inside the `except` block so the traceback is the one being handled.
    """
    error = InternalError(f"the Python SDK failed unexpectedly ({type(exc).__name__}: {exc}); please report it", component=component)
    error.stack = traceback.format_exc()
    return error


def unavailable_error(message: str, component: str = "") -> errors_pb2.Error:
    """A `PLUGIN_UNAVAILABLE` Error: this process takes no new calls (it is shutting down, protocol §5.5, §11).

    The code is a host code (100+), so it is built here rather than raised as a HeddleError from step code.
    """
    return errors_pb2.Error(code=errors_pb2.ERROR_CODE_PLUGIN_UNAVAILABLE, message=message, component=component)
