// Sends the same requests to Janua and to node `oidc-provider` (the reference OpenID
// Provider, started here in-process with the same clients: same client ids, secret,
// redirect URIs and post-logout redirect URIs, PKCE required for the public client) and
// prints, for each, what each provider answered, as a Markdown table (request | Janua |
// oidc-provider | same?) or, with --json, as { rows: [{ request, janua, reference, same }] }.
// Answers are summarised (status, redirect target and its OAuth error, the error code of a
// JSON body, the presence of a header), never the providers' own wording.
//
// Usage: node compare_with_oidc_provider.mjs [--json] '{"issuer",
//   "confidential": {"client_id", "client_secret", "redirect_uri", "post_logout_redirect_uri"},
//   "public": {"client_id", "redirect_uri", "post_logout_redirect_uri"}}'
// Without the JSON argument a second oidc-provider stands in for Janua (for developing
// this script).
import { startReferenceProvider } from "./reference_provider.mjs";

const args = process.argv.slice(2);
const asJson = args.includes("--json");
const given = args.find((a) => a !== "--json");

const standIn = {
  issuer: null,
  confidential: {
    client_id: "confidential-client",
    client_secret: "a+secret/with:specials",
    redirect_uri: "http://localhost:8765/callback",
    post_logout_redirect_uri: "http://localhost:8765/",
  },
  public: {
    client_id: "public-client",
    redirect_uri: "http://localhost:8765/callback.html",
    post_logout_redirect_uri: "http://localhost:8765/signed-out.html",
  },
};
const janua = given ? JSON.parse(given) : standIn;
const { confidential, public: spa } = janua;
const clients = [
  {
    client_id: confidential.client_id,
    client_secret: confidential.client_secret,
    redirect_uris: [confidential.redirect_uri],
    post_logout_redirect_uris: [confidential.post_logout_redirect_uri],
    grant_types: ["authorization_code", "refresh_token", "client_credentials"],
  },
  {
    client_id: spa.client_id,
    redirect_uris: [spa.redirect_uri],
    post_logout_redirect_uris: [spa.post_logout_redirect_uri],
    grant_types: ["authorization_code", "refresh_token"],
    skip_consent: true,
  },
];
const users = [{ id: "u1", email: "ada@example.com", password: "correct horse battery", name: "Ada" }];
const reference = await startReferenceProvider({ clients, users });
const standInProvider = given ? null : await startReferenceProvider({ clients, users });
const januaIssuer = given ? janua.issuer : standInProvider.issuer;

async function discover(issuer) {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery of ${issuer}: ${response.status}`);
  return response.json();
}
const providers = {
  janua: { issuer: januaIssuer, meta: await discover(januaIssuer) },
  reference: { issuer: reference.issuer, meta: await discover(reference.issuer) },
};

const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636 appendix B
const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

/** The authorization request of `client` with `overrides` (undefined values dropped). */
function authorizeUrl(meta, client, overrides = {}) {
  const params = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    scope: "openid",
    state: "xyz",
    nonce: "n-0S6",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...overrides,
  };
  const url = new URL(meta.authorization_endpoint);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url;
}

/** Where an authorization answer sent the browser, or what it showed. */
async function authorizeAnswer(provider, client, overrides) {
  return classify(provider, client, await fetch(authorizeUrl(provider.meta, client, overrides), { redirect: "manual" }));
}

/** An authorization endpoint's `response`, summarised. */
function classify(provider, client, response) {
  const location = response.headers.get("location");
  if (!location) {
    const type = response.headers.get("content-type") ?? "";
    return `${response.status} ${type.includes("html") ? "error page" : type.split(";")[0]}`;
  }
  const target = new URL(location, provider.issuer);
  const registered = new URL(client.redirect_uri);
  if (target.origin === registered.origin && target.pathname === registered.pathname) {
    const query = new URLSearchParams(target.search || target.hash.slice(1));
    const what = query.get("error") ? `error=${query.get("error")}` : query.get("code") ? "code" : "?";
    const extras = [query.has("state") && "state", query.has("iss") && "iss"].filter(Boolean);
    return `${response.status} → redirect_uri ${what}${extras.length ? ` (+${extras.join(", ")})` : ""}`;
  }
  if (target.origin === new URL(provider.issuer).origin) return `${response.status} → own sign-in page`;
  return `${response.status} → ${target.origin}${target.pathname}`;
}

/** A form POST to the provider's `endpoint` (a metadata field). */
async function post(provider, endpoint, fields, headers = {}) {
  return fetch(provider.meta[endpoint], {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields),
  });
}

/** Status, OAuth error code and the scheme of WWW-Authenticate, if any. */
async function oauthAnswer(response, { body = false } = {}) {
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  const parts = [String(response.status)];
  if (body) parts.push(text.trim() === "" ? "(empty)" : JSON.stringify(json ?? text.slice(0, 40)));
  else if (json?.error) parts.push(json.error);
  const challenge = response.headers.get("www-authenticate");
  if (challenge) parts.push(`WWW-Authenticate: ${challenge.split(/[ ,]/u)[0]}`);
  return parts.join(" ");
}

const conf = (provider) => ({ ...confidential, issuer: provider.issuer });
const redirectVariant = (change) => (p) =>
  authorizeAnswer(p, confidential, { redirect_uri: change(confidential.redirect_uri) });

const cases = [
  ["authorize: valid request, no session", (p) => authorizeAnswer(p, confidential)],
  ["authorize: unknown client_id", (p) => authorizeAnswer(p, confidential, { client_id: "00000000-0000-7000-8000-000000000000" })],
  ["authorize: redirect_uri with a suffix", redirectVariant((u) => `${u}x`)],
  ["authorize: redirect_uri with a trailing slash", redirectVariant((u) => `${u}/`)],
  ["authorize: redirect_uri in another case", redirectVariant((u) => u.replace("/callback", "/CallBack"))],
  ["authorize: redirect_uri with an extra query", redirectVariant((u) => `${u}?extra=1`)],
  ["authorize: redirect_uri on another port (a localhost URI)", redirectVariant((u) => u.replace(/:\d+/u, ":8999"))],
  ["authorize: no redirect_uri", (p) => authorizeAnswer(p, confidential, { redirect_uri: undefined })],
  ["authorize: response_type=token (implicit)", (p) => authorizeAnswer(p, confidential, { response_type: "token" })],
  ["authorize: response_type=code id_token (hybrid)", (p) => authorizeAnswer(p, confidential, { response_type: "code id_token" })],
  ["authorize: no response_type", (p) => authorizeAnswer(p, confidential, { response_type: undefined })],
  ["authorize: public client without PKCE", (p) => authorizeAnswer(p, spa, { code_challenge: undefined, code_challenge_method: undefined })],
  ["authorize: confidential client without PKCE", (p) => authorizeAnswer(p, confidential, { code_challenge: undefined, code_challenge_method: undefined })],
  ["authorize: code_challenge_method=plain", (p) => authorizeAnswer(p, spa, { code_challenge_method: "plain" })],
  ["authorize: code_challenge without method", (p) => authorizeAnswer(p, spa, { code_challenge_method: undefined })],
  ["authorize: prompt=none without a session", (p) => authorizeAnswer(p, confidential, { prompt: "none" })],
  ["authorize: unknown scope", (p) => authorizeAnswer(p, confidential, { scope: "openid unheard-of" })],
  ["authorize: no openid scope", (p) => authorizeAnswer(p, confidential, { scope: "profile" })],
  ["authorize: the same request by POST (form)", async (p) => {
    const url = authorizeUrl(p.meta, confidential);
    const response = await fetch(p.meta.authorization_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: url.searchParams,
      redirect: "manual",
    });
    return classify(p, confidential, response);
  }],
  ["authorize: no nonce", (p) => authorizeAnswer(p, confidential, { nonce: undefined })],
  ["authorize: max_age=0 without a session", (p) => authorizeAnswer(p, confidential, { max_age: "0" })],
  ["authorize: no scope", (p) => authorizeAnswer(p, confidential, { scope: undefined })],
  ["authorize: unknown prompt value", (p) => authorizeAnswer(p, confidential, { prompt: "sideways" })],
  ["authorize: prompt=none login (contradictory)", (p) => authorizeAnswer(p, confidential, { prompt: "none login" })],
  ["authorize: response_mode=fragment", (p) => authorizeAnswer(p, confidential, { response_mode: "fragment" })],
  ["authorize: response_mode=form_post", (p) => authorizeAnswer(p, confidential, { response_mode: "form_post" })],
  ["authorize: request object (request=)", (p) => authorizeAnswer(p, confidential, { request: "eyJhbGciOiJub25lIn0.e30." })],
  ["authorize: state given twice", async (p) => {
    const url = authorizeUrl(p.meta, confidential);
    url.searchParams.append("state", "again");
    return classify(p, confidential, await fetch(url, { redirect: "manual" }));
  }],
  ["token: wrong client secret (basic)", (p) => post(p, "token_endpoint", { grant_type: "authorization_code", code: "x", redirect_uri: confidential.redirect_uri }, { authorization: basic(confidential.client_id, "wrong") }).then(oauthAnswer)],
  ["token: unknown client (basic)", (p) => post(p, "token_endpoint", { grant_type: "client_credentials" }, { authorization: basic("unknown-client", "secret") }).then(oauthAnswer)],
  ["token: no client authentication", (p) => post(p, "token_endpoint", { grant_type: "client_credentials" }).then(oauthAnswer)],
  ["token: secret both in Basic and in the body", (p) => post(p, "token_endpoint", { grant_type: "client_credentials", client_id: confidential.client_id, client_secret: confidential.client_secret }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(oauthAnswer)],
  ["token: form body sent as JSON", (p) => fetch(p.meta.token_endpoint, { method: "POST", headers: { "content-type": "application/json", authorization: basic(confidential.client_id, confidential.client_secret) }, body: JSON.stringify({ grant_type: "client_credentials" }) }).then(oauthAnswer)],
  ["token: GET instead of POST", (p) => fetch(`${p.meta.token_endpoint}?grant_type=client_credentials`, { headers: { authorization: basic(confidential.client_id, confidential.client_secret) } }).then(oauthAnswer)],
  ["token: unsupported grant_type", (p) => post(p, "token_endpoint", { grant_type: "urn:example:unheard-of" }, { authorization: basic(conf(p).client_id, confidential.client_secret) }).then(oauthAnswer)],
  ["token: password grant", (p) => post(p, "token_endpoint", { grant_type: "password", username: "ada@example.com", password: "x" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(oauthAnswer)],
  ["token: no grant_type", (p) => post(p, "token_endpoint", {}, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(oauthAnswer)],
  ["token: invalid authorization code", (p) => post(p, "token_endpoint", { grant_type: "authorization_code", code: "not-a-code", redirect_uri: confidential.redirect_uri }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(oauthAnswer)],
  ["token: invalid refresh token", (p) => post(p, "token_endpoint", { grant_type: "refresh_token", refresh_token: "not-a-token" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(oauthAnswer)],
  ["token: client_credentials by a public client", (p) => post(p, "token_endpoint", { grant_type: "client_credentials", client_id: spa.client_id }).then(oauthAnswer)],
  ["token: client_credentials (secret in the body)", (p) => post(p, "token_endpoint", { grant_type: "client_credentials", client_id: confidential.client_id, client_secret: confidential.client_secret }).then(async (r) => `${r.status} ${r.headers.get("cache-control") ?? ""}`.trim())],
  ["token: client_credentials without scope: scope granted", (p) => post(p, "token_endpoint", { grant_type: "client_credentials" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(async (r) => { const body = await r.json(); return `${r.status} ${body.error ?? `scope="${body.scope ?? ""}"`}`; })],
  ["token: client_credentials with scope=openid", (p) => post(p, "token_endpoint", { grant_type: "client_credentials", scope: "openid" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then(async (r) => { const body = await r.json(); return `${r.status} ${body.error ?? `scope="${body.scope ?? ""}"${body.id_token ? " +id_token" : ""}`}`; })],
  ["revoke: unknown token", (p) => post(p, "revocation_endpoint", { token: "not-a-token" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then((r) => oauthAnswer(r, { body: true }))],
  ["revoke: no client authentication", (p) => post(p, "revocation_endpoint", { token: "not-a-token" }).then(oauthAnswer)],
  ["introspect: garbage token", (p) => post(p, "introspection_endpoint", { token: "not-a-token" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then((r) => oauthAnswer(r, { body: true }))],
  ["introspect: no client authentication", (p) => post(p, "introspection_endpoint", { token: "not-a-token" }).then(oauthAnswer)],
  ["userinfo: no access token", (p) => fetch(p.meta.userinfo_endpoint).then(oauthAnswer)],
  ["userinfo: garbage bearer token", (p) => fetch(p.meta.userinfo_endpoint, { headers: { authorization: "Bearer not-a-token" } }).then(oauthAnswer)],
  ["userinfo: token in a POST body (RFC 6750 §2.2)", async (p) => {
    const token = await post(p, "token_endpoint", { grant_type: "client_credentials", scope: "openid" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then((r) => r.json());
    return post(p, "userinfo_endpoint", { access_token: token.access_token }).then(oauthAnswer);
  }],
  ["userinfo: client_credentials token with scope openid", async (p) => {
    const token = await post(p, "token_endpoint", { grant_type: "client_credentials", scope: "openid" }, { authorization: basic(confidential.client_id, confidential.client_secret) }).then((r) => r.json());
    return fetch(p.meta.userinfo_endpoint, { headers: { authorization: `Bearer ${token.access_token}` } }).then(oauthAnswer);
  }],
  ["discovery: /.well-known/oauth-authorization-server", (p) => fetch(`${p.issuer}/.well-known/oauth-authorization-server`).then(async (r) => (r.ok ? `${r.status} issuer ${(await r.json()).issuer === p.issuer ? "same" : "differs"}` : `${r.status}`))],
  ["logout: invalid id_token_hint", (p) => fetch(`${p.meta.end_session_endpoint}?id_token_hint=eyJhbGciOiJSUzI1NiJ9.e30.c2ln&post_logout_redirect_uri=${encodeURIComponent(confidential.post_logout_redirect_uri)}&client_id=${confidential.client_id}`, { redirect: "manual" }).then((r) => `${r.status}${r.headers.get("location") ? " → redirect" : ` ${(r.headers.get("content-type") ?? "").split(";")[0]}`}`)],
  ["logout: no id_token_hint", (p) => fetch(p.meta.end_session_endpoint, { redirect: "manual" }).then((r) => `${r.status} ${(r.headers.get("content-type") ?? "").split(";")[0]}`)],
  ["logout: unregistered post_logout_redirect_uri", (p) => fetch(`${p.meta.end_session_endpoint}?client_id=${confidential.client_id}&post_logout_redirect_uri=${encodeURIComponent("https://evil.example/")}`, { redirect: "manual" }).then((r) => `${r.status}${r.headers.get("location") ? ` → ${new URL(r.headers.get("location"), p.issuer).origin}` : ""}`)],
  ["CORS: discovery from any origin", (p) => fetch(`${p.issuer}/.well-known/openid-configuration`, { headers: { origin: "https://any.example" } }).then((r) => `ACAO ${r.headers.get("access-control-allow-origin") ?? "none"}`)],
  ["CORS: JWKS from any origin", (p) => fetch(p.meta.jwks_uri, { headers: { origin: "https://any.example" } }).then((r) => `ACAO ${r.headers.get("access-control-allow-origin") ?? "none"}`)],
  ["CORS: token endpoint preflight, foreign origin", (p) => fetch(p.meta.token_endpoint, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } }).then((r) => `ACAO ${r.headers.get("access-control-allow-origin") ?? "none"}`)],
  ["CORS: token endpoint POST, foreign origin", (p) => post(p, "token_endpoint", { grant_type: "refresh_token", refresh_token: "x", client_id: spa.client_id }, { origin: "https://evil.example" }).then((r) => `ACAO ${r.headers.get("access-control-allow-origin") ?? "none"}`)],
  ["CORS: token endpoint, public client's origin", (p) => post(p, "token_endpoint", { grant_type: "refresh_token", refresh_token: "x", client_id: spa.client_id }, { origin: new URL(spa.redirect_uri).origin }).then((r) => `ACAO ${r.headers.get("access-control-allow-origin") ?? "none"}`)],
];

const setOf = (value) => (Array.isArray(value) ? [...value].sort().join(" ") : String(value ?? "absent"));
for (const field of [
  "response_types_supported",
  "response_modes_supported",
  "grant_types_supported",
  "code_challenge_methods_supported",
  "token_endpoint_auth_methods_supported",
  "id_token_signing_alg_values_supported",
  "subject_types_supported",
  "scopes_supported",
  "claims_supported",
  "authorization_response_iss_parameter_supported",
  "claims_parameter_supported",
  "request_parameter_supported",
  "request_uri_parameter_supported",
]) {
  cases.push([`discovery: ${field}`, async (p) => setOf(p.meta[field])]);
}

const rows = [];
try {
  for (const [request, ask] of cases) {
    const answer = async (p) => {
      try {
        return await ask(p);
      } catch (error) {
        return `failed: ${error.message}`;
      }
    };
    const [januaAnswer, referenceAnswer] = [await answer(providers.janua), await answer(providers.reference)];
    rows.push({ request, janua: januaAnswer, reference: referenceAnswer, same: januaAnswer === referenceAnswer });
  }
} finally {
  await reference.close();
  await standInProvider?.close();
}

if (asJson) {
  console.log(JSON.stringify({ rows }));
} else {
  const cell = (text) => String(text).replaceAll("|", "\\|");
  console.log("| request | Janua | oidc-provider | same? |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) {
    console.log(`| ${cell(row.request)} | ${cell(row.janua)} | ${cell(row.reference)} | ${row.same ? "yes" : "**no**"} |`);
  }
}
