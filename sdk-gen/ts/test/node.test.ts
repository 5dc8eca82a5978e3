/**
 * The scenario against a live Janua (JANUA_URL, started by sdk-gen/test) from Node, over
 * gRPC (HTTP/2) and gRPC-web (HTTP/1.1).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createJanuaClient, localStorageTokenStore, memoryTokenStore, JanuaError, Code } from "../src/index.js";
import { runScenario } from "./scenario.js";

const baseUrl = process.env.JANUA_URL;
if (!baseUrl) throw new Error("JANUA_URL is not set; run sdk-gen/test");

for (const transport of ["grpc", "grpc-web"] as const) {
  test(`scenario over ${transport}`, async () => {
    const steps = await runScenario((tokenStore) => createJanuaClient({ baseUrl, transport, tokenStore }), transport);
    assert.equal(steps.length, 10);
  });
}

test("a wrong password is an AUTHENTICATION_ERROR, and no refresh is tried", async () => {
  const client = createJanuaClient({ baseUrl, transport: "grpc" });
  await assert.rejects(
    client.auth.login({ email: "nobody@example.com", password: "wrong password 123" }),
    (err: unknown) => err instanceof JanuaError && err.code === Code.Unauthenticated && err.reason === "AUTHENTICATION_ERROR",
  );
  assert.equal(await client.tokenStore.get(), null);
});

test("localStorageTokenStore keeps tokens in a Web Storage", () => {
  const items = new Map<string, string>();
  const storage = {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
  const store = localStorageTokenStore("t", storage);
  assert.equal(store.get(), null);
  void store.set({ accessToken: "a", refreshToken: "r" });
  assert.deepEqual(localStorageTokenStore("t", storage).get(), { accessToken: "a", refreshToken: "r" });
  void store.set(null);
  assert.equal(items.size, 0);
  assert.equal(memoryTokenStore().get(), null);
});
