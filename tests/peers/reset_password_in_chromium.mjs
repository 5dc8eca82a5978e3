// Opens a mailed password-reset link in Debian's headless Chromium with JavaScript off, fills
// the form in by its labels and submits it as a person would, then prints the resulting
// page's heading and text as JSON. Usage: node reset_password_in_chromium.mjs LINK PASSWORD
import { chromium } from "playwright-core";

const [link, password] = process.argv.slice(2);
if (!link || !password) throw new Error("usage: reset_password_in_chromium.mjs LINK PASSWORD");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
  headless: true,
});
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(link);
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the new password", { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((url) => !url.search.includes("token=")),
    page.getByRole("button", { name: "Set the new password" }).click(),
  ]);
  const heading = await page.locator("h1").innerText();
  const text = await page.locator("main").innerText();
  console.log(JSON.stringify({ heading, text }));
} finally {
  await browser.close();
}
