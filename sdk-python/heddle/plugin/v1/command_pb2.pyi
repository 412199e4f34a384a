from heddle.plugin.v1 import data_pb2 as _data_pb2
from heddle.plugin.v1 import errors_pb2 as _errors_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CommandState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMMAND_STATE_UNSPECIFIED: _ClassVar[CommandState]
    COMMAND_STATE_SUCCEEDED: _ClassVar[CommandState]
    COMMAND_STATE_FAILED: _ClassVar[CommandState]
    COMMAND_STATE_CANCELED: _ClassVar[CommandState]
COMMAND_STATE_UNSPECIFIED: CommandState
COMMAND_STATE_SUCCEEDED: CommandState
COMMAND_STATE_FAILED: CommandState
COMMAND_STATE_CANCELED: CommandState

class RunCommandRequest(_message.Message):
    __slots__ = ("call_id", "command", "context_json", "cluster_json", "job_id", "resources")
    class ResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_JSON_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_JSON_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    command: str
    context_json: str
    cluster_json: str
    job_id: str
    resources: _containers.ScalarMap[str, str]
    def __init__(self, call_id: _Optional[str] = ..., command: _Optional[str] = ..., context_json: _Optional[str] = ..., cluster_json: _Optional[str] = ..., job_id: _Optional[str] = ..., resources: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CommandStatus(_message.Message):
    __slots__ = ("state", "error", "exit_code")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    state: CommandState
    error: _errors_pb2.Error
    exit_code: int
    def __init__(self, state: _Optional[_Union[CommandState, str]] = ..., error: _Optional[_Union[_errors_pb2.Error, _Mapping]] = ..., exit_code: _Optional[int] = ...) -> None: ...

class RunCommandResponse(_message.Message):
    __slots__ = ("stdout_line", "stderr_line", "result_chunk", "status")
    STDOUT_LINE_FIELD_NUMBER: _ClassVar[int]
    STDERR_LINE_FIELD_NUMBER: _ClassVar[int]
    RESULT_CHUNK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    stdout_line: str
    stderr_line: str
    result_chunk: _data_pb2.TableChunk
    status: CommandStatus
    def __init__(self, stdout_line: _Optional[str] = ..., stderr_line: _Optional[str] = ..., result_chunk: _Optional[_Union[_data_pb2.TableChunk, _Mapping]] = ..., status: _Optional[_Union[CommandStatus, _Mapping]] = ...) -> None: ...
