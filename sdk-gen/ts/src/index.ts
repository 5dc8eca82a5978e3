/**
 * `@janua/sdk` for Node: gRPC (HTTP/2) or gRPC-web. Browsers get browser.ts instead
 * (the package's "browser" export condition), which has no Node imports.
 */
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { createJanuaClientWith, type JanuaClient, type JanuaClientOptions } from "./client.js";

export * from "./common.js";

/** A client for Janua at `options.baseUrl`, over gRPC-web (default) or gRPC. */
export function createJanuaClient(options: JanuaClientOptions): JanuaClient {
  return createJanuaClientWith(options, (kind, transport) =>
    kind === "grpc"
      ? createGrpcTransport({ ...transport, useBinaryFormat: true })
      : createGrpcWebTransport({ ...transport, useBinaryFormat: true }),
  );
}
