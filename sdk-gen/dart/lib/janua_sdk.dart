/// Janua's Dart (Flutter) SDK: typed messages and REST clients generated from Janua's
/// contract, with bearer tokens and automatic refresh.
library;

export 'src/client.dart';
export 'src/runtime/transport.dart' show JanuaException, JanuaTransport, MemoryTokenStore, RestRoute, TokenStore, Tokens;
export 'src/gen/janua/audit/v1/audit_event.pb.dart';
export 'src/gen/janua/audit/v1/audit_service.pb.dart';
export 'src/gen/janua/auth/v1/auth.pb.dart';
export 'src/gen/janua/auth/v1/auth_service.pb.dart';
export 'src/gen/janua/imports/v1/import_run.pb.dart';
export 'src/gen/janua/imports/v1/imports_service.pb.dart';
export 'src/gen/janua/mfa/v1/factor.pb.dart';
export 'src/gen/janua/mfa/v1/mfa_service.pb.dart';
export 'src/gen/janua/oauth/v1/oauth_client.pb.dart';
export 'src/gen/janua/oauth/v1/oauth_service.pb.dart';
export 'src/gen/janua/orgs/v1/organization.pb.dart';
export 'src/gen/janua/orgs/v1/orgs_service.pb.dart';
export 'src/gen/janua/sso/v1/sso_connection.pb.dart';
export 'src/gen/janua/sso/v1/sso_service.pb.dart';
export 'src/gen/janua/users/v1/user.pb.dart';
export 'src/gen/janua/users/v1/users_service.pb.dart';
export 'src/gen/janua/webhooks/v1/webhook.pb.dart';
export 'src/gen/janua/webhooks/v1/webhooks_service.pb.dart';
