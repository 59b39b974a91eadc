// `npm run bench:schedule-kinds`: what previewing costs per instant for each schedule kind, and
// the longest single step (one instant: what a slice of previewSchedule cannot split), against
// the reference of the same run: a cron schedule previewed by the code before local-time
// schedules (croner with its own DST handling), loaded from REFERENCE_SOURCE when given.
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { scheduleOccurrences, type DstPolicy, type Schedule } from "../../src/scheduler/time/index.js";

const count = 1_000;
const rounds = 5;
const from = new Date("2026-01-01T00:00:00Z");
const timezone = "Europe/Berlin";
const none = { excludedDates: [] as string[], excludedTimeRanges: [] as string[] };
const cron = (expression: string, exclusions = none): Schedule => ({ kind: "CRON", expression, startAt: null, endAt: null, ...exclusions });

const cases: [string, Schedule, DstPolicy][] = [
  ["cron */20 * * * *", cron("*/20 * * * *"), "VIXIE"],
  ["cron 30 2 * * * (BOTH_PASSES)", cron("30 2 * * *"), "BOTH_PASSES"],
  ["cron + excluded dates and hours", cron("*/20 * * * *", { excludedDates: ["2026-01-02", "2026-01-03"], excludedTimeRanges: ["00:00-06:00"] }), "VIXIE"],
  ["calendar daily 02:30", { kind: "CALENDAR", rule: { kind: "DAILY" }, timeOfDay: "02:30", startAt: null, endAt: null, ...none }, "VIXIE"],
  ["window 00:00-06:00@20 mon-fri, ! * * * jan", { kind: "WINDOW", definitions: ["00:00-06:00@20 mon-fri", "! * * * jan"], seed: null, startAt: null, endAt: null, ...none }, "VIXIE"],
  ["window ~16:00-21:00 *:last", { kind: "WINDOW", definitions: ["~16:00-21:00 *:last"], seed: "bench", startAt: null, endAt: null, ...none }, "VIXIE"],
  ["anyOf 3 crons", { kind: "ANY_OF", schedules: [cron("*/20 * * * *"), cron("5 * * * *"), cron("0 9 * * MON")], ...none }, "VIXIE"],
  ["allOf */15 and */6 (meet every 30 min)", { kind: "ALL_OF", schedules: [cron("*/15 * * * *"), cron("*/6 * * * *")], ...none }, "VIXIE"],
];

interface Measure {
  perInstantUs: number;
  longestStepMs: number;
}

function measure(occurrences: () => Iterator<Date>): Measure {
  let best = Infinity;
  let longest = 0;
  for (let round = 0; round < rounds; round++) {
    const iterator = occurrences();
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const stepStarted = performance.now();
      if (iterator.next().done) break;
      longest = Math.max(longest, performance.now() - stepStarted);
    }
    best = Math.min(best, performance.now() - started);
  }
  return { perInstantUs: (best / count) * 1000, longestStepMs: longest };
}

const referenceSource = process.env.REFERENCE_SOURCE;
let reference: Measure | null = null;
if (referenceSource) {
  const before = (await import(pathToFileURL(`${referenceSource}/src/scheduler/time/index.ts`).href)) as {
    scheduleOccurrences: (schedule: unknown, timezone: string, from: Date) => Iterator<Date>;
  };
  reference = measure(() => before.scheduleOccurrences({ kind: "CRON", expression: "*/20 * * * *", startAt: null, endAt: null }, timezone, from));
}

const rows = cases.map(([name, schedule, policy]) => ({ name, ...measure(() => scheduleOccurrences(schedule, timezone, from, policy)) }));
const ratio = (us: number) => (reference ? `${(us / reference.perInstantUs).toFixed(2)}×` : "n/a");
console.log(`previewSchedule, ${count} instants in ${timezone}, best of ${rounds}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`| schedule | µs per instant | × reference | longest single instant (ms) |`);
console.log(`| --- | ---: | ---: | ---: |`);
if (reference) console.log(`| reference: cron */20 * * * * before (croner's DST) | ${reference.perInstantUs.toFixed(1)} | 1.00× | ${reference.longestStepMs.toFixed(2)} |`);
for (const row of rows) console.log(`| ${row.name} | ${row.perInstantUs.toFixed(1)} | ${ratio(row.perInstantUs)} | ${row.longestStepMs.toFixed(2)} |`);
