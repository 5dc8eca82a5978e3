"""Dart names for proto names: classes in UpperCamelCase (nested messages flattened as
``Outer_Inner``, as protoc-gen-dart does), members in lowerCamelCase, enum values without
their enum's prefix; Dart's reserved words and the members every generated class has are
avoided with a trailing ``_``."""

from __future__ import annotations

import re

# Reserved words and built-in identifiers (usable nowhere, or not as type names).
DART_KEYWORDS = frozenset(
    """abstract as assert async await base break case catch class const continue covariant
    default deferred do dynamic else enum export extends extension external factory false
    final finally for Function get hide if implements import in interface is late library
    mixin new null of on operator part required rethrow return sealed set show static super
    switch sync this throw true try type typedef var void when while with yield""".split()
)

# Types a generated library must not shadow (dart:core names it uses or users expect).
DART_CORE_TYPES = frozenset(
    """bool double int num Object String List Map Set Iterable Duration DateTime Uri Type
    Function Future Stream Symbol Null Never Record Enum Error Exception Comparable
    Pattern RegExp BigInt Sink StringBuffer""".split()
)

# Members every generated message class has (its own and Object's).
MESSAGE_MEMBERS = frozenset("toJson fromJson toString hashCode runtimeType noSuchMethod".split())

# Members every generated enum has (its own and Enum's).
ENUM_MEMBERS = frozenset(
    "values index name value protoName fromJson toJson toString hashCode runtimeType".split()
)


def lower_camel(snake: str) -> str:
    """``display_name`` → ``displayName`` (protoc's json_name rule)."""
    out: list[str] = []
    upper_next = False
    for char in snake:
        if char == "_":
            upper_next = True
        elif upper_next:
            out.append(char.upper())
            upper_next = False
        else:
            out.append(char)
    return "".join(out)


def upper_camel(name: str) -> str:
    camel = lower_camel(name)
    return camel[:1].upper() + camel[1:]


def safe_member(name: str, taken: frozenset[str] = MESSAGE_MEMBERS) -> str:
    """A Dart member or parameter name for a proto member name."""
    if name in DART_KEYWORDS or name in taken:
        return name + "_"
    return name


def field_name(proto_name: str) -> str:
    """The Dart field of a message field: ``display_name`` → ``displayName``."""
    return safe_member(lower_camel(proto_name))


def class_name(scope: list[str]) -> str:
    """``["Outer", "Inner"]`` → ``Outer_Inner``; a top-level name that would shadow a
    dart:core type or a keyword gets a trailing ``_``."""
    name = "_".join(scope)
    if name in DART_CORE_TYPES or name in DART_KEYWORDS:
        return name + "_"
    return name


def enum_value_name(enum_name: str, value_name: str) -> str:
    """``Audience``, ``AUDIENCE_PUBLIC`` → ``public``; ``UserStatus``,
    ``USER_STATUS_ACTIVE`` → ``active``; a value that would start with a digit gets ``v``."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"
    stripped = value_name[len(prefix):] if value_name.startswith(prefix) and len(value_name) > len(prefix) else value_name
    name = lower_camel(stripped.lower())
    if name[:1].isdigit():
        name = "v" + name
    return safe_member(name, ENUM_MEMBERS)


def import_prefix(proto_file: str) -> str:
    """``janua/users/v1/user.proto`` → ``$janua_users_v1_user``."""
    return "$" + re.sub(r"[^A-Za-z0-9]", "_", proto_file.removesuffix(".proto"))


def dart_string(text: str) -> str:
    """A single-quoted Dart string literal for ``text``."""
    escaped = (
        text.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\$")
        .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f"'{escaped}'"
