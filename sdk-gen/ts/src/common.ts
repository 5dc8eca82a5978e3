/** What both entry points export besides `createJanuaClient`. */
export { Code, ConnectError } from "@connectrpc/connect";
export { JanuaError, ERROR_DOMAIN, isTokenError, toJanuaError } from "./errors.js";
export {
  memoryTokenStore,
  localStorageTokenStore,
  type KeyValueStorage,
  type Tokens,
  type TokenStore,
} from "./tokens.js";
export type { JanuaClient, JanuaClientOptions, TransportKind } from "./client.js";
export { isPublic } from "./session.js";
export * from "./gen/janua/auth/v1/auth_pb.js";
export * from "./gen/janua/auth/v1/auth_service_pb.js";
export * from "./gen/janua/users/v1/user_pb.js";
export * from "./gen/janua/users/v1/users_service_pb.js";
export * from "./gen/janua/orgs/v1/organization_pb.js";
export * from "./gen/janua/orgs/v1/orgs_service_pb.js";
export * from "./gen/janua/mfa/v1/factor_pb.js";
export * from "./gen/janua/mfa/v1/mfa_service_pb.js";
export * from "./gen/janua/sso/v1/sso_connection_pb.js";
export * from "./gen/janua/sso/v1/sso_service_pb.js";
export * from "./gen/janua/audit/v1/audit_event_pb.js";
export * from "./gen/janua/audit/v1/audit_service_pb.js";
export * from "./gen/janua/oauth/v1/oauth_client_pb.js";
export * from "./gen/janua/oauth/v1/oauth_service_pb.js";
export * from "./gen/janua/webhooks/v1/webhook_pb.js";
export * from "./gen/janua/webhooks/v1/webhooks_service_pb.js";
