// The reference OpenID Provider: node `oidc-provider` (an independent, certified
// implementation) configured like Janua's contract (issue #16): authorization code only,
// PKCE S256 required for public clients, refresh-token rotation, client_credentials,
// introspection, revocation, RP-initiated logout, per-client CORS. Its interaction pages
// use the labels of Janua's hosted pages ("Email", "Password", "Sign in", "Authenticator
// code", "Verify", "Allow", "Deny", "Sign out"), so the browser peers run unchanged
// against either provider.
//
// As a module: startReferenceProvider({ clients, users }) → { issuer, provider, close }.
// Run alone (for developing the peers): node reference_provider.mjs [PORT] starts it with
// the clients and user of `demoSetup` and prints them as JSON.
import { createServer } from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";

import Provider from "oidc-provider";

import { totp } from "./totp.mjs";

// oidc-provider prints its notices with console.info; the peers' standard output is their
// JSON result, so the notices go to standard error.
console.info = (...args) => console.error(...args);

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts oidc-provider on `port` (a free one by default) at http://localhost:PORT.
 * `clients`: { client_id, client_secret?, redirect_uris, post_logout_redirect_uris,
 *   grant_types, skip_consent? } (no secret = public, token_endpoint_auth_method none).
 * `users`: { id, email, password, name, totp_secret? }.
 */
export async function startReferenceProvider({ clients, users, port }) {
  const listenPort = port ?? (await freePort());
  const issuer = `http://localhost:${listenPort}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "reference", use: "sig", alg: "RS256" };
  const skipConsent = new Set(clients.filter((c) => c.skip_consent).map((c) => c.client_id));
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.client_id,
      ...(c.client_secret
        ? { client_secret: c.client_secret, token_endpoint_auth_method: "client_secret_basic" }
        : { token_endpoint_auth_method: "none" }),
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
      grant_types: c.grant_types,
      response_types: c.grant_types.includes("authorization_code") ? ["code"] : [],
      scope: "openid profile email offline_access",
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    scopes: ["openid", "profile", "email", "offline_access"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    responseTypes: ["code"],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === "none" },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource },
    },
    // Janua issues a refresh token whenever the client may use the grant, and rotates it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: () => true,
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    findAccount: async (_ctx, sub) => {
      const user = users.find((u) => u.id === sub);
      return user && {
        accountId: user.id,
        claims: async () => ({ sub: user.id, email: user.email, email_verified: true, name: user.name }),
      };
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = page("Error", `<p id="error">${escape(out.error)}: ${escape(out.error_description)}</p>`);
    },
  });
  const pending = new Map(); // interaction uid → account awaiting its TOTP step
  const interactions = interactionHandler(provider, users, skipConsent, pending);
  const callback = provider.callback();
  const server = createServer((req, res) => {
    if (req.url.startsWith("/interaction/")) {
      interactions(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    } else {
      callback(req, res);
    }
  });
  await new Promise((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
  return {
    issuer,
    provider,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

function interactionHandler(provider, users, skipConsent, pending) {
  return async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = details;
    const form = req.method === "POST" ? new URLSearchParams(await body(req)) : null;
    if (prompt.name === "login") {
      const waiting = pending.get(uid);
      if (form && waiting && form.has("code")) {
        if (form.get("code") !== totp(waiting.totp_secret)) {
          return html(res, 200, totpPage(uid, "That code is not valid."));
        }
        pending.delete(uid);
        return provider.interactionFinished(req, res, { login: { accountId: waiting.id, amr: ["pwd", "otp"] } });
      }
      if (form && form.has("email")) {
        const user = users.find((u) => u.email === form.get("email") && u.password === form.get("password"));
        if (!user) return html(res, 200, signInPage(uid, "Wrong email or password."));
        if (user.totp_secret) {
          pending.set(uid, user);
          return html(res, 200, totpPage(uid));
        }
        return provider.interactionFinished(req, res, { login: { accountId: user.id, amr: ["pwd"] } });
      }
      return html(res, 200, signInPage(uid));
    }
    if (prompt.name === "consent") {
      const decided = form?.get("decision");
      if (!decided && !skipConsent.has(params.client_id)) {
        return html(res, 200, consentPage(uid, params));
      }
      if (decided === "deny") {
        return provider.interactionFinished(req, res, {
          error: "access_denied",
          error_description: "the user denied the request",
        });
      }
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(" "));
      }
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return html(res, 400, page("Error", `<p id="error">unknown prompt ${escape(prompt.name)}</p>`));
  };
}

async function logoutSource(ctx, form) {
  ctx.body = page(
    "Sign out",
    `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>`,
  );
}

function signInPage(uid, error) {
  return page(
    "Sign in",
    `${error ? `<p role="alert">${escape(error)}</p>` : ""}
    <form method="post" action="/interaction/${uid}">
      <label for="email">Email</label><input id="email" name="email" type="email">
      <label for="password">Password</label><input id="password" name="password" type="password">
      <button type="submit">Sign in</button>
    </form>`,
  );
}

function totpPage(uid, error) {
  return page(
    "Two-step verification",
    `${error ? `<p role="alert">${escape(error)}</p>` : ""}
    <form method="post" action="/interaction/${uid}">
      <label for="code">Authenticator code</label><input id="code" name="code" inputmode="numeric">
      <button type="submit">Verify</button>
    </form>`,
  );
}

function consentPage(uid, params) {
  return page(
    "Allow access",
    `<p>${escape(params.client_id)} asks for ${escape(params.scope)}</p>
    <form method="post" action="/interaction/${uid}">
      <button type="submit" name="decision" value="allow">Allow</button>
      <button type="submit" name="decision" value="deny">Deny</button>
    </form>`,
  );
}

function page(title, content) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${content}</main></body></html>`;
}

function html(res, status, text) {
  res.statusCode = status;
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.end(text);
}

function escape(text) {
  return String(text ?? "").replace(/[&<>"']/gu, (c) => `&#${c.charCodeAt(0)};`);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Clients and a user like those the Rust test registers in Janua, for running alone. */
export function demoSetup(callbackPort) {
  const base = `http://localhost:${callbackPort}`;
  return {
    clients: [
      {
        client_id: "confidential-client",
        client_secret: "a+secret/with:specials",
        redirect_uris: [`${base}/callback`],
        post_logout_redirect_uris: [`${base}/`],
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      },
      {
        client_id: "public-client",
        redirect_uris: [`${base}/callback.html`],
        post_logout_redirect_uris: [`${base}/signed-out.html`],
        grant_types: ["authorization_code", "refresh_token"],
        skip_consent: true,
      },
    ],
    users: [
      { id: "user-1", email: "ada@example.com", password: "correct horse battery", name: "Ada" },
      {
        id: "user-2",
        email: "grace@example.com",
        password: "correct horse battery",
        name: "Grace",
        totp_secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] ?? 0) || undefined;
  const callbackPort = Number(process.argv[3] ?? 0) || (await freePort());
  const setup = demoSetup(callbackPort);
  const { issuer } = await startReferenceProvider({ ...setup, port });
  console.log(JSON.stringify({ issuer, callback_port: callbackPort, ...setup }));
}
