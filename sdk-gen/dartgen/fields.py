"""How one proto field becomes a Dart field: its type, its default, and the expressions
that read it from proto3 JSON and write it back (int64 as strings, bytes as base64, enums
by name, Timestamp/Duration/FieldMask/Struct/wrappers as the JSON mapping says)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from google.protobuf.descriptor_pb2 import FieldDescriptorProto as F

from .model import Contract, TypeInfo
from .naming import enum_value_name, field_name, import_prefix

PJ = "$pj"  # import prefix of the runtime's proto_json.dart

_INTS = {F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32, F.TYPE_UINT32, F.TYPE_FIXED32}
_LONGS = {F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64, F.TYPE_UINT64, F.TYPE_FIXED64}
_FLOATS = {F.TYPE_DOUBLE, F.TYPE_FLOAT}


@dataclass(frozen=True)
class Scalar:
    """A value kind: Dart type, default literal, reader, writer, and "not the default" test."""

    dart: str
    default: str
    read: Callable[[str], str]
    write: Callable[[str], str]
    is_set: Callable[[str], str]


def _scalar(kind: int) -> Scalar:
    if kind == F.TYPE_STRING:
        return Scalar("String", "''", lambda r: f"{PJ}.string({r})", lambda v: v, lambda v: f"{v}.isNotEmpty")
    if kind == F.TYPE_BOOL:
        return Scalar("bool", "false", lambda r: f"{PJ}.boolean({r})", lambda v: v, lambda v: v)
    if kind in _INTS:
        return Scalar("int", "0", lambda r: f"{PJ}.int32({r})", lambda v: v, lambda v: f"{v} != 0")
    if kind in _LONGS:
        return Scalar("int", "0", lambda r: f"{PJ}.int64({r})", lambda v: f"{v}.toString()", lambda v: f"{v} != 0")
    if kind in _FLOATS:
        return Scalar("double", "0", lambda r: f"{PJ}.float({r})", lambda v: f"{PJ}.floatOut({v})", lambda v: f"{v} != 0")
    if kind == F.TYPE_BYTES:
        return Scalar("List<int>", "const <int>[]", lambda r: f"{PJ}.bytes({r})", lambda v: f"{PJ}.bytesOut({v})", lambda v: f"{v}.isNotEmpty")
    raise ValueError(f"not a scalar type: {kind}")


# google.protobuf well-known types that the JSON mapping turns into plain values.
_WRAPPERS = {
    ".google.protobuf.StringValue": F.TYPE_STRING,
    ".google.protobuf.BytesValue": F.TYPE_BYTES,
    ".google.protobuf.BoolValue": F.TYPE_BOOL,
    ".google.protobuf.Int32Value": F.TYPE_INT32,
    ".google.protobuf.UInt32Value": F.TYPE_UINT32,
    ".google.protobuf.Int64Value": F.TYPE_INT64,
    ".google.protobuf.UInt64Value": F.TYPE_UINT64,
    ".google.protobuf.FloatValue": F.TYPE_FLOAT,
    ".google.protobuf.DoubleValue": F.TYPE_DOUBLE,
}
_WELL_KNOWN = {
    ".google.protobuf.Timestamp": Scalar("DateTime", "", lambda r: f"{PJ}.timestamp({r})", lambda v: f"{PJ}.timestampOut({v})", lambda v: "false"),
    ".google.protobuf.Duration": Scalar("Duration", "", lambda r: f"{PJ}.duration({r})", lambda v: f"{PJ}.durationOut({v})", lambda v: "false"),
    ".google.protobuf.FieldMask": Scalar("List<String>", "", lambda r: f"{PJ}.fieldMask({r})", lambda v: f"{PJ}.fieldMaskOut({v})", lambda v: "false"),
    ".google.protobuf.Struct": Scalar("Map<String, Object?>", "", lambda r: f"{PJ}.struct({r})", lambda v: v, lambda v: "false"),
    ".google.protobuf.Any": Scalar("Map<String, Object?>", "", lambda r: f"{PJ}.struct({r})", lambda v: v, lambda v: "false"),
    ".google.protobuf.ListValue": Scalar("List<Object?>", "", lambda r: f"{PJ}.listValue({r})", lambda v: v, lambda v: "false"),
    ".google.protobuf.Empty": Scalar("Map<String, Object?>", "", lambda r: f"{PJ}.struct({r})", lambda v: v, lambda v: "false"),
}
VALUE_TYPE = ".google.protobuf.Value"


def is_well_known(type_name: str) -> bool:
    return type_name in _WRAPPERS or type_name in _WELL_KNOWN or type_name == VALUE_TYPE


@dataclass(frozen=True)
class DartField:
    proto: F
    name: str  # Dart member name
    json_name: str
    dart_type: str  # as declared, with `?` when nullable
    default: str | None  # constructor default; None → the parameter is nullable
    read: str  # Dart expression of the value, from `json`
    write: str  # Dart expression of the JSON value, from the field
    present_when: str  # Dart condition under which toJson writes it
    init_from_param: str | None = None  # initializer for collections: `x = x ?? []`


class FieldTypes:
    """Resolves field types against the contract; records the files a library imports."""

    def __init__(self, contract: Contract, current_file: str) -> None:
        self.contract = contract
        self.current_file = current_file
        self.imports: set[str] = set()

    def type_ref(self, info: TypeInfo) -> str:
        if info.file == self.current_file:
            return info.dart_name
        self.imports.add(info.file)
        return f"{import_prefix(info.file)}.{info.dart_name}"

    def _value(self, field: F) -> Scalar:
        """The element kind of a field (its type if singular, its items' if repeated)."""
        if field.type == F.TYPE_MESSAGE:
            if field.type_name in _WRAPPERS:
                inner = _scalar(_WRAPPERS[field.type_name])
                return Scalar(inner.dart, "", lambda r: f"({r} == null ? null : {inner.read(r)})", inner.write, lambda v: "false")
            if field.type_name in _WELL_KNOWN:
                return _WELL_KNOWN[field.type_name]
            if field.type_name == VALUE_TYPE:
                return Scalar("Object?", "", lambda r: f"{PJ}.value({r})", lambda v: v, lambda v: "false")
            ref = self.type_ref(self._info(field.type_name))
            return Scalar(ref, "", lambda r: f"{PJ}.message({r}, {ref}.fromJson)", lambda v: f"{v}.toJson()", lambda v: "false")
        if field.type == F.TYPE_ENUM:
            info = self._info(field.type_name)
            ref = self.type_ref(info)
            # proto3's first value is the zero one; a constant, as a default must be.
            zero = enum_value_name(info.proto.name, info.proto.value[0].name)
            return Scalar(ref, f"{ref}.{zero}", lambda r: f"{ref}.fromJson({r})", lambda v: f"{v}.toJson()", lambda v: f"{v}.value != 0")
        if field.type == F.TYPE_GROUP:
            raise ValueError(f"groups are not supported: {field.name}")
        return _scalar(field.type)

    def _info(self, type_name: str) -> TypeInfo:
        info = self.contract.types.get(type_name)
        if info is None:
            raise ValueError(f"unknown type {type_name}")
        return info

    @staticmethod
    def _item(value: Scalar) -> str:
        """The reader of a list item or map value: never null, unless the type allows it."""
        read = value.read("v")
        return read if value.default or value.dart.endswith("?") else f"{read}!"

    def map_entry(self, field: F) -> TypeInfo | None:
        if field.label != F.LABEL_REPEATED or field.type != F.TYPE_MESSAGE:
            return None
        info = self.contract.types.get(field.type_name)
        return info if info is not None and info.is_map_entry else None

    def dart_field(self, field: F, nullable_scalar: bool) -> DartField:
        """``nullable_scalar``: a oneof member or proto3 ``optional`` field, whose presence
        is tracked (null = unset)."""
        name = field_name(field.name)
        json_name = field.json_name or field.name
        raw = f"{PJ}.field(json, '{json_name}', '{field.name}')"
        entry = self.map_entry(field)
        if entry is not None:
            key_field, value_field = entry.proto.field[0], entry.proto.field[1]
            key = _scalar(key_field.type)
            value = self._value(value_field)
            key_parse = {"String": "(k) => k", "int": f"{PJ}.intKey", "bool": f"{PJ}.boolKey"}[key.dart]
            dart_type = f"Map<{key.dart}, {value.dart}>"
            return DartField(
                field, name, json_name, dart_type, None,
                f"{PJ}.map({raw}, {key_parse}, (v) => {self._item(value)})",
                f"{name}.map((k, v) => MapEntry(k.toString(), {value.write('v')}))",
                f"{name}.isNotEmpty",
                init_from_param=f"{name} = {name} ?? <{key.dart}, {value.dart}>{{}}",
            )
        value = self._value(field)
        if field.label == F.LABEL_REPEATED:
            dart_type = f"List<{value.dart}>"
            return DartField(
                field, name, json_name, dart_type, None,
                f"{PJ}.list({raw}, (v) => {self._item(value)})",
                f"{name}.map((v) => {value.write('v')}).toList()",
                f"{name}.isNotEmpty",
                init_from_param=f"{name} = {name} ?? <{value.dart}>[]",
            )
        if not value.default or nullable_scalar:
            # Messages and well-known types, and fields with presence: null when unset.
            read = value.read(raw)
            if nullable_scalar and value.default:
                read = f"({raw} == null ? null : {read})"
            dart_type = value.dart if value.dart.endswith("?") else f"{value.dart}?"
            bang = "" if value.dart.endswith("?") else "!"
            return DartField(field, name, json_name, dart_type, None, read,
                             value.write(f"{name}{bang}"), f"{name} != null")
        return DartField(field, name, json_name, value.dart, value.default, value.read(raw),
                         value.write(name), value.is_set(name))
