// A confidential relying party built on `openid-client` 6 (an independent, certified
// implementation) against an OpenID Provider: discovery; the authorization code flow with
// PKCE S256, state and nonce, a person signing in through the hosted pages in headless
// Chromium with JavaScript off; the code exchange (openid-client checks the ID token, the
// RFC 9207 `iss` of the redirect, state and nonce); UserInfo; refresh-token rotation and
// reuse detection; single sign-on for a second authorization; introspection and
// revocation of access and refresh tokens; prompt=login (the password again) and
// prompt=none (at once, from the session); client_credentials. It prints the tokens of the
// prompt=none authorization, left live, for a back end to verify.
//
// Usage: node openid_client_flow.mjs '{"issuer", "client_id", "client_secret",
//   "redirect_uri", "email", "password", "totp_secret"?, "client_credentials_scope"?,
//   "pause_before_reuse"?, "clock_offset_ms"?}'
// With pause_before_reuse it writes "ready for reuse" to standard error after rotating a
// refresh token and waits for a line on standard input before replaying the old one (the
// caller may move the provider's clock past a grace window). Prints one JSON object of
// what it saw; exits non-zero on the first surprise.
import * as client from "openid-client";

import { launchChromium, serveOn, walkHostedPages } from "./browser.mjs";

const input = JSON.parse(process.argv[2] ?? "{}");
for (const field of ["issuer", "client_id", "client_secret", "redirect_uri", "email", "password"]) {
  if (!input[field]) throw new Error(`missing ${field}`);
}

const seen = {};
const config = await client.discovery(
  new URL(input.issuer),
  input.client_id,
  undefined,
  client.ClientSecretBasic(input.client_secret),
  { execute: [client.allowInsecureRequests] },
);
const metadata = config.serverMetadata();
seen.discovery = {
  issuer: metadata.issuer,
  authorization_endpoint: metadata.authorization_endpoint,
  token_endpoint: metadata.token_endpoint,
  userinfo_endpoint: metadata.userinfo_endpoint,
  revocation_endpoint: metadata.revocation_endpoint,
  introspection_endpoint: metadata.introspection_endpoint,
  end_session_endpoint: metadata.end_session_endpoint,
  code_challenge_methods_supported: metadata.code_challenge_methods_supported,
  authorization_response_iss_parameter_supported:
    metadata.authorization_response_iss_parameter_supported,
};

/** Header and claims of a JWT, or null for an opaque token. */
function decodeJwt(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const part = (p) => JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  return { header: part(parts[0]), claims: part(parts[1]) };
}

/** The OAuth error a failed call answered, as { error, status }. */
async function refusal(call) {
  try {
    await call();
    return { error: null };
  } catch (error) {
    return { error: error.error ?? error.code ?? error.message, status: error.status ?? null };
  }
}

const redirect = new URL(input.redirect_uri);
const callbackServer = await serveOn(Number(redirect.port));
const browser = await launchChromium();
const context = await browser.newContext({ javaScriptEnabled: false });
const page = await context.newPage();

/** One authorization code flow in the shared browser; returns the token response. */
async function authorize(label, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: input.redirect_uri,
    scope: "openid profile email offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  await page.goto(url.href);
  const walked = await walkHostedPages(page, {
    email: input.email,
    password: input.password,
    totpSecret: input.totp_secret,
    clockOffsetMs: input.clock_offset_ms,
    until: input.redirect_uri,
  });
  const back = new URL(walked.url);
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  seen[label] = {
    pages: walked.steps,
    redirect_has_iss: back.searchParams.get("iss") === metadata.issuer,
    token_type: tokens.token_type,
    scope: tokens.scope ?? null,
    has_refresh_token: Boolean(tokens.refresh_token),
    id_token: decodeJwt(tokens.id_token),
    access_token: decodeJwt(tokens.access_token),
  };
  return { tokens, nonce };
}

try {
  // 1. Sign in, exchange the code; 2. UserInfo with the access token.
  const first = await authorize("authorization_code");
  const claims = first.tokens.claims();
  const userinfo = await client.fetchUserInfo(config, first.tokens.access_token, claims.sub);
  seen.userinfo = userinfo;

  // 3. Rotation: a refresh gives a new refresh token; the old one replayed is refused and
  // takes the family with it.
  const rotated = await client.refreshTokenGrant(config, first.tokens.refresh_token);
  seen.refresh = {
    rotated: Boolean(rotated.refresh_token) && rotated.refresh_token !== first.tokens.refresh_token,
    new_access_token: rotated.access_token !== first.tokens.access_token,
    id_token: rotated.id_token ? decodeJwt(rotated.id_token).claims : null,
  };
  if (input.pause_before_reuse) {
    process.stderr.write("ready for reuse\n");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    process.stdin.pause();
  }
  seen.refresh.reuse_of_old = await refusal(() =>
    client.refreshTokenGrant(config, first.tokens.refresh_token),
  );
  seen.refresh.newest_after_reuse = await refusal(() =>
    client.refreshTokenGrant(config, rotated.refresh_token),
  );

  // 4. A second authorization rides the browser session (no sign-in page), then
  // introspection and revocation of its tokens.
  const second = await authorize("single_sign_on");
  const { access_token: access, refresh_token: refresh } = second.tokens;
  const introspect = async (token) => client.tokenIntrospection(config, token);
  seen.introspection = {
    access_active: await introspect(access),
    refresh_active: await introspect(refresh),
  };
  await client.tokenRevocation(config, access);
  seen.introspection.access_after_revocation = await introspect(access);
  await client.tokenRevocation(config, refresh);
  seen.introspection.refresh_after_revocation = await introspect(refresh);
  seen.introspection.refresh_grant_after_revocation = await refusal(() =>
    client.refreshTokenGrant(config, refresh),
  );
  seen.introspection.unknown_token_revocation = await refusal(() =>
    client.tokenRevocation(config, "not-a-token-janua-ever-issued"),
  );

  // 5. prompt=login asks for the password again despite the session; then prompt=none
  // answers at once from the session, and its tokens stay live: printed for a back end to
  // verify (tests/peers/go_oidc).
  await authorize("prompt_login", { prompt: "login" });
  const fresh = await authorize("fresh_sign_on", { prompt: "none" });
  seen.fresh_tokens = {
    id_token: fresh.tokens.id_token,
    access_token: fresh.tokens.access_token,
    nonce: fresh.nonce,
  };

  // 6. The machine side of the same client: client_credentials.
  const parameters = input.client_credentials_scope ? { scope: input.client_credentials_scope } : {};
  const machine = await client.clientCredentialsGrant(config, parameters);
  seen.client_credentials = {
    token_type: machine.token_type,
    has_refresh_token: Boolean(machine.refresh_token),
    has_id_token: Boolean(machine.id_token),
    access_token: decodeJwt(machine.access_token),
    active: (await introspect(machine.access_token)).active,
  };
  await client.tokenRevocation(config, machine.access_token);
  seen.client_credentials.after_revocation = await introspect(machine.access_token);
} finally {
  await browser.close();
  await callbackServer.close();
}
console.log(JSON.stringify(seen));
