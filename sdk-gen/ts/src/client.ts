/**
 * The client: one Connect client per Janua service, all on one transport whose
 * interceptor signs calls in and refreshes the access token. Platform-neutral; the entry
 * points (index.ts for Node, browser.ts for browsers) supply the transports.
 */
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AuditService } from "./gen/janua/audit/v1/audit_service_pb.js";
import { AuthService } from "./gen/janua/auth/v1/auth_service_pb.js";
import { MfaService } from "./gen/janua/mfa/v1/mfa_service_pb.js";
import { OAuthClientService } from "./gen/janua/oauth/v1/oauth_service_pb.js";
import { OrganizationService } from "./gen/janua/orgs/v1/orgs_service_pb.js";
import { SsoService } from "./gen/janua/sso/v1/sso_service_pb.js";
import { UserService } from "./gen/janua/users/v1/users_service_pb.js";
import { WebhookService } from "./gen/janua/webhooks/v1/webhooks_service_pb.js";
import { ImportService } from "./gen/janua/imports/v1/imports_service_pb.js";
import { ExportService } from "./gen/janua/imports/v1/exports_service_pb.js";
import { SingleFlightRefresh, sessionInterceptor } from "./session.js";
import { memoryTokenStore, type TokenStore } from "./tokens.js";

/** gRPC-web (HTTP/1.1, browsers and Node) or gRPC (HTTP/2, Node only). */
export type TransportKind = "grpc-web" | "grpc";

export interface JanuaClientOptions {
  /** Janua's base URL, e.g. `https://id.example.com` or `http://127.0.0.1:4100`. */
  baseUrl: string;
  /** Default "grpc-web". */
  transport?: TransportKind;
  /** Default: memoryTokenStore(). */
  tokenStore?: TokenStore;
  /** Interceptors that run before the SDK's own (outermost first). */
  interceptors?: Interceptor[];
  /** Per-call timeout in milliseconds when a call sets none. */
  defaultTimeoutMs?: number;
}

export interface JanuaClient {
  auth: Client<typeof AuthService>;
  users: Client<typeof UserService>;
  orgs: Client<typeof OrganizationService>;
  mfa: Client<typeof MfaService>;
  sso: Client<typeof SsoService>;
  audit: Client<typeof AuditService>;
  oauthClients: Client<typeof OAuthClientService>;
  webhooks: Client<typeof WebhookService>;
  imports: Client<typeof ImportService>;
  /** Server-streamed: gRPC and gRPC-web only (no REST route). */
  exports: Client<typeof ExportService>;
  /** Where this client keeps its tokens. */
  tokenStore: TokenStore;
  /** The transport, for services or tools this client does not wrap. */
  transport: Transport;
}

/** Builds a transport of `kind` with `interceptors`; one per platform. */
export type TransportFactory = (
  kind: TransportKind,
  options: { baseUrl: string; interceptors: Interceptor[]; defaultTimeoutMs?: number },
) => Transport;

export function createJanuaClientWith(
  options: JanuaClientOptions,
  makeTransport: TransportFactory,
): JanuaClient {
  const tokenStore = options.tokenStore ?? memoryTokenStore();
  let auth: Client<typeof AuthService> | undefined;
  const refresh = new SingleFlightRefresh(tokenStore, async (refreshToken) => {
    // Through the same interceptor: RefreshToken is public, so it is sent without the
    // stale access token, and the interceptor keeps the new pair it returns.
    const response = await auth!.refreshToken({ refreshToken });
    const tokens = response.tokens;
    if (!tokens) throw new Error("RefreshToken returned no tokens");
    return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  });
  const transport = makeTransport(options.transport ?? "grpc-web", {
    baseUrl: options.baseUrl,
    interceptors: [...(options.interceptors ?? []), sessionInterceptor(tokenStore, () => refresh)],
    defaultTimeoutMs: options.defaultTimeoutMs,
  });
  auth = createClient(AuthService, transport);
  return {
    auth,
    users: createClient(UserService, transport),
    orgs: createClient(OrganizationService, transport),
    mfa: createClient(MfaService, transport),
    sso: createClient(SsoService, transport),
    audit: createClient(AuditService, transport),
    oauthClients: createClient(OAuthClientService, transport),
    webhooks: createClient(WebhookService, transport),
    imports: createClient(ImportService, transport),
    exports: createClient(ExportService, transport),
    tokenStore,
    transport,
  };
}
