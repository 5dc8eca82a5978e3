// README example: sdk-gen/test checks that the README shows this file and that it parses;
// no Dart toolchain runs it there. Run it with `dart run example/main.dart`.
import 'dart:io';

import 'package:janua_sdk/janua_sdk.dart';

Future<void> main() async {
  final env = Platform.environment;
  final janua = JanuaClient(Uri.parse(env['JANUA_URL'] ?? 'http://127.0.0.1:4100')); // MemoryTokenStore by default
  try {
    final login = await janua.auth.login(LoginRequest(email: env['JANUA_EMAIL'] ?? '', password: env['JANUA_PASSWORD'] ?? ''));
    final challenge = login.mfaChallenge;
    if (challenge != null) { // the account has MFA: the challenge's answer brings the tokens
      await janua.mfa.verifyMfaChallenge(VerifyMfaChallengeRequest(challengeId: challenge.challengeId, totpCode: env['JANUA_TOTP_CODE'] ?? ''));
    }
    final me = await janua.auth.getCurrentUser(GetCurrentUserRequest()); // bearer token attached
    print('signed in as ${me.user?.email}');
    final org = await janua.orgs.createOrganization(CreateOrganizationRequest(name: 'Acme'));
    final members = await janua.orgs.listMembers(ListMembersRequest(organizationId: org.organization!.id));
    print('members of ${org.organization!.slug}: ${members.members.length}');
    await janua.auth.logout(LogoutRequest());
    await janua.auth.getCurrentUser(GetCurrentUserRequest());
  } on JanuaException catch (e) {
    print('after logout: ${e.status} ${e.reason}'); // 401 TOKEN_ERROR
  } finally {
    janua.close();
  }
}
