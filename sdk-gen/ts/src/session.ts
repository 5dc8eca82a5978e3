/**
 * The interceptor that signs calls in: it attaches `authorization: Bearer <access token>`
 * to every RPC the contract does not mark public, keeps the tokens that responses carry,
 * and when the server rejects the access token (UNAUTHENTICATED + TOKEN_ERROR) refreshes it
 * once and retries the call. Concurrent calls share one refresh: a refresh token works
 * once, and presenting it twice would make the server revoke the whole session.
 *
 * Which RPC is public, which response carries tokens and which call signs out all come
 * from the contract's descriptors, so no RPC is named here but Logout and RefreshToken.
 */
import { getOption, type DescMethod, type DescMessage } from "@bufbuild/protobuf";
import type { Interceptor, UnaryResponse, StreamResponse } from "@connectrpc/connect";
import { Audience, access } from "./gen/janua/options/v1/options_pb.js";
import { AuthService } from "./gen/janua/auth/v1/auth_service_pb.js";
import type { TokenPair } from "./gen/janua/auth/v1/auth_pb.js";
import { isTokenError, toJanuaError } from "./errors.js";
import type { Tokens, TokenStore } from "./tokens.js";

const TOKEN_PAIR = "janua.auth.v1.TokenPair";

/** Whether the contract lets anyone call `method` (no access token is sent). */
export function isPublic(method: DescMethod): boolean {
  return getOption(method, access).audience === Audience.PUBLIC;
}

/** The field of `output` that holds a TokenPair named `tokens`, if any. */
function tokensField(output: DescMessage): string | undefined {
  const field = output.fields.find(
    (f) => f.name === "tokens" && f.message?.typeName === TOKEN_PAIR,
  );
  return field?.localName;
}

/** Runs `rotate` for one caller at a time; callers that arrive meanwhile share its result. */
export class SingleFlightRefresh {
  private inFlight: Promise<Tokens | null> | null = null;

  constructor(
    private readonly store: TokenStore,
    private readonly rotate: (refreshToken: string) => Promise<Tokens>,
  ) {}

  /**
   * Fresh tokens to replace `stale`: the store's, if another call already replaced them,
   * else those of one RefreshToken call. Null when signed out meanwhile.
   */
  refresh(stale: Tokens): Promise<Tokens | null> {
    this.inFlight ??= this.decide(stale).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async decide(stale: Tokens): Promise<Tokens | null> {
    const current = await this.store.get();
    if (!current) return null;
    if (current.accessToken !== stale.accessToken) return current;
    try {
      return await this.rotate(current.refreshToken);
    } catch (thrown) {
      const err = toJanuaError(thrown);
      // The refresh token is spent, expired or revoked: the session is over.
      if (isTokenError(err)) await this.store.set(null);
      throw err;
    }
  }
}

/** Keeps what a successful response says about the session. */
async function observe(store: TokenStore, response: UnaryResponse | StreamResponse): Promise<void> {
  if (response.stream) return;
  if (response.method.name === AuthService.method.logout.name &&
      response.service.typeName === AuthService.typeName) {
    await store.set(null);
    return;
  }
  const field = tokensField(response.method.output);
  if (!field) return;
  const pair = (response.message as Record<string, unknown>)[field] as TokenPair | undefined;
  if (pair?.accessToken) {
    await store.set({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
  }
}

/** The interceptor; `refresher` must call RefreshToken through a client that uses it. */
export function sessionInterceptor(store: TokenStore, refresher: () => SingleFlightRefresh): Interceptor {
  return (next) => async (request) => {
    const used = isPublic(request.method) ? null : await store.get();
    if (used) request.header.set("authorization", `Bearer ${used.accessToken}`);
    let response;
    try {
      response = await next(request);
    } catch (thrown) {
      const err = toJanuaError(thrown);
      if (!used || request.stream || !isTokenError(err)) throw err;
      const fresh = await refresher().refresh(used);
      if (!fresh) throw err;
      request.header.set("authorization", `Bearer ${fresh.accessToken}`);
      try {
        response = await next(request);
      } catch (again) {
        throw toJanuaError(again);
      }
    }
    await observe(store, response);
    return response;
  };
}
