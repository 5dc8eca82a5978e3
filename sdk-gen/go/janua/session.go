package janua

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	authv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/auth/v1"
)

// session signs calls in. Its per-RPC credentials attach "authorization: Bearer <access
// token>" to every RPC the contract does not mark public; its interceptor keeps the
// tokens that responses carry, empties the store after Logout, and when Janua refuses the
// access token (UNAUTHENTICATED + TOKEN_ERROR) refreshes it once and retries the call.
// Goroutines that hit a refused token together share one refresh: a refresh token works
// once, and presenting it twice makes Janua revoke the whole session.
type session struct {
	store     TokenStore
	secure    bool
	auth      authv1.AuthServiceClient
	refreshMu sync.Mutex
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (s *session) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if info, ok := credentials.RequestInfoFromContext(ctx); ok && IsPublic(info.Method) {
		return nil, nil
	}
	tokens := s.store.Get()
	if tokens == nil {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + tokens.AccessToken}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: tokens travel over
// TLS only, unless the client was made for a plaintext (loopback, test) target.
func (s *session) RequireTransportSecurity() bool { return s.secure }

func (s *session) intercept(ctx context.Context, method string, req, reply any,
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var used *Tokens
	if !IsPublic(method) {
		used = s.store.Get()
	}
	err := asError(invoker(ctx, method, req, reply, cc, opts...))
	if err != nil {
		janua, _ := err.(*Error)
		if used == nil || janua == nil || !janua.IsTokenError() {
			return err
		}
		fresh, refreshErr := s.refresh(ctx, *used)
		if refreshErr != nil {
			return refreshErr
		}
		if fresh == nil {
			return err
		}
		// The per-RPC credentials now read the fresh token from the store.
		if err := asError(invoker(ctx, method, req, reply, cc, opts...)); err != nil {
			return err
		}
	}
	s.observe(method, reply)
	return nil
}

func (s *session) observe(method string, reply any) {
	if method == authv1.AuthService_Logout_FullMethodName {
		s.store.Set(nil)
		return
	}
	if tokens := tokensIn(reply); tokens != nil {
		s.store.Set(tokens)
	}
}

// refresh returns tokens to replace stale: the store's, if another goroutine already
// replaced them, else those of one RefreshToken call. Nil when signed out meanwhile.
func (s *session) refresh(ctx context.Context, stale Tokens) (*Tokens, error) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	current := s.store.Get()
	if current == nil {
		return nil, nil
	}
	if current.AccessToken != stale.AccessToken {
		return current, nil
	}
	// RefreshToken is public: no access token is sent, and the interceptor stores the
	// pair it returns.
	response, err := s.auth.RefreshToken(ctx, &authv1.RefreshTokenRequest{RefreshToken: current.RefreshToken})
	if err != nil {
		if janua, ok := err.(*Error); ok && janua.IsTokenError() {
			s.store.Set(nil)
		}
		return nil, err
	}
	return &Tokens{AccessToken: response.GetTokens().GetAccessToken(), RefreshToken: response.GetTokens().GetRefreshToken()}, nil
}
