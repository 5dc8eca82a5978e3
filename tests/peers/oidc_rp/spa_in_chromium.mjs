// A single-page app on `oidc-client-ts` 3 (the library the users run in Next.js),
// in Debian's headless Chromium, against an OpenID Provider. A static server on
// http://localhost:SPA_PORT serves three pages and the package's own browser bundle; the
// app's UserManager (authority = the issuer, a public client, PKCE) signs a person in
// through the hosted pages (password, then a TOTP code computed here from the base32
// secret), handles the callback, refreshes through the refresh token (signinSilent),
// reads UserInfo, checks the token endpoint's CORS from its own origin and from a foreign
// one (http://127.0.0.1:SPA_PORT), revokes its access token, signs out through RP-initiated logout (id_token_hint,
// post_logout_redirect_uri, state) and shows that the provider's session ended: a refresh
// token kept from before is refused, and a new sign-in lands on the sign-in page again.
//
// Usage: node spa_in_chromium.mjs '{"issuer", "client_id", "spa_port", "email",
//   "password", "totp_secret"?, "clock_offset_ms"?, "totp_not_before"?}'
// clock_offset_ms: how far the provider's clock runs ahead of this machine's (a test
// server's manual clock); totp_not_before: the Unix time (provider's clock) before which
// no code may be typed (the step of the code that confirmed the factor is spent).
// Registered at the provider: redirect URI http://localhost:SPA_PORT/callback.html, post-
// logout redirect URI http://localhost:SPA_PORT/signed-out.html. Prints one JSON object.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { launchChromium, serveOn, showsSignIn, walkHostedPages } from "./browser.mjs";

const input = JSON.parse(process.argv[2] ?? "{}");
for (const field of ["issuer", "client_id", "spa_port", "email", "password"]) {
  if (!input[field]) throw new Error(`missing ${field}`);
}
const origin = `http://localhost:${input.spa_port}`;
const foreignOrigin = `http://127.0.0.1:${input.spa_port}`;
const settings = {
  authority: input.issuer,
  client_id: input.client_id,
  redirect_uri: `${origin}/callback.html`,
  post_logout_redirect_uri: `${origin}/signed-out.html`,
  response_type: "code",
  scope: "openid profile email offline_access",
  automaticSilentRenew: false,
  // UserInfo from the browser too (CORS with a bearer token), and the ID token's amr/acr
  // kept in the profile.
  loadUserInfo: true,
  filterProtocolClaims: false,
  // oidc-provider answers a revocation with an empty text/plain body (Janua with {}).
  revokeTokenAdditionalContentTypes: ["text/plain"],
};

// The package exports only its ESM build; its browser bundle sits beside it in dist/.
const bundle = await readFile(
  fileURLToPath(new URL("../browser/oidc-client-ts.min.js", import.meta.resolve("oidc-client-ts"))),
);
// Every page loads the bundle (global `oidc`) and makes the same UserManager, `window.app`.
const appPage = (title, script = "") => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${title}</title><script src="/oidc-client-ts.js"></script><script>
window.app = new oidc.UserManager(${JSON.stringify(settings)});
${script}
</script></head><body><main><h1>${title}</h1></main></body></html>`;
const pages = {
  "/index.html": appPage("Enclii"),
  "/callback.html": appPage(
    "Signing in",
    `window.done = app.signinRedirectCallback().then(
      (user) => ({ ok: true, user: { ...user, expires_in: user.expires_in } }), (error) => ({ ok: false, error: String(error) }));`,
  ),
  "/signed-out.html": appPage(
    "Signed out",
    `window.done = app.signoutRedirectCallback().then(
      (response) => ({ ok: true, state: response.userState ?? null }),
      (error) => ({ ok: false, error: String(error) }));`,
  ),
};
const spa = await serveOn(input.spa_port, (req, res) => {
  const path = req.url.split("?")[0];
  if (path === "/oidc-client-ts.js") {
    res.setHeader("content-type", "text/javascript");
    return res.end(bundle);
  }
  res.setHeader("content-type", "text/html; charset=utf-8");
  if (!pages[path]) res.statusCode = 404;
  return res.end(pages[path] ?? "not found");
});

/** What the app's last page settled with (`window.done`). */
async function settled(page) {
  await page.waitForFunction(() => window.done !== undefined);
  return page.evaluate(() => window.done);
}

/** A token request from `from` to the token endpoint: whether the page could read it. */
async function tokenEndpointFrom(page, from, tokenEndpoint) {
  await page.goto(`${from}/index.html`);
  return page.evaluate(
    async ([url, clientId]) => {
      try {
        const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: "x", client_id: clientId });
        const response = await fetch(url, { method: "POST", body });
        return { readable: true, status: response.status };
      } catch (error) {
        return { readable: false, error: String(error) };
      }
    },
    [tokenEndpoint, input.client_id],
  );
}

const seen = {};
const browser = await launchChromium();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  // What the provider's own pages log as errors (a CSP violation, a failed script).
  const issuerOrigin = new URL(input.issuer).origin;
  seen.provider_page_errors = [];
  page.on("console", (message) => {
    if (message.type() === "error" && page.url().startsWith(issuerOrigin)) {
      seen.provider_page_errors.push(message.text());
    }
  });
  page.on("pageerror", (error) => {
    if (page.url().startsWith(issuerOrigin)) seen.provider_page_errors.push(String(error));
  });

  // Sign in: the app redirects, the person walks the hosted pages, the app's callback.
  await page.goto(`${origin}/index.html`);
  await page.evaluate(() => {
    window.app.signinRedirect();
  });
  const walked = await walkHostedPages(page, {
    email: input.email,
    password: input.password,
    totpSecret: input.totp_secret,
    clockOffsetMs: input.clock_offset_ms,
    totpNotBefore: input.totp_not_before,
    until: `${origin}/callback.html`,
  });
  const callback = await settled(page);
  if (!callback.ok) throw new Error(`signinRedirectCallback: ${callback.error}`);
  const user = callback.user;
  seen.sign_in = {
    pages: walked.steps,
    profile: user.profile,
    scope: user.scope,
    token_type: user.token_type,
    has_refresh_token: Boolean(user.refresh_token),
    expires_in_positive: user.expires_in > 0,
  };
  const metadata = await page.evaluate(() => window.app.metadataService.getMetadata());

  // Refresh through the refresh token, from the browser (CORS on the token endpoint).
  const silent = await page.evaluate(async () => {
    const before = await window.app.getUser();
    try {
      const after = await window.app.signinSilent();
      return {
        ok: true,
        rotated: after.refresh_token !== before.refresh_token,
        new_access_token: after.access_token !== before.access_token,
        same_subject: after.profile.sub === before.profile.sub,
      };
    } catch (error) {
      return { ok: false, error: String(error) };
    }
  });
  seen.signin_silent = silent;

  // The token endpoint answers CORS for the app's origin, and not for a foreign one.
  seen.cors = {
    own_origin: await tokenEndpointFrom(page, origin, metadata.token_endpoint),
    foreign_origin: await tokenEndpointFrom(page, foreignOrigin, metadata.token_endpoint),
  };

  // The app revokes its access token (RFC 7009 from the browser, by client_id): UserInfo
  // refuses it, while the refresh token still refreshes (kept for after the sign-out).
  await page.goto(`${origin}/index.html`);
  seen.revocation = await page.evaluate(async () => {
    const { access_token: accessToken, refresh_token: refreshToken } = await window.app.getUser();
    await window.app.revokeTokens(["access_token"]);
    const metadata = await window.app.metadataService.getMetadata();
    const userinfo = await fetch(metadata.userinfo_endpoint, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const body = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: window.app.settings.client_id,
    });
    const refreshed = await fetch(metadata.token_endpoint, { method: "POST", body });
    const tokens = await refreshed.json();
    window.localStorage.setItem("kept_refresh_token", tokens.refresh_token ?? "");
    return { userinfo_status: userinfo.status, refresh_status: refreshed.status };
  });

  // Sign out: RP-initiated logout with the ID token as hint, back to the app with state.
  await page.goto(`${origin}/index.html`);
  await page.evaluate(() => {
    window.app.signoutRedirect({ state: "bye" });
  });
  let confirmation = false;
  const until = `${origin}/signed-out.html`;
  for (let i = 0; i < 100 && !page.url().startsWith(until); i += 1) {
    const button = page.getByRole("button", { name: "Sign out", exact: true });
    if (!confirmation && (await button.count()) > 0) {
      confirmation = true;
      await button.click();
    }
    await page.waitForTimeout(100);
  }
  const back = new URL(page.url());
  const signedOut = await settled(page);
  seen.sign_out = {
    end_session_endpoint: metadata.end_session_endpoint,
    back_at: back.origin + back.pathname,
    state_returned: back.searchParams.has("state"),
    confirmation_page: confirmation,
    callback: signedOut,
  };

  // Signing out revoked what the session's grants issued: the kept refresh token is dead.
  seen.after_sign_out = {
    kept_refresh: await page.evaluate(async () => {
      const metadata = await window.app.metadataService.getMetadata();
      const body = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: window.localStorage.getItem("kept_refresh_token"),
        client_id: window.app.settings.client_id,
      });
      const response = await fetch(metadata.token_endpoint, { method: "POST", body });
      return { status: response.status, error: (await response.json()).error };
    }),
  };

  // The provider's session is gone: signing in again asks for the password.
  await page.goto(`${origin}/index.html`);
  await page.evaluate(() => {
    window.app.signinRedirect();
  });
  seen.after_sign_out.sign_in_page_again = await showsSignIn(page);
} finally {
  await browser.close();
  await spa.close();
}
console.log(JSON.stringify(seen));
