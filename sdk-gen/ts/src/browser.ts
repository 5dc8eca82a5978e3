/**
 * `@janua/sdk` for browsers: gRPC-web over fetch. The server must list the page's origin
 * in `CORS_ALLOWED_ORIGINS`.
 */
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { createJanuaClientWith, type JanuaClient, type JanuaClientOptions } from "./client.js";

export * from "./common.js";

/** A client for Janua at `options.baseUrl` over gRPC-web (browsers cannot speak gRPC). */
export function createJanuaClient(options: JanuaClientOptions): JanuaClient {
  return createJanuaClientWith(options, (kind, transport) => {
    if (kind !== "grpc-web") {
      throw new Error(`transport "${kind}" needs Node; browsers use "grpc-web"`);
    }
    return createGrpcWebTransport({ ...transport, useBinaryFormat: true });
  });
}
