package janua_test

// The SDK scenario against a live Janua (JANUA_URL, started by sdk-gen/test): register →
// login → current user → stale access token → one automatic refresh shared by three
// concurrent calls → sessions → create organization → members → logout → the next call
// fails with *janua.Error carrying TOKEN_ERROR.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	authv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/auth/v1"
	orgsv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/orgs/v1"
	"github.com/janua-dev/janua/sdk-gen/go/janua"
)

const password = "correct horse battery staple"

// recordingStore is a custom token store: the memory store, counting writes.
type recordingStore struct {
	janua.MemoryTokenStore
	writes atomic.Int32
}

func (s *recordingStore) Set(tokens *janua.Tokens) {
	s.writes.Add(1)
	s.MemoryTokenStore.Set(tokens)
}

func serverURL(t *testing.T) string {
	url := os.Getenv("JANUA_URL")
	if url == "" {
		if os.Getenv("JANUA_SDK_REQUIRE_SERVER") != "" {
			t.Fatal("JANUA_URL is not set")
		}
		t.Skip("JANUA_URL is not set; run sdk-gen/test")
	}
	return url
}

// staleAccessToken moves the JWT's exp an hour into the past: expired, and its signature
// no longer matches, so Janua must refuse it with TOKEN_ERROR.
func staleAccessToken(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["exp"] = time.Now().Add(-time.Hour).Unix()
	payload, _ = json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

func requireTokenError(t *testing.T, err error, what string) {
	t.Helper()
	var januaErr *janua.Error
	if !errors.As(err, &januaErr) {
		t.Fatalf("%s: want *janua.Error, got %v", what, err)
	}
	if januaErr.Code != codes.Unauthenticated || januaErr.Reason != "TOKEN_ERROR" || januaErr.Domain != janua.ErrorDomain {
		t.Fatalf("%s: want UNAUTHENTICATED TOKEN_ERROR from janua, got %v (domain %q)", what, januaErr, januaErr.Domain)
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("%s: status.Code sees %v", what, status.Code(err))
	}
}

func TestScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store := &recordingStore{}
	client, err := janua.NewClient(ctx, serverURL(t), janua.WithTokenStore(store))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	unique := fmt.Sprintf("go-%d", time.Now().UnixNano())
	email := unique + "@example.com"

	registered, err := client.Auth.Register(ctx, &authv1.RegisterRequest{Email: email, Password: password, DisplayName: "Go"})
	if err != nil || registered.GetUser().GetEmail() != email || registered.GetTokens().GetAccessToken() == "" {
		t.Fatalf("register: %v %v", registered, err)
	}

	login, err := client.Auth.Login(ctx, &authv1.LoginRequest{Email: email, Password: password})
	if err != nil || store.Get() == nil || store.Get().AccessToken != login.GetTokens().GetAccessToken() {
		t.Fatalf("login: %v, store %v", err, store.Get())
	}

	me, err := client.Auth.GetCurrentUser(ctx, &authv1.GetCurrentUserRequest{})
	if err != nil || me.GetUser().GetId() != registered.GetUser().GetId() {
		t.Fatalf("current user: %v %v", me, err)
	}

	// Force an expired access token, then three calls at once: one refresh for all three.
	before := *store.Get()
	stale := staleAccessToken(t, before.AccessToken)
	store.Set(&janua.Tokens{AccessToken: stale, RefreshToken: before.RefreshToken})
	writesBefore := store.writes.Load()
	var wg sync.WaitGroup
	var again *authv1.GetCurrentUserResponse
	sessions := make([]*authv1.ListSessionsResponse, 2)
	errs := make([]error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		again, errs[0] = client.Auth.GetCurrentUser(ctx, &authv1.GetCurrentUserRequest{})
	}()
	for i := range sessions {
		go func() {
			defer wg.Done()
			sessions[i], errs[i+1] = client.Auth.ListSessions(ctx, &authv1.ListSessionsRequest{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("a call with the stale token: %v", err)
		}
	}
	after := store.Get()
	if got := store.writes.Load() - writesBefore; got != 1 {
		t.Fatalf("want exactly one refresh, the store was written %d times", got)
	}
	if after == nil || after.AccessToken == stale || after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken {
		t.Fatalf("tokens not replaced: %+v", after)
	}
	if again.GetUser().GetId() != registered.GetUser().GetId() {
		t.Fatal("the retried call did not answer")
	}

	current := 0
	for _, s := range sessions[0].GetSessions() {
		if s.GetCurrent() {
			current++
		}
	}
	if len(sessions[0].GetSessions()) < 2 || current != 1 || len(sessions[1].GetSessions()) != len(sessions[0].GetSessions()) {
		t.Fatalf("sessions: %v", sessions[0].GetSessions())
	}

	created, err := client.Orgs.CreateOrganization(ctx, &orgsv1.CreateOrganizationRequest{Name: "Acme", Slug: "acme-" + unique})
	if err != nil || created.GetOrganization().GetId() == "" || created.GetOrganization().GetName() != "Acme" {
		t.Fatalf("create organization: %v %v", created, err)
	}

	members, err := client.Orgs.ListMembers(ctx, &orgsv1.ListMembersRequest{OrganizationId: created.GetOrganization().GetId()})
	if err != nil || len(members.GetMembers()) != 1 ||
		members.GetMembers()[0].GetUserId() != registered.GetUser().GetId() || members.GetMembers()[0].GetRole() != "owner" {
		t.Fatalf("members: %v %v", members, err)
	}

	revoked := store.Get()
	if _, err := client.Auth.Logout(ctx, &authv1.LogoutRequest{}); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if store.Get() != nil {
		t.Fatal("logout left tokens in the store")
	}

	_, err = client.Auth.GetCurrentUser(ctx, &authv1.GetCurrentUserRequest{})
	requireTokenError(t, err, "the call after logout")
	// The tokens from before the logout are dead on the server too: refused, the refresh
	// fails, and the store ends up empty.
	store.Set(revoked)
	_, err = client.Auth.ListSessions(ctx, &authv1.ListSessionsRequest{})
	requireTokenError(t, err, "the logged-out tokens")
	if store.Get() != nil {
		t.Fatal("a failed refresh left tokens in the store")
	}
}

func TestWrongPasswordIsAnAuthenticationError(t *testing.T) {
	ctx := context.Background()
	client, err := janua.NewClient(ctx, serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.Auth.Login(ctx, &authv1.LoginRequest{Email: "nobody@example.com", Password: "wrong password 123"})
	if janua.Reason(err) != "AUTHENTICATION_ERROR" || status.Code(err) != codes.Unauthenticated {
		t.Fatalf("want AUTHENTICATION_ERROR, got %v", err)
	}
	if client.Tokens.Get() != nil {
		t.Fatal("a failed login stored tokens")
	}
}

func TestPublicRPCsComeFromTheContract(t *testing.T) {
	for method, public := range map[string]bool{
		authv1.AuthService_Login_FullMethodName:               true,
		authv1.AuthService_RefreshToken_FullMethodName:        true,
		authv1.AuthService_GetCurrentUser_FullMethodName:      false,
		orgsv1.OrganizationService_ListMembers_FullMethodName: false,
	} {
		if janua.IsPublic(method) != public {
			t.Errorf("IsPublic(%s) = %v", method, !public)
		}
	}
}
