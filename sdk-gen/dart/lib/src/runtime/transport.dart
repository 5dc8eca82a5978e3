/// The HTTP side of the Dart SDK: sends a generated client's request to its REST route
/// (path variables, query or JSON body as the route's `google.api.http` annotation says),
/// attaches `authorization: Bearer <access token>` unless the route is public, keeps the
/// tokens that responses carry, and when Janua refuses the access token (401 with code
/// TOKEN_ERROR) refreshes it once — one refresh shared by concurrent calls, since a
/// refresh token works once and a reused one makes Janua revoke the session — and retries.
/// Hand-written; the routes come from `lib/src/gen`.
library;

import 'dart:async';
import 'dart:convert';

import 'package:http/http.dart' as http;

/// A method's REST route, generated from its `google.api.http` annotation.
class RestRoute {
  const RestRoute({
    required this.rpc,
    required this.httpMethod,
    required this.path,
    required this.body,
    required this.responseBody,
    required this.public,
    required this.tokensField,
  });

  /// `/package.Service/Method`.
  final String rpc;
  final String httpMethod;

  /// The path template, variables named by JSON field paths: `/api/v1/x/{orgId}`.
  final String path;

  /// `*` (the whole request), a field's JSON name, or empty (no body: a query string).
  final String body;

  /// The response field the HTTP body holds alone, or empty (the whole response).
  final String responseBody;

  /// Whether anyone may call it (`janua.options.v1.access`): no token is sent.
  final bool public;

  /// The response field holding the session's TokenPair, if any.
  final String? tokensField;
}

/// The two tokens of a signed-in session.
class Tokens {
  const Tokens(this.accessToken, this.refreshToken);
  final String accessToken;
  final String refreshToken;
}

/// Keeps one session's tokens between calls; null means signed out.
abstract class TokenStore {
  FutureOr<Tokens?> get();
  FutureOr<void> set(Tokens? tokens);
}

/// Keeps the tokens in memory (the default).
class MemoryTokenStore implements TokenStore {
  MemoryTokenStore([this._tokens]);
  Tokens? _tokens;

  @override
  Tokens? get() => _tokens;

  @override
  void set(Tokens? tokens) => _tokens = tokens;
}

/// A failed call: the HTTP status, Janua's stable error code (`TOKEN_ERROR`,
/// `NOT_FOUND_ERROR`, ...), its message, request id and details.
class JanuaException implements Exception {
  JanuaException(this.status, this.reason, this.message, {this.requestId, this.details = const []});

  final int status;
  final String reason;
  final String message;
  final String? requestId;
  final List<Object?> details;

  bool get isTokenError => status == 401 && reason == 'TOKEN_ERROR';

  @override
  String toString() => 'JanuaException($status $reason): $message';
}

/// Calls REST routes for the generated clients.
class JanuaTransport {
  JanuaTransport(this.baseUrl, {required this.tokenStore, http.Client? httpClient, this.signOutRpcs = const {}})
      : _http = httpClient ?? http.Client();

  final Uri baseUrl;
  final TokenStore tokenStore;

  /// RPCs whose success ends the session: the store is emptied after them.
  final Set<String> signOutRpcs;
  final http.Client _http;

  /// Exchanges a refresh token for new tokens; set by the client that owns this transport.
  Future<Tokens> Function(String refreshToken)? rotate;
  Future<Tokens?>? _inFlight;

  Future<T> call<T>(RestRoute route, Map<String, Object?> request, T Function(Map<String, Object?>) decode) async {
    final used = route.public ? null : await tokenStore.get();
    Map<String, Object?> json;
    try {
      json = await _send(route, request, used);
    } on JanuaException catch (err) {
      if (used == null || !err.isTokenError || rotate == null) rethrow;
      final fresh = await _refresh(used);
      if (fresh == null) rethrow;
      json = await _send(route, request, fresh);
    }
    if (signOutRpcs.contains(route.rpc)) {
      await tokenStore.set(null);
    } else if (route.tokensField != null) {
      final pair = json[route.tokensField];
      if (pair is Map) {
        final access = pair['access_token'] ?? pair['accessToken'];
        final refresh = pair['refresh_token'] ?? pair['refreshToken'];
        if (access is String && access.isNotEmpty && refresh is String) {
          await tokenStore.set(Tokens(access, refresh));
        }
      }
    }
    return decode(json);
  }

  /// Fresh tokens to replace [stale]: the store's if already replaced, else one refresh
  /// shared by every caller that arrives while it runs. Null when signed out meanwhile.
  Future<Tokens?> _refresh(Tokens stale) {
    return _inFlight ??= _decide(stale).whenComplete(() => _inFlight = null);
  }

  Future<Tokens?> _decide(Tokens stale) async {
    final current = await tokenStore.get();
    if (current == null) return null;
    if (current.accessToken != stale.accessToken) return current;
    try {
      return await rotate!(current.refreshToken);
    } on JanuaException catch (err) {
      if (err.isTokenError) await tokenStore.set(null);
      rethrow;
    }
  }

  Future<Map<String, Object?>> _send(RestRoute route, Map<String, Object?> request, Tokens? tokens) async {
    final remaining = Map<String, Object?>.from(request);
    final path = route.path.replaceAllMapped(RegExp(r'\{([^}=]+)(=[^}]*)?\}'), (m) {
      final value = _take(remaining, m[1]!);
      final text = value == null ? '' : '$value';
      return m[2] != null && m[2]!.contains('/')
          ? text.split('/').map(Uri.encodeComponent).join('/')
          : Uri.encodeComponent(text);
    });
    Object? body;
    if (route.body == '*') {
      body = remaining;
      remaining.clear();
    } else if (route.body.isNotEmpty) {
      body = remaining.remove(route.body) ?? <String, Object?>{};
    }
    final query = <String, List<String>>{};
    _flatten('', remaining, query);
    var uri = baseUrl.resolve(path);
    if (query.isNotEmpty) uri = uri.replace(queryParameters: query);
    final httpRequest = http.Request(route.httpMethod, uri)
      ..headers['accept'] = 'application/json';
    if (tokens != null) httpRequest.headers['authorization'] = 'Bearer ${tokens.accessToken}';
    if (body != null) {
      httpRequest.headers['content-type'] = 'application/json';
      httpRequest.body = jsonEncode(body);
    }
    final response = await http.Response.fromStream(await _http.send(httpRequest));
    final decoded = response.body.isEmpty ? null : jsonDecode(utf8.decode(response.bodyBytes));
    if (response.statusCode >= 400) throw _error(response, decoded);
    final json = decoded is Map ? Map<String, Object?>.from(decoded) : <String, Object?>{};
    return route.responseBody.isEmpty ? json : <String, Object?>{route.responseBody: decoded};
  }

  static Object? _take(Map<String, Object?> json, String path) {
    final parts = path.split('.');
    Map<String, Object?> node = json;
    for (final part in parts.take(parts.length - 1)) {
      final next = node[part];
      if (next is! Map<String, Object?>) return null;
      node = next;
    }
    return node.remove(parts.last);
  }

  static void _flatten(String prefix, Map<String, Object?> json, Map<String, List<String>> query) {
    json.forEach((key, value) {
      final name = prefix.isEmpty ? key : '$prefix.$key';
      if (value is Map<String, Object?>) {
        _flatten(name, value, query);
      } else if (value is List) {
        query[name] = value.map((v) => '$v').toList();
      } else if (value != null) {
        query[name] = ['$value'];
      }
    });
  }

  static JanuaException _error(http.Response response, Object? decoded) {
    final error = decoded is Map ? decoded['error'] : null;
    if (error is Map) {
      return JanuaException(
        response.statusCode,
        '${error['code'] ?? ''}',
        '${error['message'] ?? ''}',
        requestId: error['request_id'] as String?,
        details: (error['details'] as List?) ?? const [],
      );
    }
    return JanuaException(response.statusCode, '', response.reasonPhrase ?? 'HTTP ${response.statusCode}');
  }

  void close() => _http.close();
}
