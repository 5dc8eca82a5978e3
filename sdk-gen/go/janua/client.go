// Package janua is the Go client for Janua: the gRPC clients generated from Janua's
// contract (../gen), on one connection that signs calls in with per-RPC credentials and
// refreshes the access token when Janua refuses it.
//
//	client, err := janua.NewClient(ctx, "id.example.com:443")
//	_, err = client.Auth.Login(ctx, &authv1.LoginRequest{Email: email, Password: password})
//	me, err := client.Auth.GetCurrentUser(ctx, &authv1.GetCurrentUserRequest{})
//
// Failed calls return *janua.Error (errors.As), which carries the gRPC code and Janua's
// stable error reason; status.Code(err) works too.
package janua

import (
	"context"
	"crypto/tls"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	auditv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/audit/v1"
	authv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/auth/v1"
	importsv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/imports/v1"
	mfav1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/mfa/v1"
	oauthv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/oauth/v1"
	orgsv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/orgs/v1"
	ssov1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/sso/v1"
	usersv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/users/v1"
	webhooksv1 "github.com/janua-dev/janua/sdk-gen/go/gen/janua/webhooks/v1"
)

// Client holds one generated client per Janua service, all on one connection.
type Client struct {
	Auth         authv1.AuthServiceClient
	Users        usersv1.UserServiceClient
	Orgs         orgsv1.OrganizationServiceClient
	Mfa          mfav1.MfaServiceClient
	Sso          ssov1.SsoServiceClient
	Audit        auditv1.AuditServiceClient
	OAuthClients oauthv1.OAuthClientServiceClient
	Webhooks     webhooksv1.WebhookServiceClient
	Imports      importsv1.ImportServiceClient
	Tokens       TokenStore
	conn         *grpc.ClientConn
}

type config struct {
	store       TokenStore
	transport   credentials.TransportCredentials
	dialOptions []grpc.DialOption
}

// Option configures NewClient.
type Option func(*config)

// WithTokenStore keeps the session's tokens in store (default: a MemoryTokenStore).
func WithTokenStore(store TokenStore) Option { return func(c *config) { c.store = store } }

// WithTransportCredentials sets the connection's credentials (default: TLS for
// "https://" targets, plaintext for "http://" and bare "host:port" targets).
func WithTransportCredentials(creds credentials.TransportCredentials) Option {
	return func(c *config) { c.transport = creds }
}

// WithDialOptions adds gRPC dial options (interceptors, keepalive, ...).
func WithDialOptions(options ...grpc.DialOption) Option {
	return func(c *config) { c.dialOptions = append(c.dialOptions, options...) }
}

// NewClient returns a client for Janua at target: "host:port" (plaintext), or
// "http://host:port" / "https://host[:port]". The connection is made lazily, on the
// first call; ctx is not kept.
func NewClient(_ context.Context, target string, opts ...Option) (*Client, error) {
	cfg := config{store: NewMemoryTokenStore()}
	for _, opt := range opts {
		opt(&cfg)
	}
	address, secure := parseTarget(target)
	if cfg.transport == nil {
		if secure {
			cfg.transport = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
		} else {
			cfg.transport = insecure.NewCredentials()
		}
	}
	s := &session{store: cfg.store, secure: cfg.transport.Info().SecurityProtocol == "tls"}
	dial := append([]grpc.DialOption{
		grpc.WithTransportCredentials(cfg.transport),
		grpc.WithPerRPCCredentials(s),
		grpc.WithChainUnaryInterceptor(s.intercept),
	}, cfg.dialOptions...)
	conn, err := grpc.NewClient(address, dial...)
	if err != nil {
		return nil, err
	}
	s.auth = authv1.NewAuthServiceClient(conn)
	return &Client{
		Auth:         s.auth,
		Users:        usersv1.NewUserServiceClient(conn),
		Orgs:         orgsv1.NewOrganizationServiceClient(conn),
		Mfa:          mfav1.NewMfaServiceClient(conn),
		Sso:          ssov1.NewSsoServiceClient(conn),
		Audit:        auditv1.NewAuditServiceClient(conn),
		OAuthClients: oauthv1.NewOAuthClientServiceClient(conn),
		Webhooks:     webhooksv1.NewWebhookServiceClient(conn),
		Imports:      importsv1.NewImportServiceClient(conn),
		Tokens:       cfg.store,
		conn:         conn,
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

func parseTarget(target string) (address string, secure bool) {
	switch {
	case strings.HasPrefix(target, "https://"):
		host := strings.TrimSuffix(strings.TrimPrefix(target, "https://"), "/")
		if !strings.Contains(host, ":") {
			host += ":443"
		}
		return host, true
	case strings.HasPrefix(target, "http://"):
		return strings.TrimSuffix(strings.TrimPrefix(target, "http://"), "/"), false
	default:
		return target, false
	}
}
