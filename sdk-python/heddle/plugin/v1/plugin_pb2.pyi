from heddle.plugin.v1 import command_pb2 as _command_pb2
from heddle.plugin.v1 import handshake_pb2 as _handshake_pb2
from heddle.plugin.v1 import invoke_pb2 as _invoke_pb2
from heddle.plugin.v1 import manifest_pb2 as _manifest_pb2
from heddle.plugin.v1 import resource_pb2 as _resource_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
