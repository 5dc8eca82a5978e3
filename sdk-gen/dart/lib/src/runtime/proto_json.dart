/// The proto3 JSON mapping, value by value: what the generated `fromJson` and `toJson`
/// methods call. Readers accept what the mapping allows (numbers or strings for 64-bit
/// integers, names or numbers for enums, standard or URL-safe base64); writers produce
/// the canonical form. Hand-written; `lib/src/gen` is generated.
library;

import 'dart:convert';

/// A field of a JSON object by its JSON name or, failing that, its proto name.
Object? field(Map<String, Object?> json, String jsonName, String protoName) =>
    json.containsKey(jsonName) ? json[jsonName] : json[protoName];

String string(Object? raw) => raw == null ? '' : raw as String;

bool boolean(Object? raw) => raw == null ? false : raw as bool;

int int32(Object? raw) => raw == null ? 0 : (raw is String ? int.parse(raw) : (raw as num).toInt());

int int64(Object? raw) => raw == null ? 0 : (raw is String ? int.parse(raw) : (raw as num).toInt());

double float(Object? raw) {
  if (raw == null) return 0;
  if (raw is num) return raw.toDouble();
  switch (raw as String) {
    case 'NaN':
      return double.nan;
    case 'Infinity':
      return double.infinity;
    case '-Infinity':
      return double.negativeInfinity;
    default:
      return double.parse(raw);
  }
}

Object floatOut(double value) {
  if (value.isNaN) return 'NaN';
  if (value == double.infinity) return 'Infinity';
  if (value == double.negativeInfinity) return '-Infinity';
  return value;
}

List<int> bytes(Object? raw) {
  if (raw == null) return const <int>[];
  var text = (raw as String).replaceAll('-', '+').replaceAll('_', '/');
  text = text.padRight((text.length + 3) ~/ 4 * 4, '=');
  return base64.decode(text);
}

String bytesOut(List<int> value) => base64.encode(value);

/// google.protobuf.Timestamp: an RFC 3339 string in UTC.
DateTime? timestamp(Object? raw) => raw == null ? null : DateTime.parse(raw as String).toUtc();

String timestampOut(DateTime value) {
  final utc = value.toUtc();
  final text = utc.toIso8601String(); // 2024-01-02T03:04:05.678Z
  return text.endsWith('.000Z') ? '${text.substring(0, text.length - 5)}Z' : text;
}

/// google.protobuf.Duration: seconds with an `s` suffix, e.g. `"1.5s"`.
Duration? duration(Object? raw) {
  if (raw == null) return null;
  final text = (raw as String);
  if (!text.endsWith('s')) throw FormatException('not a Duration', text);
  final seconds = double.parse(text.substring(0, text.length - 1));
  return Duration(microseconds: (seconds * Duration.microsecondsPerSecond).round());
}

String durationOut(Duration value) {
  final micros = value.inMicroseconds;
  final sign = micros < 0 ? '-' : '';
  final abs = micros.abs();
  final whole = abs ~/ Duration.microsecondsPerSecond;
  final fraction = abs % Duration.microsecondsPerSecond;
  if (fraction == 0) return '$sign${whole}s';
  final digits = fraction.toString().padLeft(6, '0').replaceAll(RegExp(r'0+$'), '');
  return '$sign$whole.${digits}s';
}

/// google.protobuf.FieldMask: one string of comma-separated lowerCamelCase paths; held as
/// the contract's snake_case paths.
List<String>? fieldMask(Object? raw) {
  if (raw == null) return null;
  final text = raw as String;
  if (text.isEmpty) return <String>[];
  return text.split(',').map(_snakePath).toList();
}

String fieldMaskOut(List<String> paths) => paths.map(_camelPath).join(',');

String _camelPath(String path) => path.replaceAllMapped(RegExp(r'_([a-z0-9])'), (m) => m[1]!.toUpperCase());

String _snakePath(String path) => path.replaceAllMapped(RegExp(r'[A-Z]'), (m) => '_${m[0]!.toLowerCase()}');

/// google.protobuf.Struct (and Any, Empty): a JSON object as it is.
Map<String, Object?>? struct(Object? raw) => raw == null ? null : Map<String, Object?>.from(raw as Map);

/// google.protobuf.Value: any JSON value.
Object? value(Object? raw) => raw;

/// google.protobuf.ListValue: a JSON array.
List<Object?>? listValue(Object? raw) => raw == null ? null : List<Object?>.from(raw as List);

T? message<T>(Object? raw, T Function(Map<String, Object?>) decode) =>
    raw == null ? null : decode(Map<String, Object?>.from(raw as Map));

List<T> list<T>(Object? raw, T Function(Object?) item) =>
    raw == null ? <T>[] : (raw as List).map(item).toList();

Map<K, V> map<K, V>(Object? raw, K Function(String) key, V Function(Object?) item) => raw == null
    ? <K, V>{}
    : (raw as Map).map((k, v) => MapEntry(key(k as String), item(v)));

int intKey(String key) => int.parse(key);

bool boolKey(String key) => key == 'true';
