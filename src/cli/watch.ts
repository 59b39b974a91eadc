// `cronline watch`: scheduleView in CHANGES mode over the graphql-ws websocket, kept in a
// LiveTable and shown every second: redrawn in place on a terminal, as a block of text
// otherwise, or as one line of JSON (--json). It runs until SIGINT or SIGTERM (exit 0), or
// until the server ends the subscription or the socket (an error, exit code as for requests).
import type { CliScheduleViewSubscription, LiveTaskFilter } from "../generated/graphql/graphql.js";
import type { ApiClient } from "./client.js";
import { errorOfGraphQL } from "./client.js";
import { CliError, exitCodes } from "./exit-codes.js";
import { websocketClient } from "./follow-run.js";
import { LiveTable, type LiveRow } from "./live-table.js";
import { CliScheduleView } from "./operations/runs.js";
import { formatCountdown, formatInstant, formatList, formatTable } from "./output.js";

type Display = "screen" | "blocks" | "json";

const clearScreen = "\x1b[H\x1b[2J";

function text(rows: LiveRow[], serverTime: number): string {
  const table = formatTable(
    ["TASK", "STATE", "SERVICE", "NEXT RUN", "IN", "LAST RUN", "STATUS", "TAGS"],
    rows.map((row) => [
      row.name,
      row.state + (row.pauseNote ? ` (${row.pauseNote})` : ""),
      row.serviceName,
      formatInstant(row.nextRunAt),
      formatCountdown(row.secondsUntilNextRun),
      formatInstant(row.lastRunAt),
      row.lastRunStatus ?? "",
      formatList(row.tags),
    ]),
  );
  return `Cronline schedule at ${formatInstant(new Date(serverTime).toISOString())}, ${rows.length} tasks (Ctrl-C to stop)\n${table}\n`;
}

/** Close codes of the graphql-ws server that mean the token was refused. */
const refusedCloseCodes = new Set([4401, 4403]);

export async function watchSchedule(api: ApiClient, filter: LiveTaskFilter, display: Display): Promise<void> {
  const table = new LiveTable();
  let received = false;
  const draw = () => {
    if (!received) return;
    const now = Date.now();
    const rows = table.rows(now);
    if (display === "json") process.stdout.write(`${JSON.stringify({ at: new Date(table.serverTime(now)).toISOString(), tasks: rows })}\n`);
    else process.stdout.write((display === "screen" ? clearScreen : "\n") + text(rows, table.serverTime(now)));
  };
  const socket = websocketClient(api);
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
      timer = setInterval(draw, 1_000);
      unsubscribe = socket.subscribe<CliScheduleViewSubscription>(
        { query: CliScheduleView.toString(), variables: { filter } },
        {
          next: (result) => {
            if (result.errors) return reject(errorOfGraphQL(result.errors as never));
            const first = !received;
            table.apply((result.data as CliScheduleViewSubscription).scheduleView, Date.now());
            received = true;
            if (first) draw();
          },
          error: (error) => reject(disconnection(error)),
          complete: () => reject(new CliError("the server ended the live schedule", exitCodes.failure, { code: "DISCONNECTED" })),
        },
      );
    });
  } finally {
    clearInterval(timer);
    unsubscribe();
    await socket.dispose();
  }
}

/** Why the socket ended: a close event of the graphql-ws server, or an error of the connection. */
function disconnection(error: unknown): CliError {
  const code = (error as { code?: unknown }).code;
  const reason = (error as { reason?: string }).reason || (error as Error).message || "closed";
  if (typeof code === "number" && refusedCloseCodes.has(code)) {
    return new CliError(`the server refused the token: ${reason}`, exitCodes.forbidden, { code: "UNAUTHENTICATED" });
  }
  return new CliError(`the live schedule stopped: ${typeof code === "number" ? `websocket closed with ${code} ${reason}` : reason}`, exitCodes.failure, { code: "DISCONNECTED" });
}
