/**
 * Janua's errors as a `ConnectError` that also carries the stable `reason` of the
 * `google.rpc.ErrorInfo` detail every Janua error has (`TOKEN_ERROR`, `NOT_FOUND_ERROR`, ...).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

/** The `ErrorInfo.domain` of Janua's errors. */
export const ERROR_DOMAIN = "janua";

/**
 * A failed call: `code` is the gRPC code, `reason` the ErrorInfo reason (empty when the
 * error did not come from Janua, e.g. a network failure), `rawMessage` the server's text.
 * `err instanceof ConnectError` holds too.
 */
export class JanuaError extends ConnectError {
  readonly reason: string;
  readonly domain: string;

  constructor(from: ConnectError) {
    super(from.rawMessage, from.code, from.metadata, undefined, from.cause ?? from);
    this.details = from.details;
    const info = from.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason ?? "";
    this.domain = info?.domain ?? "";
    // ConnectError's own instanceof check looks for this name.
    this.name = "ConnectError";
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      ConnectError[Symbol.hasInstance](value) &&
      typeof (value as { reason?: unknown }).reason === "string" &&
      typeof (value as { domain?: unknown }).domain === "string"
    );
  }
}

/** Any thrown value as a JanuaError (idempotent). */
export function toJanuaError(thrown: unknown): JanuaError {
  if (thrown instanceof JanuaError) return thrown;
  return new JanuaError(ConnectError.from(thrown, Code.Unknown));
}

/** Whether an error says the access or refresh token was missing, invalid, expired or revoked. */
export function isTokenError(err: JanuaError): boolean {
  return err.code === Code.Unauthenticated && err.reason === "TOKEN_ERROR";
}
