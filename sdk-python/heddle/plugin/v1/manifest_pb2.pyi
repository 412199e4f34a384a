from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_MODE_UNSPECIFIED: _ClassVar[ExecutionMode]
    EXECUTION_MODE_SYNC: _ClassVar[ExecutionMode]
    EXECUTION_MODE_ASYNC: _ClassVar[ExecutionMode]
    EXECUTION_MODE_BOTH: _ClassVar[ExecutionMode]
EXECUTION_MODE_UNSPECIFIED: ExecutionMode
EXECUTION_MODE_SYNC: ExecutionMode
EXECUTION_MODE_ASYNC: ExecutionMode
EXECUTION_MODE_BOTH: ExecutionMode

class DescribeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeResponse(_message.Message):
    __slots__ = ("manifest",)
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    manifest: Manifest
    def __init__(self, manifest: _Optional[_Union[Manifest, _Mapping]] = ...) -> None: ...

class Manifest(_message.Message):
    __slots__ = ("namespace", "version", "description", "resources", "steps", "handlers", "commands")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    HANDLERS_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    version: str
    description: str
    resources: _containers.RepeatedCompositeFieldContainer[ResourceSpec]
    steps: _containers.RepeatedCompositeFieldContainer[StepSpec]
    handlers: _containers.RepeatedCompositeFieldContainer[HandlerSpec]
    commands: _containers.RepeatedCompositeFieldContainer[CommandSpec]
    def __init__(self, namespace: _Optional[str] = ..., version: _Optional[str] = ..., description: _Optional[str] = ..., resources: _Optional[_Iterable[_Union[ResourceSpec, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[StepSpec, _Mapping]]] = ..., handlers: _Optional[_Iterable[_Union[HandlerSpec, _Mapping]]] = ..., commands: _Optional[_Iterable[_Union[CommandSpec, _Mapping]]] = ...) -> None: ...

class ResourceSpec(_message.Message):
    __slots__ = ("name", "description", "config_schema_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    config_schema_json: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., config_schema_json: _Optional[str] = ...) -> None: ...

class ResourceRequirement(_message.Message):
    __slots__ = ("binding", "kind", "optional")
    BINDING_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_FIELD_NUMBER: _ClassVar[int]
    binding: str
    kind: str
    optional: bool
    def __init__(self, binding: _Optional[str] = ..., kind: _Optional[str] = ..., optional: _Optional[bool] = ...) -> None: ...

class StepSpec(_message.Message):
    __slots__ = ("name", "description", "config_schema_json", "resources", "input_schema", "output_schema", "takes_input")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    TAKES_INPUT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    config_schema_json: str
    resources: _containers.RepeatedCompositeFieldContainer[ResourceRequirement]
    input_schema: bytes
    output_schema: bytes
    takes_input: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., config_schema_json: _Optional[str] = ..., resources: _Optional[_Iterable[_Union[ResourceRequirement, _Mapping]]] = ..., input_schema: _Optional[bytes] = ..., output_schema: _Optional[bytes] = ..., takes_input: _Optional[bool] = ...) -> None: ...

class HandlerSpec(_message.Message):
    __slots__ = ("name", "description", "config_schema_json", "resources")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    config_schema_json: str
    resources: _containers.RepeatedCompositeFieldContainer[ResourceRequirement]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., config_schema_json: _Optional[str] = ..., resources: _Optional[_Iterable[_Union[ResourceRequirement, _Mapping]]] = ...) -> None: ...

class CommandSpec(_message.Message):
    __slots__ = ("name", "description", "context_schema_json", "mode", "cluster_types", "cluster_context_schema_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_TYPES_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_CONTEXT_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    context_schema_json: str
    mode: ExecutionMode
    cluster_types: _containers.RepeatedScalarFieldContainer[str]
    cluster_context_schema_json: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., context_schema_json: _Optional[str] = ..., mode: _Optional[_Union[ExecutionMode, str]] = ..., cluster_types: _Optional[_Iterable[str]] = ..., cluster_context_schema_json: _Optional[str] = ...) -> None: ...
