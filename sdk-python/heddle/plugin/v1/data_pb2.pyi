from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DataRef(_message.Message):
    __slots__ = ("inline", "streamed", "shm")
    INLINE_FIELD_NUMBER: _ClassVar[int]
    STREAMED_FIELD_NUMBER: _ClassVar[int]
    SHM_FIELD_NUMBER: _ClassVar[int]
    inline: InlineTable
    streamed: StreamedTable
    shm: SharedMemoryRef
    def __init__(self, inline: _Optional[_Union[InlineTable, _Mapping]] = ..., streamed: _Optional[_Union[StreamedTable, _Mapping]] = ..., shm: _Optional[_Union[SharedMemoryRef, _Mapping]] = ...) -> None: ...

class InlineTable(_message.Message):
    __slots__ = ("ipc", "num_rows")
    IPC_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_FIELD_NUMBER: _ClassVar[int]
    ipc: bytes
    num_rows: int
    def __init__(self, ipc: _Optional[bytes] = ..., num_rows: _Optional[int] = ...) -> None: ...

class StreamedTable(_message.Message):
    __slots__ = ("total_bytes",)
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    total_bytes: int
    def __init__(self, total_bytes: _Optional[int] = ...) -> None: ...

class TableChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class SharedMemoryRef(_message.Message):
    __slots__ = ("segment_id", "path", "offset", "length", "num_rows")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    path: str
    offset: int
    length: int
    num_rows: int
    def __init__(self, segment_id: _Optional[str] = ..., path: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ..., num_rows: _Optional[int] = ...) -> None: ...
