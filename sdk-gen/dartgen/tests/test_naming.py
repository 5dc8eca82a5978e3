from dartgen.naming import (
    class_name,
    dart_string,
    enum_value_name,
    field_name,
    import_prefix,
    lower_camel,
)


def test_fields_are_lower_camel_case_like_json_names() -> None:
    assert lower_camel("display_name") == "displayName"
    assert lower_camel("ratio32") == "ratio32"
    assert lower_camel("x_1_y") == "x1Y"
    assert field_name("organization_id") == "organizationId"


def test_dart_words_and_generated_members_get_a_trailing_underscore() -> None:
    assert field_name("class") == "class_"
    assert field_name("in") == "in_"
    assert field_name("to_json") == "toJson_"
    assert field_name("hash_code") == "hashCode_"
    # `name` is free on a message (it is only taken on enums).
    assert field_name("name") == "name"


def test_nested_messages_are_flattened_and_core_types_not_shadowed() -> None:
    assert class_name(["Thing"]) == "Thing"
    assert class_name(["Thing", "Part", "Screw"]) == "Thing_Part_Screw"
    assert class_name(["List"]) == "List_"
    assert class_name(["Duration"]) == "Duration_"


def test_enum_values_lose_their_enum_prefix() -> None:
    assert enum_value_name("Audience", "AUDIENCE_PUBLIC") == "public"
    assert enum_value_name("UserStatus", "USER_STATUS_ACTIVE") == "active"
    assert enum_value_name("Level", "LEVEL_2FA") == "v2fa"
    assert enum_value_name("Colour", "COLOUR_DARK_BLUE") == "darkBlue"
    assert enum_value_name("Colour", "RED") == "red"  # no prefix to strip
    assert enum_value_name("Kind", "KIND_NAME") == "name_"  # Enum.name is taken
    assert enum_value_name("Kind", "KIND_VALUES") == "values_"


def test_import_prefixes_and_string_literals() -> None:
    assert import_prefix("janua/users/v1/user.proto") == "$janua_users_v1_user"
    assert dart_string("it's $5\\n") == "'it\\'s \\$5\\\\n'"
