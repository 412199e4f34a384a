from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_CODE_UNSPECIFIED: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_CONFIG: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_INPUT: _ClassVar[ErrorCode]
    ERROR_CODE_UNKNOWN_STEP: _ClassVar[ErrorCode]
    ERROR_CODE_UNKNOWN_RESOURCE: _ClassVar[ErrorCode]
    ERROR_CODE_RESOURCE_NOT_OPEN: _ClassVar[ErrorCode]
    ERROR_CODE_RESOURCE_INIT_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_STEP_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_OUTPUT: _ClassVar[ErrorCode]
    ERROR_CODE_CANCELLED: _ClassVar[ErrorCode]
    ERROR_CODE_DEADLINE_EXCEEDED: _ClassVar[ErrorCode]
    ERROR_CODE_UNKNOWN_COMMAND: _ClassVar[ErrorCode]
    ERROR_CODE_COMMAND_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_UNSUPPORTED: _ClassVar[ErrorCode]
    ERROR_CODE_MISSING_RESOURCE: _ClassVar[ErrorCode]
    ERROR_CODE_INTERNAL: _ClassVar[ErrorCode]
    ERROR_CODE_MANIFEST_INVALID: _ClassVar[ErrorCode]
    ERROR_CODE_PLUGIN_START_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_PLUGIN_START_TIMEOUT: _ClassVar[ErrorCode]
    ERROR_CODE_HANDSHAKE_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_PROTOCOL_MISMATCH: _ClassVar[ErrorCode]
    ERROR_CODE_COOKIE_MISMATCH: _ClassVar[ErrorCode]
    ERROR_CODE_PLUGIN_CRASHED: _ClassVar[ErrorCode]
    ERROR_CODE_PLUGIN_UNAVAILABLE: _ClassVar[ErrorCode]
    ERROR_CODE_TRANSPORT: _ClassVar[ErrorCode]
    ERROR_CODE_INPUT_READ_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_USAGE: _ClassVar[ErrorCode]
    ERROR_CODE_BUILD_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_OUTPUT_WRITE_FAILED: _ClassVar[ErrorCode]
ERROR_CODE_UNSPECIFIED: ErrorCode
ERROR_CODE_INVALID_CONFIG: ErrorCode
ERROR_CODE_INVALID_INPUT: ErrorCode
ERROR_CODE_UNKNOWN_STEP: ErrorCode
ERROR_CODE_UNKNOWN_RESOURCE: ErrorCode
ERROR_CODE_RESOURCE_NOT_OPEN: ErrorCode
ERROR_CODE_RESOURCE_INIT_FAILED: ErrorCode
ERROR_CODE_STEP_FAILED: ErrorCode
ERROR_CODE_INVALID_OUTPUT: ErrorCode
ERROR_CODE_CANCELLED: ErrorCode
ERROR_CODE_DEADLINE_EXCEEDED: ErrorCode
ERROR_CODE_UNKNOWN_COMMAND: ErrorCode
ERROR_CODE_COMMAND_FAILED: ErrorCode
ERROR_CODE_UNSUPPORTED: ErrorCode
ERROR_CODE_MISSING_RESOURCE: ErrorCode
ERROR_CODE_INTERNAL: ErrorCode
ERROR_CODE_MANIFEST_INVALID: ErrorCode
ERROR_CODE_PLUGIN_START_FAILED: ErrorCode
ERROR_CODE_PLUGIN_START_TIMEOUT: ErrorCode
ERROR_CODE_HANDSHAKE_FAILED: ErrorCode
ERROR_CODE_PROTOCOL_MISMATCH: ErrorCode
ERROR_CODE_COOKIE_MISMATCH: ErrorCode
ERROR_CODE_PLUGIN_CRASHED: ErrorCode
ERROR_CODE_PLUGIN_UNAVAILABLE: ErrorCode
ERROR_CODE_TRANSPORT: ErrorCode
ERROR_CODE_INPUT_READ_FAILED: ErrorCode
ERROR_CODE_USAGE: ErrorCode
ERROR_CODE_BUILD_FAILED: ErrorCode
ERROR_CODE_OUTPUT_WRITE_FAILED: ErrorCode

class Error(_message.Message):
    __slots__ = ("code", "message", "component", "stack", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: ErrorCode
    message: str
    component: str
    stack: str
    field: str
    def __init__(self, code: _Optional[_Union[ErrorCode, str]] = ..., message: _Optional[str] = ..., component: _Optional[str] = ..., stack: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...
