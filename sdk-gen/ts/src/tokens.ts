/**
 * Where the SDK keeps the session's tokens between calls. The client reads the access
 * token before each call and writes a new pair after sign-in and after every refresh; a
 * store must never be shared by two signed-in users.
 */

/** The two tokens of a signed-in session (a `janua.auth.v1.TokenPair`, less its metadata). */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** Any object with these two methods is a token store ("custom"); both may be async. */
export interface TokenStore {
  get(): Tokens | null | Promise<Tokens | null>;
  set(tokens: Tokens | null): void | Promise<void>;
}

/** Keeps the tokens in memory only: the default, and right for servers and tests. */
export function memoryTokenStore(initial: Tokens | null = null): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
  };
}

/** The part of the Web Storage API a localStorage store needs. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Keeps the tokens in the browser's `localStorage` (or any Web Storage) under `key`, so a
 * reload stays signed in. Whatever script runs on the page can read them there.
 */
export function localStorageTokenStore(
  key = "janua.tokens",
  storage: KeyValueStorage = globalThis.localStorage,
): TokenStore {
  if (!storage) {
    throw new Error("localStorageTokenStore: no localStorage here; pass a storage or use memoryTokenStore");
  }
  return {
    get: () => parseTokens(storage.getItem(key)),
    set: (tokens) => {
      if (tokens) storage.setItem(key, JSON.stringify(tokens));
      else storage.removeItem(key);
    },
  };
}

function parseTokens(raw: string | null): Tokens | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (
      typeof value === "object" && value !== null &&
      "accessToken" in value && typeof value.accessToken === "string" &&
      "refreshToken" in value && typeof value.refreshToken === "string"
    ) {
      return { accessToken: value.accessToken, refreshToken: value.refreshToken };
    }
  } catch {
    // A damaged entry is treated as signed out.
  }
  return null;
}
