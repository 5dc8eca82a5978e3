// Command go_oidc is a Go back end's view of Janua as an OpenID Provider, built only on
// github.com/coreos/go-oidc/v3 and golang.org/x/oauth2 (implementations independent of
// Janua's): it discovers the issuer, verifies an ID token (signature from the JWKS, iss,
// aud = the client id, exp, nonce, at_hash against the access token), verifies an RFC 9068
// access token (typ at+jwt, aud = the client's configured audience) from the same JWKS,
// reads the UserInfo endpoint through an oauth2.TokenSource and, given a confidential
// client, gets a client_credentials token with x/oauth2/clientcredentials and verifies it.
//
// Usage: go_oidc -issuer URL -client-id ID -id-token JWT -nonce N -access-token JWT
//
//	-audience AUD [-cc-client-id ID -cc-client-secret S -cc-audience AUD]
//
// Prints one JSON object of what it verified; exits non-zero on the first failure.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

type options struct {
	issuer, clientID, idToken, nonce, accessToken, audience string
	ccClientID, ccClientSecret, ccAudience                  string
}

func main() {
	var o options
	flag.StringVar(&o.issuer, "issuer", "", "the OpenID Provider's issuer URL")
	flag.StringVar(&o.clientID, "client-id", "", "the client the ID token was issued to")
	flag.StringVar(&o.idToken, "id-token", "", "an ID token")
	flag.StringVar(&o.nonce, "nonce", "", "the nonce the authorization request sent")
	flag.StringVar(&o.accessToken, "access-token", "", "the access token issued with the ID token")
	flag.StringVar(&o.audience, "audience", "", "the access token's expected audience")
	flag.StringVar(&o.ccClientID, "cc-client-id", "", "a confidential client (optional)")
	flag.StringVar(&o.ccClientSecret, "cc-client-secret", "", "its secret")
	flag.StringVar(&o.ccAudience, "cc-audience", "", "its access tokens' audience")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_oidc:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(seen); err != nil {
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (map[string]any, error) {
	if o.issuer == "" || o.clientID == "" || o.idToken == "" || o.accessToken == "" || o.audience == "" {
		return nil, errors.New("-issuer, -client-id, -id-token, -access-token and -audience are required")
	}
	provider, err := oidc.NewProvider(ctx, o.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	seen := map[string]any{"token_endpoint": provider.Endpoint().TokenURL}

	idToken, err := provider.Verifier(&oidc.Config{ClientID: o.clientID}).Verify(ctx, o.idToken)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	if idToken.Nonce != o.nonce {
		return nil, fmt.Errorf("ID token nonce %q, want %q", idToken.Nonce, o.nonce)
	}
	if idToken.AccessTokenHash == "" {
		return nil, errors.New("ID token has no at_hash")
	}
	if err := idToken.VerifyAccessToken(o.accessToken); err != nil {
		return nil, fmt.Errorf("at_hash: %w", err)
	}
	var idClaims map[string]any
	if err := idToken.Claims(&idClaims); err != nil {
		return nil, err
	}
	seen["id_token"] = idClaims

	accessClaims, err := verifyAccessToken(ctx, provider, o.accessToken, o.audience)
	if err != nil {
		return nil, fmt.Errorf("access token: %w", err)
	}
	seen["access_token"] = accessClaims

	userInfo, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{
		AccessToken: o.accessToken, TokenType: "Bearer",
	}))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	var userInfoClaims map[string]any
	if err := userInfo.Claims(&userInfoClaims); err != nil {
		return nil, err
	}
	seen["userinfo"] = userInfoClaims

	if o.ccClientID != "" {
		machine := clientcredentials.Config{
			ClientID:     o.ccClientID,
			ClientSecret: o.ccClientSecret,
			TokenURL:     provider.Endpoint().TokenURL,
		}
		token, err := machine.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("client_credentials: %w", err)
		}
		if _, ok := token.Extra("id_token").(string); ok {
			return nil, errors.New("client_credentials answered with an ID token")
		}
		claims, err := verifyAccessToken(ctx, provider, token.AccessToken, o.ccAudience)
		if err != nil {
			return nil, fmt.Errorf("client_credentials token: %w", err)
		}
		seen["client_credentials"] = claims
	}
	return seen, nil
}

// verifyAccessToken checks an RFC 9068 JWT access token against the provider's JWKS: the
// signature, iss, aud and exp through go-oidc's verifier, and the at+jwt type in its header
// (which go-oidc does not look at). It returns the token's claims.
func verifyAccessToken(ctx context.Context, provider *oidc.Provider, raw, audience string) (map[string]any, error) {
	typ, err := headerType(raw)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, fmt.Errorf("typ %q, want at+jwt", typ)
	}
	token, err := provider.Verifier(&oidc.Config{ClientID: audience}).Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := token.Claims(&claims); err != nil {
		return nil, err
	}
	claims["typ"] = typ
	return claims, nil
}

func headerType(raw string) (string, error) {
	header, _, ok := strings.Cut(raw, ".")
	if !ok {
		return "", errors.New("not a JWT")
	}
	decoded, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	var fields struct {
		Typ string `json:"typ"`
	}
	if err := json.Unmarshal(decoded, &fields); err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	return fields.Typ, nil
}
