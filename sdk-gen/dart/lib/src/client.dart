/// `JanuaClient`: one generated client per service on one transport, wired for refresh.
library;

import 'package:http/http.dart' as http;

import 'gen/janua/audit/v1/audit_service.pb.dart';
import 'gen/janua/auth/v1/auth_service.pb.dart';
import 'gen/janua/mfa/v1/mfa_service.pb.dart';
import 'gen/janua/oauth/v1/oauth_service.pb.dart';
import 'gen/janua/orgs/v1/orgs_service.pb.dart';
import 'gen/janua/sso/v1/sso_service.pb.dart';
import 'gen/janua/users/v1/users_service.pb.dart';
import 'gen/janua/imports/v1/imports_service.pb.dart';
import 'gen/janua/webhooks/v1/webhooks_service.pb.dart';
import 'runtime/transport.dart';

class JanuaClient {
  /// A client for Janua at [baseUrl] (e.g. `https://id.example.com`) over its REST routes.
  JanuaClient(Uri baseUrl, {TokenStore? tokenStore, http.Client? httpClient})
      : transport = JanuaTransport(
          baseUrl,
          tokenStore: tokenStore ?? MemoryTokenStore(),
          httpClient: httpClient,
          signOutRpcs: const {'/janua.auth.v1.AuthService/Logout'},
        ) {
    auth = AuthServiceClient(transport);
    users = UserServiceClient(transport);
    orgs = OrganizationServiceClient(transport);
    mfa = MfaServiceClient(transport);
    sso = SsoServiceClient(transport);
    audit = AuditServiceClient(transport);
    oauthClients = OAuthClientServiceClient(transport);
    webhooks = WebhookServiceClient(transport);
    imports = ImportServiceClient(transport);
    // RefreshToken is public: sent without the stale access token; the transport keeps
    // the pair it returns.
    transport.rotate = (refreshToken) async {
      final response = await auth.refreshToken(RefreshTokenRequest(refreshToken: refreshToken));
      final tokens = response.tokens;
      if (tokens == null) throw StateError('RefreshToken returned no tokens');
      return Tokens(tokens.accessToken, tokens.refreshToken);
    };
  }

  final JanuaTransport transport;
  late final AuthServiceClient auth;
  late final UserServiceClient users;
  late final OrganizationServiceClient orgs;
  late final MfaServiceClient mfa;
  late final SsoServiceClient sso;
  late final AuditServiceClient audit;
  late final OAuthClientServiceClient oauthClients;
  late final WebhookServiceClient webhooks;
  late final ImportServiceClient imports;

  TokenStore get tokenStore => transport.tokenStore;

  void close() => transport.close();
}
