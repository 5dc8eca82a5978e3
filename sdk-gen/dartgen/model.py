"""The contract as dartgen sees it: the files of a descriptor set, every message and enum
by full name with its Dart class name and file, the leading comments, and method options
(``google.api.http``, ``janua.options.v1.access``) decoded through a pool built from the
set itself, so any option the set defines can be read without generated Python code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from .naming import class_name

# SourceCodeInfo path numbers (descriptor.proto field numbers).
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_ENUM_VALUE, _SERVICE_METHOD = 2, 2


@dataclass
class TypeInfo:
    """A message or enum: where it is declared and what Dart calls it."""

    full_name: str
    dart_name: str
    file: str
    is_enum: bool
    proto: Any  # DescriptorProto or EnumDescriptorProto
    path: tuple[int, ...]  # its SourceCodeInfo path
    is_map_entry: bool = False


@dataclass
class Contract:
    files: dict[str, descriptor_pb2.FileDescriptorProto]
    types: dict[str, TypeInfo] = field(default_factory=dict)
    comments: dict[tuple[str, tuple[int, ...]], str] = field(default_factory=dict)
    _pool: descriptor_pool.DescriptorPool | None = None
    _method_options: Any = None

    @classmethod
    def from_descriptor_set(cls, data: bytes) -> Contract:
        fds = descriptor_pb2.FileDescriptorSet.FromString(data)
        contract = cls(files={f.name: f for f in fds.file})
        pool = descriptor_pool.DescriptorPool()
        for proto in fds.file:  # buf and protoc write dependencies first
            pool.Add(proto)
        message_factory.GetMessageClassesForFiles([f.name for f in fds.file], pool)
        contract._pool = pool
        contract._method_options = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("google.protobuf.MethodOptions")
        )
        for proto in fds.file:
            contract._index_file(proto)
        return contract

    def _index_file(self, proto: descriptor_pb2.FileDescriptorProto) -> None:
        package = f".{proto.package}" if proto.package else ""
        for location in proto.source_code_info.location:
            if location.leading_comments:
                self.comments[(proto.name, tuple(location.path))] = location.leading_comments
        for i, message in enumerate(proto.message_type):
            self._index_message(proto.name, package, [], message, (_FILE_MESSAGE, i))
        for i, enum in enumerate(proto.enum_type):
            self._add_enum(proto.name, package, [], enum, (_FILE_ENUM, i))

    def _index_message(self, file: str, package: str, scope: list[str],
                       message: descriptor_pb2.DescriptorProto, path: tuple[int, ...]) -> None:
        names = [*scope, message.name]
        full = f"{package}.{'.'.join(names)}"
        self.types[full] = TypeInfo(full, class_name(names), file, False, message, path,
                                    message.options.map_entry)
        for i, nested in enumerate(message.nested_type):
            self._index_message(file, package, names, nested, (*path, _MESSAGE_NESTED, i))
        for i, enum in enumerate(message.enum_type):
            self._add_enum(file, package, names, enum, (*path, _MESSAGE_ENUM, i))

    def _add_enum(self, file: str, package: str, scope: list[str],
                  enum: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...]) -> None:
        names = [*scope, enum.name]
        full = f"{package}.{'.'.join(names)}"
        self.types[full] = TypeInfo(full, class_name(names), file, True, enum, path)

    def comment(self, file: str, path: tuple[int, ...]) -> str:
        return self.comments.get((file, path), "")

    def method_option(self, method: descriptor_pb2.MethodDescriptorProto, extension: str) -> Any:
        """The value of a method option by the extension's full name (None if the set does
        not define it); unset options read as their default."""
        assert self._pool is not None
        try:
            ext = self._pool.FindExtensionByName(extension)
        except KeyError:
            return None
        options = self._method_options.FromString(method.options.SerializeToString())
        return options.Extensions[ext]

    def enum_value_number(self, enum_full_name: str, value_name: str) -> int | None:
        info = self.types.get(f".{enum_full_name}")
        if info is None or not info.is_enum:
            return None
        for value in info.proto.value:
            if value.name == value_name:
                return int(value.number)
        return None
