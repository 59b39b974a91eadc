// The schedule page at `/` and GraphiQL, in a real browser (Debian's chromium through
// playwright-core) against a real server process (`dist/cronline.js serve`, as `npm start` runs
// it) on a SQLite file. Every page may only talk to the server: a request to any other host is
// refused, and each test fails on it. The page under test is built by the run's global setup
// (npm run build), like the server.
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { contentSecurityPolicy } from "../../src/http/web-page.js";
import { CreateApiToken, RevokeApiToken } from "../support/auth-operations.js";
import { browserWaitMs, launchChromium, openGuardedPage, type GuardedPage } from "../support/browser.js";
import { signalProcessGroup } from "../support/child-processes.js";
import { createDevice, createService } from "../support/fixtures.js";
import { graphqlClient, type GraphQLClient } from "../support/graphql-client.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";
import { CreateTask, PauseTask, RunTask } from "../support/task-operations.js";
import { startDroppingProxy } from "../support/tcp-proxy.js";

const hourly = { standard: { frequencySeconds: 3_600 } };

async function stopServer(server: ServerProcess): Promise<void> {
  signalProcessGroup(server.child, "SIGTERM");
  await server.exited;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await connection(page, "Live").waitFor();
}

const connection = (page: Page, words: string) => page.getByRole("status").filter({ hasText: words });
const taskRow = (page: Page, name: string) => page.locator("tr", { has: page.getByRole("link", { name, exact: true }) });
const openTask = (page: Page, name: string) => page.getByRole("link", { name, exact: true }).click();
const stateBadge = (page: Page) => page.locator(".task-header .badge");
/** Each row's next run as shown (its datetime), top to bottom; null for a row without one. */
const nextRuns = (page: Page) => page.locator("tbody tr td.next-run").evaluateAll((cells) => cells.map((cell) => cell.querySelector("time")?.dateTime ?? null));

describe("the schedule page and GraphiQL, in chromium", () => {
  const adminToken = generateTokenSecret();
  let scratch: ScratchDatabase;
  let server: ServerProcess;
  let origin: string;
  let serverEnv: Record<string, string>;
  let admin: GraphQLClient;
  let browser: Browser | undefined;
  const pages: GuardedPage[] = [];
  const tokens = { operator: "", viewer: "" };
  const taskIds = new Map<string, string>();

  /** A page of its own (its own sessionStorage); its foreign requests are checked after the test. */
  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    const guarded = await openGuardedPage(browser!, origin, viewport);
    pages.push(guarded);
    return guarded.page;
  }

  async function createToken(name: string, role: "OPERATOR" | "VIEWER") {
    const { createApiToken } = await admin.data(CreateApiToken, { input: { name, role } });
    if (createApiToken.__typename !== "CreateApiTokenSuccess") throw new Error(createApiToken.message);
    return createApiToken.apiToken;
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase("sqlite");
    serverEnv = {
      DATABASE_URL: scratch.location.url,
      CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken,
      SHUTDOWN_GRACE_SECONDS: "1",
      COMMAND_KILL_GRACE_SECONDS: "1",
      EXECUTOR_POLL_SECONDS: "0.2",
    };
    server = spawnServer(serverEnv);
    origin = new URL(await server.listening).origin;
    admin = graphqlClient(`${origin}/graphql`, adminToken);
    browser = await launchChromium();

    tokens.operator = (await createToken("page-operator", "OPERATOR")).secret;
    tokens.viewer = (await createToken("page-viewer", "VIEWER")).secret;
    const laptop = await createDevice(admin, { name: "laptop", address: "127.0.0.1", properties: { delay: "0" } });
    const server2 = await createDevice(admin, { name: "server-2", address: "127.0.0.2", properties: { delay: "3" } });
    // server-2 answers 3 s after laptop: long enough to see the run running with one result.
    const hello = await createService(admin, {
      name: "hello",
      config: { command: 'sh -c "sleep {{device.properties.delay}}; echo hello from {{device.name}}"' },
      targetDeviceIds: [laptop.id, server2.id],
    });
    const slow = await createService(admin, { name: "slow", config: { command: "sleep 60" } });
    const tasks = [
      { name: "every-hour", serviceId: hello.id, tags: ["hourly"], schedule: hourly, active: true },
      { name: "run-by-hand", serviceId: hello.id, tags: ["manual"], schedule: hourly, active: false },
      { name: "confirm-first", serviceId: hello.id, requiresConfirmation: true, schedule: hourly, active: false },
      { name: "pause-me", serviceId: hello.id, schedule: { cron: { expression: "0 2 * * *" } }, timezone: "Europe/Berlin", active: true },
      { name: "long-job", serviceId: slow.id, schedule: hourly, active: false },
    ];
    for (const { active, ...input } of tasks) {
      const { createTask } = await admin.data(CreateTask, { input, schedule: active });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.message);
      taskIds.set(input.name, createTask.task.id);
    }
  });

  afterEach(async () => {
    const opened = pages.splice(0);
    await Promise.all(opened.map(({ context }) => context.close()));
    expect(opened.flatMap(({ foreignRequests }) => foreignRequests)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await stopServer(server);
    await scratch?.drop();
  });

  it("signs in with a token kept in this tab only, says why a token is refused, and counts the next run down every second", async () => {
    const page = await open();
    await page.goto("/");
    await page.getByLabel("API token").fill("cl_not-a-token-of-this-server");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "The server refused the API token. Not authenticated: the API token is invalid" }).waitFor();

    await signIn(page, adminToken);
    await page.getByText("bootstrap-admin (admin)").waitFor();
    const row = taskRow(page, "every-hour");
    await row.getByText("Every 1 h").waitFor();
    await taskRow(page, "pause-me").getByText("At 02:00 (Europe/Berlin)").waitFor();
    const countdown = row.locator(".countdown");
    const first = Number(await countdown.getAttribute("data-seconds"));
    expect(first).toBeGreaterThan(3_000);
    await expect.poll(async () => Number(await countdown.getAttribute("data-seconds")), { timeout: browserWaitMs }).toBeLessThanOrEqual(first - 2);
    expect(await countdown.textContent()).toMatch(/^in \d+ min \d+ s$/);

    // Filters: by name, tag and state.
    await page.getByLabel("Name", { exact: true }).fill("HAND");
    await page.getByText("1 of 5 tasks").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("");
    await page.getByLabel("Tag").selectOption("hourly");
    await page.getByText("1 of 5 tasks").waitFor();
    await page.getByLabel("Tag").selectOption("");
    await page.getByLabel("State").selectOption("PAUSED");
    await page.getByText("3 of 5 tasks").waitFor();
    // Next run, soonest first (the default), or latest first; tasks without one last either way.
    await page.getByLabel("State").selectOption("");
    await page.getByText("5 tasks", { exact: true }).waitFor();
    const soonestFirst = await nextRuns(page);
    expect(soonestFirst.slice(0, 2)).toEqual(soonestFirst.slice(0, 2).toSorted());
    expect(soonestFirst.slice(2)).toEqual([null, null, null]);
    await page.getByLabel("Sort by").selectOption("next-run-last-first");
    await expect.poll(() => nextRuns(page), { timeout: browserWaitMs }).toEqual([...soonestFirst.slice(0, 2).reverse(), null, null, null]);

    expect(await page.evaluate(() => ({ session: sessionStorage.getItem("cronline.token"), local: localStorage.length }))).toEqual({ session: adminToken, local: 0 });
    await page.reload();
    await connection(page, "Live").waitFor();
    expect(await page.getByLabel("API token").count()).toBe(0);
  });
  it("says in words when the server cannot be reached, and tries again when asked", async () => {
    const page = await open();
    await page.route("**/graphql", (route) => route.abort("connectionrefused"));
    await page.goto("/");
    await page.getByRole("alert").filter({ hasText: "Cannot reach the Cronline server" }).waitFor();
    await page.unroute("**/graphql");
    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByLabel("API token").waitFor();
  });

  it("runs a task now and shows the run as it goes: running, each device's output as it finishes, then finished", async () => {
    const page = await open();
    await signIn(page, adminToken);
    await openTask(page, "run-by-hand");
    await page.getByRole("heading", { name: "run-by-hand" }).waitFor();
    // What the newest run shows (status, results), recorded at every change of the page: the page is never reloaded.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const run = document.querySelector(".runs > .run");
        if (!run) return;
        const state = `${run.querySelector(".run-toggle .badge")?.textContent}:${run.querySelectorAll(".result").length}`;
        if (seen.at(-1) !== state) seen.push(state);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole("button", { name: "Run now" }).click();

    const run = page.locator(".runs > .run").first();
    await run.locator(".result", { hasText: "hello from laptop" }).waitFor();
    await run.locator(".result", { hasText: "hello from server-2" }).waitFor();
    await run.locator(".run-toggle .badge", { hasText: "Succeeded" }).waitFor();
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen).toContain("Running:1");
    expect(seen.at(-1)).toBe("Succeeded:2");
    await run.getByText("2 of 2 targets succeeded").waitFor();
    const laptop = run.locator(".result", { hasText: "hello from laptop" });
    await laptop.getByText("exit code 0").waitFor();
    await laptop.getByRole("region", { name: "Standard error" }).getByText("(empty)").waitFor();
    // The table heard of it too.
    await page.getByRole("link", { name: "← Schedule" }).click();
    await taskRow(page, "run-by-hand").locator(".last-run .badge", { hasText: "Succeeded" }).waitFor();
  });

  it("shows a VIEWER a run's results without what the commands printed (RUN_OUTPUT_VISIBLE_TO)", async () => {
    const { runTask } = await admin.data(RunTask, { input: { id: taskIds.get("run-by-hand")!, confirm: true } });
    if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
    const page = await open();
    await signIn(page, tokens.viewer);
    await openTask(page, "run-by-hand");
    const run = page.locator(`.runs > .run[data-run-id="${runTask.run.id}"]`);
    await run.locator(".run-toggle .badge", { hasText: "Succeeded" }).waitFor();
    const toggle = run.locator(".run-toggle");
    if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
    const laptop = run.locator(".result[data-device='laptop']");
    await laptop.getByText("exit code 0").waitFor();
    await laptop.getByRole("region", { name: "Standard output" }).getByText("(not shown to your role: RUN_OUTPUT_VISIBLE_TO)").waitFor();
    expect(await run.getByText("hello from laptop").count()).toBe(0);
  });

  it("asks before running a task that requires confirmation, and runs it once confirmed", async () => {
    const page = await open();
    await signIn(page, adminToken);
    await openTask(page, "confirm-first");
    await page.getByRole("button", { name: "Run now" }).click();
    const dialog = page.getByRole("dialog", { name: "Run confirm-first now?" });
    await dialog.getByText("asks for a confirmation before each run by hand").waitFor();
    expect(await page.locator(".runs > .run").count()).toBe(0);
    await dialog.getByRole("button", { name: "Run it now" }).click();
    await page.locator(".runs > .run").first().locator(".result", { hasText: "hello from laptop" }).waitFor();
  });

  it("pauses with a note and resumes, from the keyboard, and says in words what the API refused", async () => {
    const page = await open();
    await signIn(page, adminToken);
    await page.getByRole("link", { name: "pause-me", exact: true }).focus();
    await page.keyboard.press("Enter");
    await stateBadge(page).filter({ hasText: "Active" }).waitFor();

    const pauseButton = page.getByRole("button", { name: "Pause…" });
    const dialog = page.getByRole("dialog", { name: "Pause pause-me" });
    // A note longer than the API takes: refused, and the page says why.
    await pauseButton.focus();
    await page.keyboard.press("Enter");
    await dialog.getByLabel(/Note/).fill("x".repeat(4_001));
    await dialog.getByRole("button", { name: "Pause", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "Could not pause the task: input.note: must be at most 4000 characters" }).waitFor();
    await stateBadge(page).filter({ hasText: "Active" }).waitFor();

    await pauseButton.focus();
    await page.keyboard.press("Enter");
    // The dialog puts the focus in the note.
    await dialog.getByLabel(/Note/).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: browserWaitMs }).toBe("pause-note");
    await page.keyboard.type("waiting for the maintenance window");
    await dialog.getByRole("button", { name: "Pause", exact: true }).focus();
    await page.keyboard.press("Enter");
    await stateBadge(page).filter({ hasText: "Paused" }).waitFor();
    await page.getByText(/Paused by bootstrap-admin at .*: waiting for the maintenance window/).waitFor();
    await page.getByText("None while the task is paused.").waitFor();

    await page.getByRole("link", { name: "← Schedule" }).focus();
    await page.keyboard.press("Enter");
    const row = taskRow(page, "pause-me");
    await row.getByText("waiting for the maintenance window").waitFor();
    await row.locator(".badge", { hasText: "Paused" }).waitFor();

    await openTask(page, "pause-me");
    await page.getByRole("button", { name: "Resume" }).focus();
    await page.keyboard.press("Enter");
    await stateBadge(page).filter({ hasText: "Active" }).waitFor();
    await page.locator(".task-now .countdown").waitFor();
    // The cron schedule's next ten 02:00s in Europe/Berlin.
    await expect.poll(() => page.locator(".upcoming li").count(), { timeout: browserWaitMs }).toBe(10);
  });

  it("cancels a running run", async () => {
    const page = await open();
    await signIn(page, adminToken);
    await openTask(page, "long-job");
    await page.getByRole("button", { name: "Run now" }).click();
    const run = page.locator(".runs > .run").first();
    await run.locator(".run-toggle .badge", { hasText: "Running" }).waitFor();
    await run.getByRole("button", { name: "Cancel run" }).click();
    await run.locator(".run-toggle .badge", { hasText: "Cancelled" }).waitFor();
    expect(await run.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
  });

  it("shows an ADMIN every action, an OPERATOR no admin action, and a VIEWER none", async () => {
    const actions = async (token: string) => {
      const page = await open();
      await signIn(page, token);
      await openTask(page, "every-hour");
      await stateBadge(page).waitFor();
      return page.locator("main button:not(.run-toggle)").allTextContents();
    };
    expect(await actions(adminToken)).toEqual(["Run now", "Pause…", "Duplicate", "Delete…"]);
    expect(await actions(tokens.operator)).toEqual(["Run now", "Pause…"]);
    expect(await actions(tokens.viewer)).toEqual([]);
  });

  it("sends a revoked token back to sign-in with the reason", async () => {
    const token = await createToken("page-revoked", "VIEWER");
    const page = await open();
    await signIn(page, token.secret);
    await page.getByRole("link", { name: "every-hour", exact: true }).waitFor();
    await admin.data(RevokeApiToken, { input: { id: token.id } });
    // The server closes the page's live connection (4403) at once: the page asks why and signs out, with nothing clicked.
    await page.getByRole("alert").filter({ hasText: /^The server refused the API token\. .*the API token is revoked/ }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("cronline.token"))).toBeNull();
  });

  it("fits a phone-width screen", async () => {
    const page = await open({ width: 375, height: 740 });
    await signIn(page, tokens.viewer);
    const row = taskRow(page, "every-hour");
    await row.waitFor();
    // Each task is a card: its cells stack, and nothing is wider than the screen.
    expect(await row.evaluate((element) => getComputedStyle(element).display)).toBe("block");
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(await fits()).toBe(true);
    await openTask(page, "every-hour");
    await page.locator(".runs > .run").first().waitFor();
    expect(await fits()).toBe(true);
  });

  it("serves GraphiQL that renders its editor and runs a subscription with every other host cut off", async () => {
    const page = await open();
    const response = await page.goto("/graphql");
    expect(response?.headers()["content-security-policy"]).toBe(contentSecurityPolicy);
    expect(response?.headers()["cache-control"]).toBe("no-store");
    await page.locator(".graphiql-container .monaco-editor").first().waitFor();
    // The Headers tab says where the token goes.
    await page.getByText('"Bearer cl_paste-your-token-here"').waitFor();
    // Monaco's workers come from the server too.
    await expect.poll(() => page.workers().map((worker) => new URL(worker.url()).origin), { timeout: browserWaitMs }).toContain(origin);

    // Signed in on the schedule page in this tab: GraphiQL sends the same token.
    await signIn(page, tokens.viewer);
    const subscription = "subscription { scheduleView(mode: CHANGES, tickSeconds: 1) { kind at } }";
    await page.goto(`/graphql?query=${encodeURIComponent(subscription)}`);
    await page.getByRole("button", { name: /Execute query/ }).click();
    await page.locator(".graphiql-response").getByText('"scheduleView"').waitFor();
  });

  it("asks for no token with AUTH_DISABLED=true", async () => {
    const local = await createScratchDatabase("sqlite");
    const localServer = spawnServer({ DATABASE_URL: local.location.url, AUTH_DISABLED: "true", HOST: "127.0.0.1" });
    try {
      const guarded = await openGuardedPage(browser!, new URL(await localServer.listening).origin);
      pages.push(guarded);
      await guarded.page.goto("/");
      await connection(guarded.page, "Live").waitFor();
      await guarded.page.getByText("local-development (admin)").waitFor();
      await guarded.page.getByText("No tasks yet.").waitFor();
      expect(await guarded.page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    } finally {
      await stopServer(localServer);
      await local.drop();
    }
  });

  it("notices by itself that the network dropped, reconnects once it is back, and shows what changed meanwhile", async () => {
    // The page reaches the server through a proxy whose network can drop without telling anyone.
    const proxy = await startDroppingProxy({ host: "127.0.0.1", port: Number(new URL(origin).port) });
    try {
      const guarded = await openGuardedPage(browser!, proxy.origin);
      pages.push(guarded);
      const { page } = guarded;
      await signIn(page, adminToken);
      await taskRow(page, "pause-me").locator(".badge", { hasText: "Active" }).waitFor();

      proxy.drop();
      // Its pings go unanswered: the page gives the socket up rather than wait for TCP.
      await connection(page, "Reconnecting…").waitFor();
      await admin.data(PauseTask, { input: { id: taskIds.get("pause-me")!, note: "paused while the page was cut off" } });
      proxy.heal();
      // Its attempt during the drop is never answered either: it tries again, and gets through.
      await connection(page, "Live").waitFor();
      await taskRow(page, "pause-me").getByText("paused while the page was cut off").waitFor();
    } finally {
      await proxy.close();
    }
  });

  // Last: it restarts the server the other tests use.
  it("reconnects by itself after the server restarts, and shows what changed meanwhile", async () => {
    const page = await open();
    await signIn(page, adminToken);
    await openTask(page, "every-hour");
    await stateBadge(page).waitFor();

    await stopServer(server);
    await connection(page, "Reconnecting…").waitFor();
    // An action while the server is away: the page says so in words.
    await page.getByRole("button", { name: "Run now" }).click();
    await page.getByRole("alert").filter({ hasText: "Could not run the task: Cannot reach the Cronline server" }).waitFor();
    // A change the page cannot hear of: made in the database while no server runs.
    const database = await openDatabase(scratch.location);
    try {
      await database.client.task.updateMany({ where: { name: "every-hour" }, data: { name: "renamed-while-away" } });
    } finally {
      await database.close();
    }

    server = spawnServer({ ...serverEnv, PORT: new URL(origin).port });
    await server.listening;
    await connection(page, "Live").waitFor();
    await page.getByRole("heading", { name: "renamed-while-away" }).waitFor();
    await page.getByRole("link", { name: "← Schedule" }).click();
    const countdown = taskRow(page, "renamed-while-away").locator(".countdown");
    const first = Number(await countdown.getAttribute("data-seconds"));
    await expect.poll(async () => Number(await countdown.getAttribute("data-seconds")), { timeout: browserWaitMs }).toBeLessThan(first);
  });
});
