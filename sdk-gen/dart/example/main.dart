// The README's example as a program: `dart run example/main.dart https://id.example.com`.
import 'package:janua_sdk/janua_sdk.dart';

Future<void> main(List<String> args) async {
  final janua = JanuaClient(Uri.parse(args.isEmpty ? 'http://127.0.0.1:4100' : args.first));
  try {
    await janua.auth.login(LoginRequest(email: 'ada@example.com', password: 'correct horse battery'));
    final me = await janua.auth.getCurrentUser(GetCurrentUserRequest());
    final org = await janua.orgs.createOrganization(CreateOrganizationRequest(name: 'Acme'));
    final members = await janua.orgs.listMembers(ListMembersRequest(organizationId: org.organization!.id));
    print('${me.user?.email}: ${members.members.length} member(s) in ${org.organization!.name}');
    await janua.auth.logout(LogoutRequest());
  } on JanuaException catch (e) {
    print('${e.status} ${e.reason}: ${e.message}');
  } finally {
    janua.close();
  }
}
