// npm run bench:failover [-- --seconds 600 --kills 20 --tasks 50 --instances 3 --lease 8 --seed N --reference-seconds 120] (--quick: 120 s, 8 kills)
//
// The failover test's scenario, longer: Cronline processes on one PostgreSQL database, tasks
// firing every second (misfire RUN_ALL, overlap BUFFER_ALL), one process SIGKILLed and
// restarted about every seconds/kills (uniformly between half and one and a half of that,
// seeded), then the same cluster without kills for the reference. Both are counted from the
// database: duplicates, missed occurrences, runs left behind, the longest gap between starts
// of a task against EXECUTOR_LEASE_SECONDS + 2 s, and how long after each kill its runs were
// closed.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { postgresUnavailableReason } from "../../src/db/scratch-database.js";
import { buildDist } from "../support/build.js";
import { stopAllChildren } from "../support/child-processes.js";
import { failoverTable, runFailover, type FailoverFigures, type FailoverOptions } from "../support/failover.js";
import { goalLine, markdownTable, ratio } from "./report.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    kills: { type: "string" },
    tasks: { type: "string", default: "50" },
    instances: { type: "string", default: "3" },
    lease: { type: "string", default: "8" },
    seed: { type: "string" },
    "reference-seconds": { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 120 : 600));
const kills = Number(values.kills ?? (values.quick ? 8 : 20));
const leaseSeconds = Number(values.lease);
const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
const referenceSeconds = Number(values["reference-seconds"] ?? Math.min(seconds, 120));
const progress = (message: string) => process.stderr.write(`${message}\n`);

const problem = await postgresUnavailableReason();
if (problem) {
  progress(`bench:failover needs PostgreSQL: ${problem}`);
  process.exit(1);
}
buildDist();

const spacingMs = (seconds * 1000) / kills;
const scenario: Omit<FailoverOptions, "seconds" | "killEveryMs"> = {
  tasks: Number(values.tasks),
  instances: Number(values.instances),
  leaseSeconds,
  seed,
  command: "true",
  progress,
};
progress(`bench:failover: ${seconds} s, ${kills} kills, seed ${seed}; load average ${loadavg()[0]!.toFixed(2)}`);
let withKills: FailoverFigures;
let reference: FailoverFigures;
try {
  withKills = await runFailover({ ...scenario, seconds, killEveryMs: [spacingMs / 2, (spacingMs * 3) / 2] });
  reference = await runFailover({ ...scenario, seconds: referenceSeconds, killEveryMs: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY] });
} finally {
  await stopAllChildren();
}

console.log(`## Failover: ${withKills.kills.length} kills in ${seconds} s (${scenario.instances} processes, ${scenario.tasks} tasks every second, lease ${leaseSeconds} s)\n`);
console.log(failoverTable(withKills, leaseSeconds));
console.log(`\n## Against the same cluster without kills (${referenceSeconds} s)\n`);
const row = (name: string, ours: number, theirs: number, unit = "") => [name, `${ours}${unit}`, `${theirs}${unit}`, ratio(ours, theirs)];
console.log(
  markdownTable(
    ["figure", "with kills", "without kills", "ratio"],
    [
      row("longest gap between starts of a task (s)", withKills.longestGapMs / 1000, reference.longestGapMs / 1000),
      row("missed occurrences", withKills.missed, reference.missed),
      row("duplicate occurrences", withKills.duplicateOccurrences, reference.duplicateOccurrences),
      row("runs left QUEUED or RUNNING", withKills.leftActive, reference.leftActive),
    ],
  ),
);
const closureMax = Math.max(0, ...withKills.closureDelaysMs);
console.log(
  [
    "",
    goalLine(withKills.duplicateOccurrences === 0, "0 duplicate occurrences"),
    goalLine(withKills.missed === 0, "0 missed occurrences"),
    goalLine(withKills.leftActive === 0 && withKills.interruptedAlive === 0, "no run left behind, none of a live process closed"),
    goalLine(closureMax <= (leaseSeconds + 5) * 1000, `interrupted runs closed within the lease + 5 s (max ${(closureMax / 1000).toFixed(2)} s)`),
    goalLine(withKills.longestGapMs < withKills.gapLimitMs, `longest gap ${(withKills.longestGapMs / 1000).toFixed(2)} s < lease + 2 s`),
  ].join("\n"),
);
