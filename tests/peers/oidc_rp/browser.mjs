// What the browser peers share: Debian's headless Chromium through playwright-core (never a
// downloaded browser), a person's way through the provider's hosted pages (by the labels
// and button names of issue #16), and a small loopback HTTP server for redirect targets.
import { createServer } from "node:http";

import { chromium } from "playwright-core";

import { totp } from "./totp.mjs";

export async function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // The machine's network is closed: background fetches only make noise.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Starts an HTTP server on 127.0.0.1:`port` answering `handler(req, res)` (by default a
 * small page naming the path). Returns { url, close }.
 */
export async function serveOn(port, handler) {
  const server = createServer(
    handler ??
      ((req, res) => {
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(`<!doctype html><title>back</title><h1>Back at ${req.url.split("?")[0]}</h1>`);
      }),
  );
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

async function visible(locator) {
  return (await locator.count()) > 0 && locator.first().isVisible();
}

/** The first of `candidates` (name → locator) seen on the page within `timeout` ms. */
async function firstSeen(page, candidates, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const [name, found] of Object.entries(candidates)) {
      if (await found()) return name;
    }
    if (Date.now() > deadline) {
      const text = await page.locator("body").innerText().catch(() => "");
      throw new Error(`none of ${Object.keys(candidates)} on ${page.url()}: ${text.slice(0, 500)}`);
    }
    await page.waitForTimeout(100);
  }
}

/**
 * Walks the hosted pages as a person would until the browser reaches a URL starting with
 * `until`: the sign-in form ("Email", "Password", "Sign in"), the TOTP step ("Authenticator
 * code", "Verify", code computed from `totpSecret` at the provider's time, this machine's
 * plus `clockOffsetMs`, not before the Unix time `totpNotBefore`), consent ("Allow", or "Deny" when
 * `deny`). Returns the pages it went through, in order, and the URL it arrived at.
 */
export async function walkHostedPages(
  page,
  { email, password, totpSecret, clockOffsetMs = 0, totpNotBefore = 0, deny = false, until },
) {
  const steps = [];
  for (let round = 0; round < 6; round += 1) {
    const seen = await firstSeen(page, {
      done: async () => page.url().startsWith(until),
      sign_in: () => visible(page.getByLabel("Password", { exact: true })),
      totp: () => visible(page.getByLabel("Authenticator code", { exact: true })),
      consent: () => visible(page.getByRole("button", { name: "Allow", exact: true })),
    });
    if (seen === "done") return { steps, url: page.url() };
    steps.push(seen);
    if (seen === "sign_in") {
      await page.getByLabel("Email", { exact: true }).fill(email);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
    } else if (seen === "totp") {
      if (!totpSecret) throw new Error("the provider asked for a TOTP code and none was given");
      const providerNow = () => Date.now() + clockOffsetMs;
      while (providerNow() < totpNotBefore * 1000) await page.waitForTimeout(250);
      await page.getByLabel("Authenticator code", { exact: true }).fill(totp(totpSecret, providerNow()));
      await page.getByRole("button", { name: "Verify", exact: true }).click();
    } else {
      await page.getByRole("button", { name: deny ? "Deny" : "Allow", exact: true }).click();
    }
    await page.waitForLoadState();
  }
  throw new Error(`still on the hosted pages after ${steps}: ${page.url()}`);
}

/** Whether the page now shows the sign-in form (within `timeout` ms). */
export async function showsSignIn(page, timeout = 10000) {
  try {
    await page.getByLabel("Password", { exact: true }).waitFor({ timeout });
    return true;
  } catch {
    return false;
  }
}
