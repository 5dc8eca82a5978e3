/**
 * The scenario in a real browser: Debian's headless Chromium, driven by playwright-core,
 * loads a page bundled with the SDK (esbuild) from a different origin than the API, so
 * every gRPC-web call is a CORS request. sdk-gen/test starts Janua with
 * CORS_ALLOWED_ORIGINS set to the page's origin (PAGE_PORT). A second copy of the page on
 * an origin Janua does not allow must fail: the browser refuses the cross-origin answer.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";

const api = process.env.JANUA_URL;
const pagePort = Number(process.env.PAGE_PORT);
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!api || !pagePort) throw new Error("JANUA_URL and PAGE_PORT must be set; run sdk-gen/test");

let browser: Browser;
let script = "";
const servers: Server[] = [];

function servePage(port: number): Promise<string> {
  const server = createServer((request, response) => {
    if (request.url?.startsWith("/page.js")) {
      response.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else {
      response.writeHead(200, { "content-type": "text/html" })
        .end('<!doctype html><meta charset="utf-8"><title>Janua SDK</title><body>running<script type="module" src="/page.js"></script>');
    }
  });
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`);
    });
  });
}

interface Outcome {
  ok: boolean;
  steps: string[];
  error?: string;
  reason?: string;
}

async function runPage(origin: string): Promise<Outcome> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/?api=${encodeURIComponent(api!)}`);
    return await page.evaluate(() => window.januaScenario);
  } finally {
    await context.close();
  }
}

before(async () => {
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL("./browser/page.js", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  script = bundled.outputFiles[0]!.text;
  assert.doesNotMatch(script, /node:http2/, "the browser bundle must not pull in Node modules");
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  for (const server of servers) server.close();
});

test("the scenario runs over gRPC-web in headless Chromium, cross-origin", async () => {
  const origin = await servePage(pagePort);
  assert.notEqual(new URL(origin).origin, new URL(api).origin);
  const outcome = await runPage(origin);
  assert.deepEqual(outcome, {
    ok: true,
    steps: [
      "register", "login", "get current user", "force an expired access token",
      "automatic refresh", "list sessions", "create organization", "list members", "logout",
      "next call fails with TOKEN_ERROR", "localStorage token store",
    ],
  });
});

test("a page from an origin Janua does not allow cannot call it", async () => {
  const origin = await servePage(0);
  const outcome = await runPage(origin);
  assert.equal(outcome.ok, false);
  assert.deepEqual(outcome.steps, []);
  assert.match(outcome.error ?? "", /fetch/i, "the browser blocks the cross-origin call");
});
