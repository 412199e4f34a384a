from heddle.plugin.v1 import data_pb2 as _data_pb2
from heddle.plugin.v1 import errors_pb2 as _errors_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InvokeHeader(_message.Message):
    __slots__ = ("call_id", "step", "config_json", "resources", "input", "timeout_ms", "shm_output_threshold", "then")
    class ResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    SHM_OUTPUT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    THEN_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    step: str
    config_json: str
    resources: _containers.ScalarMap[str, str]
    input: _data_pb2.DataRef
    timeout_ms: int
    shm_output_threshold: int
    then: _containers.RepeatedCompositeFieldContainer[InvokeStage]
    def __init__(self, call_id: _Optional[str] = ..., step: _Optional[str] = ..., config_json: _Optional[str] = ..., resources: _Optional[_Mapping[str, str]] = ..., input: _Optional[_Union[_data_pb2.DataRef, _Mapping]] = ..., timeout_ms: _Optional[int] = ..., shm_output_threshold: _Optional[int] = ..., then: _Optional[_Iterable[_Union[InvokeStage, _Mapping]]] = ...) -> None: ...

class InvokeStage(_message.Message):
    __slots__ = ("step", "config_json", "resources")
    class ResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STEP_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    step: str
    config_json: str
    resources: _containers.ScalarMap[str, str]
    def __init__(self, step: _Optional[str] = ..., config_json: _Optional[str] = ..., resources: _Optional[_Mapping[str, str]] = ...) -> None: ...

class InvokeRequest(_message.Message):
    __slots__ = ("header",)
    HEADER_FIELD_NUMBER: _ClassVar[int]
    header: InvokeHeader
    def __init__(self, header: _Optional[_Union[InvokeHeader, _Mapping]] = ...) -> None: ...

class CallStats(_message.Message):
    __slots__ = ("duration_us", "output_rows", "output_bytes")
    DURATION_US_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ROWS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    duration_us: int
    output_rows: int
    output_bytes: int
    def __init__(self, duration_us: _Optional[int] = ..., output_rows: _Optional[int] = ..., output_bytes: _Optional[int] = ...) -> None: ...

class InvokeResponse(_message.Message):
    __slots__ = ("output", "error", "stats")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    output: _data_pb2.DataRef
    error: _errors_pb2.Error
    stats: CallStats
    def __init__(self, output: _Optional[_Union[_data_pb2.DataRef, _Mapping]] = ..., error: _Optional[_Union[_errors_pb2.Error, _Mapping]] = ..., stats: _Optional[_Union[CallStats, _Mapping]] = ...) -> None: ...

class InvokeStreamRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: InvokeHeader
    chunk: _data_pb2.TableChunk
    def __init__(self, header: _Optional[_Union[InvokeHeader, _Mapping]] = ..., chunk: _Optional[_Union[_data_pb2.TableChunk, _Mapping]] = ...) -> None: ...

class InvokeStreamResponse(_message.Message):
    __slots__ = ("chunk", "result")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    chunk: _data_pb2.TableChunk
    result: InvokeResponse
    def __init__(self, chunk: _Optional[_Union[_data_pb2.TableChunk, _Mapping]] = ..., result: _Optional[_Union[InvokeResponse, _Mapping]] = ...) -> None: ...
