/**
 * The SDK scenario, written once for Node (gRPC and gRPC-web) and the browser: register,
 * sign in, read the current user, force a stale access token and watch the SDK refresh it
 * (once, for three concurrent calls), list sessions, create an organization, list its
 * members, sign out, and see the next call fail with a JanuaError carrying TOKEN_ERROR.
 * It uses only the SDK's public API; each step checks what the server answered.
 */
import { Code, JanuaError, memoryTokenStore, type JanuaClient, type Tokens, type TokenStore } from "../src/browser.js";

/** A custom token store: the memory store, counting writes and exposing its tokens. */
export class RecordingStore implements TokenStore {
  private readonly inner = memoryTokenStore();
  private current: Tokens | null = null;
  writes = 0;

  get(): Tokens | null {
    return this.current;
  }

  set(tokens: Tokens | null): void {
    this.writes += 1;
    this.current = tokens;
    void this.inner.set(tokens);
  }
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`scenario check failed: ${what}`);
}

/** The access token with its `exp` claim moved an hour into the past: expired, and its
 * signature no longer matches, so Janua must refuse it with TOKEN_ERROR. */
export function staleAccessToken(token: string): string {
  const [header, payload, signature] = token.split(".");
  check(header && payload && signature, "the access token is a JWT");
  const claims = JSON.parse(base64UrlDecode(payload)) as { exp: number };
  claims.exp = Math.floor(Date.now() / 1000) - 3600;
  return `${header}.${base64UrlEncode(JSON.stringify(claims))}.${signature}`;
}

function base64UrlDecode(text: string): string {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)));
}

function base64UrlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function expectJanuaError(call: Promise<unknown>, reason: string, what: string): Promise<JanuaError> {
  try {
    await call;
  } catch (err) {
    check(err instanceof JanuaError, `${what}: a JanuaError (got ${String(err)})`);
    check(err.code === Code.Unauthenticated, `${what}: code UNAUTHENTICATED (got ${Code[err.code]})`);
    check(err.reason === reason, `${what}: reason ${reason} (got ${err.reason})`);
    check(err.domain === "janua", `${what}: domain janua (got ${err.domain})`);
    return err;
  }
  throw new Error(`scenario check failed: ${what}: the call succeeded`);
}

/** Runs the scenario; returns the steps it passed, for the log. */
export async function runScenario(
  makeClient: (store: TokenStore) => JanuaClient,
  label: string,
): Promise<string[]> {
  const steps: string[] = [];
  const store = new RecordingStore();
  const client = makeClient(store);
  const unique = `${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const email = `sdk-${unique}@example.com`;
  const password = "correct horse battery staple";

  const registered = await client.auth.register({ email, password, displayName: "SDK Tester" });
  check(registered.user?.email === email, "register returns the user");
  check(registered.tokens?.accessToken, "register returns tokens");
  steps.push("register");

  const login = await client.auth.login({ email, password });
  check(login.tokens?.accessToken, "login returns tokens");
  check(store.get()?.accessToken === login.tokens.accessToken, "the store keeps the login tokens");
  steps.push("login");

  const me = await client.auth.getCurrentUser({});
  check(me.user?.id === registered.user.id, "the current user is the registered one");
  steps.push("get current user");

  const before = store.get();
  check(before, "signed in");
  const stale = staleAccessToken(before.accessToken);
  store.set({ accessToken: stale, refreshToken: before.refreshToken });
  const writesBefore = store.writes;
  steps.push("force an expired access token");

  // Three calls at once with the stale token: one refresh, three successes. Were the
  // refresh token presented twice, Janua would revoke the session and the calls would fail.
  const [again, sessions, sessionsToo] = await Promise.all([
    client.auth.getCurrentUser({}),
    client.auth.listSessions({}),
    client.auth.listSessions({}),
  ]);
  const after = store.get();
  check(after, "still signed in after the refresh");
  check(store.writes - writesBefore === 1, `exactly one refresh (store written ${store.writes - writesBefore} times)`);
  check(after.accessToken !== stale && after.accessToken !== before.accessToken, "a new access token");
  check(after.refreshToken !== before.refreshToken, "the refresh token rotated");
  check(again.user?.id === registered.user.id, "the retried call answered");
  steps.push("automatic refresh");

  check(sessions.sessions.length >= 2, `both sign-ins are sessions (got ${sessions.sessions.length})`);
  check(sessions.sessions.filter((s) => s.current).length === 1, "exactly one session is the current one");
  check(sessionsToo.sessions.length === sessions.sessions.length, "concurrent lists agree");
  steps.push("list sessions");

  const slug = `acme-${unique}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 48);
  const created = await client.orgs.createOrganization({ name: "Acme", slug });
  const org = created.organization;
  check(org?.id && org.name === "Acme", "create organization returns it");
  steps.push("create organization");

  const members = await client.orgs.listMembers({ organizationId: org.id });
  check(members.members.length === 1, `one member (got ${members.members.length})`);
  check(members.members[0]?.userId === registered.user.id, "the creator is the member");
  check(members.members[0]?.role === "owner", `the creator is owner (got ${members.members[0]?.role})`);
  steps.push("list members");

  const revoked = store.get();
  check(revoked, "signed in before logout");
  await client.auth.logout({});
  check(store.get() === null, "logout clears the token store");
  steps.push("logout");

  await expectJanuaError(client.auth.getCurrentUser({}), "TOKEN_ERROR", "the call after logout");
  // The tokens from before the logout are dead on the server too: the access token is
  // refused, the refresh fails, and the store ends up empty.
  store.set(revoked);
  await expectJanuaError(client.auth.listSessions({}), "TOKEN_ERROR", "the logged-out tokens");
  check(store.get() === null, "a failed refresh clears the store");
  steps.push("next call fails with TOKEN_ERROR");
  return steps;
}
