// The one connection of a process that LISTENs for the other processes' notifications. It is
// kept open: when it drops (or stops answering), it is opened again with a growing delay, and
// since notifications sent meanwhile are lost, `onReconnected` tells the roles to look at the
// database.
import pg from "pg";
import type { Logger } from "../logger.js";
import { clusterChannel } from "./notifier.js";

export interface NotificationListenerOptions {
  url: string;
  /** Shown in pg_stat_activity, so an operator can tell the connection apart. */
  applicationName: string;
  logger: Logger;
  onNotification(payload: string): void;
  onReconnected(): void;
}

const firstRetryMs = 100;
const maxRetryMs = 5_000;
/** How often the connection is checked, and how long it has to answer. */
const checkIntervalMs = 15_000;
const checkTimeoutMs = 5_000;

export class NotificationListener {
  readonly #options: NotificationListenerOptions;
  readonly #logger: Logger;
  #client: pg.Client | undefined;
  #retryMs = firstRetryMs;
  #retryTimer: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: NotificationListenerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: "cluster-listener" });
  }

  /** Listens; if the first connection fails, it keeps trying in the background. */
  async start(): Promise<void> {
    if (await this.#connect()) return;
    this.#retryLater();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#checkTimer);
    await this.#client?.end().catch(() => {});
  }

  async #connect(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.#options.url, application_name: this.#options.applicationName, keepAlive: true, query_timeout: checkTimeoutMs });
    // Until it is ours, a failure is the connect's to report.
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query(`LISTEN ${clusterChannel}`);
    } catch (error) {
      this.#logger.warn({ err: error, retryInMs: this.#retryMs }, "could not listen for other instances' notifications");
      await client.end().catch(() => {});
      return false;
    }
    if (this.#stopped) {
      await client.end().catch(() => {});
      return true;
    }
    this.#client = client;
    this.#retryMs = firstRetryMs;
    client.on("notification", (message) => {
      if (message.channel === clusterChannel && message.payload !== undefined) this.#options.onNotification(message.payload);
    });
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("the connection ended")));
    this.#checkTimer = setInterval(() => {
      client.query("SELECT 1").catch((error: unknown) => this.#lost(client, error));
    }, checkIntervalMs);
    this.#checkTimer.unref();
    return true;
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = undefined;
    clearInterval(this.#checkTimer);
    this.#logger.warn({ err: error }, "lost the connection listening to other instances; reconnecting");
    client.end().catch(() => {});
    this.#retryLater();
  }

  #retryLater(): void {
    this.#retryTimer = setTimeout(async () => {
      if (this.#stopped) return;
      if (await this.#connect()) {
        if (this.#stopped) return;
        this.#logger.info("listening to other instances again; looking at the database for what was missed");
        this.#options.onReconnected();
        return;
      }
      this.#retryMs = Math.min(this.#retryMs * 2, maxRetryMs);
      this.#retryLater();
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}
