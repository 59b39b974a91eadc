// A real browser for the page's tests: Debian's chromium driven by playwright-core (Playwright's
// own browser download cannot work on these machines; .ci/run installs chromium when missing).
// Every page is kept to the server under test: a request to any other host is refused and
// recorded, and the tests fail on it.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Generous for a loaded machine: every wait is for a condition, this only bounds a broken one. */
export const browserWaitMs = 30_000;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`no chromium at ${chromiumPath}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`);
  // --no-sandbox: the tests run as root, which chromium's sandbox refuses.
  return chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
}

export interface GuardedPage {
  context: BrowserContext;
  page: Page;
  /** Requests the page tried to send to another host than the server's (each refused). */
  foreignRequests: string[];
}

/** A fresh context (its own sessionStorage) and page that may only talk to `serverOrigin`. */
export async function openGuardedPage(browser: Browser, serverOrigin: string, viewport = { width: 1280, height: 900 }): Promise<GuardedPage> {
  const context = await browser.newContext({ baseURL: serverOrigin, viewport });
  context.setDefaultTimeout(browserWaitMs);
  const foreignRequests: string[] = [];
  const { host } = new URL(serverOrigin);
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.host === host) return route.continue();
    foreignRequests.push(url.href);
    return route.abort("blockedbyclient");
  });
  return { context, page: await context.newPage(), foreignRequests };
}
