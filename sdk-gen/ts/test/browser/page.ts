/**
 * The browser page: runs the scenario over gRPC-web against the API named by `?api=`,
 * from this page's own (different) origin, then checks that localStorageTokenStore keeps
 * a session across a "reload" (a second client on the same storage). The result lands in
 * `window.januaScenario` for the test to read.
 */
import { createJanuaClient, localStorageTokenStore, JanuaError } from "../../src/browser.js";
import { runScenario } from "../scenario.js";

interface Outcome {
  ok: boolean;
  steps: string[];
  error?: string;
  reason?: string;
}

declare global {
  interface Window {
    januaScenario: Promise<Outcome>;
  }
}

async function localStorageSurvivesReload(baseUrl: string): Promise<string> {
  const key = `janua.tokens.${Date.now()}`;
  const first = createJanuaClient({ baseUrl, tokenStore: localStorageTokenStore(key) });
  const email = `browser-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
  await first.auth.register({ email, password: "correct horse battery staple" });
  if (!window.localStorage.getItem(key)) throw new Error("tokens were not written to localStorage");
  const second = createJanuaClient({ baseUrl, tokenStore: localStorageTokenStore(key) });
  const me = await second.auth.getCurrentUser({});
  if (me.user?.email !== email) throw new Error("a new client on the same storage is not signed in");
  await second.auth.logout({});
  if (window.localStorage.getItem(key) !== null) throw new Error("logout left tokens in localStorage");
  return "localStorage token store";
}

async function run(): Promise<Outcome> {
  const api = new URL(window.location.href).searchParams.get("api");
  if (!api) return { ok: false, steps: [], error: "no ?api= parameter" };
  const steps: string[] = [];
  try {
    steps.push(...(await runScenario(
      (tokenStore) => createJanuaClient({ baseUrl: api, transport: "grpc-web", tokenStore }),
      "browser",
    )));
    steps.push(await localStorageSurvivesReload(api));
    return { ok: true, steps };
  } catch (err) {
    return {
      ok: false,
      steps,
      error: String(err),
      reason: err instanceof JanuaError ? err.reason : undefined,
    };
  }
}

window.januaScenario = run();
window.januaScenario.then((outcome) => {
  document.body.textContent = JSON.stringify(outcome, null, 2);
});
