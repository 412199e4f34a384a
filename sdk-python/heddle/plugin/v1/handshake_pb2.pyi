from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class HandshakeRequest(_message.Message):
    __slots__ = ("protocol_versions", "host_name", "host_version", "capabilities")
    PROTOCOL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    HOST_NAME_FIELD_NUMBER: _ClassVar[int]
    HOST_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    protocol_versions: _containers.RepeatedScalarFieldContainer[int]
    host_name: str
    host_version: str
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, protocol_versions: _Optional[_Iterable[int]] = ..., host_name: _Optional[str] = ..., host_version: _Optional[str] = ..., capabilities: _Optional[_Iterable[str]] = ...) -> None: ...

class HandshakeResponse(_message.Message):
    __slots__ = ("protocol_version", "sdk_name", "sdk_language", "sdk_version", "capabilities", "pid")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SDK_NAME_FIELD_NUMBER: _ClassVar[int]
    SDK_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SDK_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    sdk_name: str
    sdk_language: str
    sdk_version: str
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    pid: int
    def __init__(self, protocol_version: _Optional[int] = ..., sdk_name: _Optional[str] = ..., sdk_language: _Optional[str] = ..., sdk_version: _Optional[str] = ..., capabilities: _Optional[_Iterable[str]] = ..., pid: _Optional[int] = ...) -> None: ...
