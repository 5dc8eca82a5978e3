package janua

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	auditv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/audit/v1"
	authv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/auth/v1"
	mfav1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/mfa/v1"
	oauthv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/oauth/v1"
	optionsv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/options/v1"
	orgsv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/orgs/v1"
	ssov1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/sso/v1"
	usersv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/users/v1"
	webhooksv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/webhooks/v1"
)

// What the client reads from the contract's descriptors rather than from a list of RPCs:
// which RPCs are public (janua.options.v1.access), and which responses carry a
// janua.auth.v1.TokenPair named "tokens".

var serviceFiles = []protoreflect.FileDescriptor{
	authv1.File_janua_auth_v1_auth_service_proto,
	usersv1.File_janua_users_v1_users_service_proto,
	orgsv1.File_janua_orgs_v1_orgs_service_proto,
	mfav1.File_janua_mfa_v1_mfa_service_proto,
	ssov1.File_janua_sso_v1_sso_service_proto,
	auditv1.File_janua_audit_v1_audit_service_proto,
	oauthv1.File_janua_oauth_v1_oauth_service_proto,
	webhooksv1.File_janua_webhooks_v1_webhooks_service_proto,
}

var publicMethods = func() map[string]bool {
	public := map[string]bool{}
	for _, file := range serviceFiles {
		services := file.Services()
		for i := 0; i < services.Len(); i++ {
			methods := services.Get(i).Methods()
			for j := 0; j < methods.Len(); j++ {
				method := methods.Get(j)
				access, _ := proto.GetExtension(method.Options(), optionsv1.E_Access).(*optionsv1.Access)
				if access.GetAudience() == optionsv1.Audience_AUDIENCE_PUBLIC {
					public["/"+string(services.Get(i).FullName())+"/"+string(method.Name())] = true
				}
			}
		}
	}
	return public
}()

// IsPublic tells whether anyone may call method ("/janua.auth.v1.AuthService/Login"):
// the client sends no token to it.
func IsPublic(method string) bool { return publicMethods[method] }

var tokenPairName = (&authv1.TokenPair{}).ProtoReflect().Descriptor().FullName()

// tokensIn returns the token pair a response carries in a "tokens" field, if any.
func tokensIn(reply any) *Tokens {
	message, ok := reply.(proto.Message)
	if !ok {
		return nil
	}
	m := message.ProtoReflect()
	field := m.Descriptor().Fields().ByName("tokens")
	if field == nil || field.Message() == nil || field.Message().FullName() != tokenPairName || !m.Has(field) {
		return nil
	}
	pair, ok := m.Get(field).Message().Interface().(*authv1.TokenPair)
	if !ok || pair.GetAccessToken() == "" {
		return nil
	}
	return &Tokens{AccessToken: pair.GetAccessToken(), RefreshToken: pair.GetRefreshToken()}
}
