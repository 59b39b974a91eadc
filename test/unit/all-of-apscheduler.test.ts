// allOf against its reference, APScheduler 3's AndTrigger (Debian's python3-apscheduler, run
// by /usr/bin/python3 as bench:scheduler runs it): the same instants from the same crontabs.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { previewSchedule, type Schedule } from "../../src/scheduler/time/index.js";

const script = fileURLToPath(new URL("../support/apscheduler-and-trigger.py", import.meta.url));
const python = "/usr/bin/python3";
const hasApscheduler = (() => {
  try {
    execFileSync(python, ["-c", "import apscheduler.triggers.combining"], { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
})();

const apschedulerInstants = (crontabs: string[], timezone: string, from: string, count: number): string[] =>
  (JSON.parse(execFileSync(python, [script, JSON.stringify({ crontabs, timezone, from, count })], { encoding: "utf8", timeout: 60_000 })) as string[]).map((iso) =>
    new Date(iso).toISOString(),
  );

const allOf = (crontabs: string[]): Schedule => ({
  kind: "ALL_OF",
  schedules: crontabs.map((expression) => ({ kind: "CRON", expression, startAt: null, endAt: null, excludedDates: [], excludedTimeRanges: [] })),
  excludedDates: [],
  excludedTimeRanges: [],
});

describe.skipIf(!hasApscheduler)("allOf and APScheduler's AndTrigger (python3-apscheduler)", () => {
  const cases: [string[], string][] = [
    [["*/15 * * * *", "*/6 * * * *"], "UTC"],
    [["0 */3 * * *", "0 0-12 * * MON-FRI"], "Europe/Berlin"],
    [["*/10 8-18 * * *", "0,20,40 * 1-7 * *", "* * * * SAT,SUN"], "America/New_York"],
  ];
  for (const [crontabs, timezone] of cases) {
    it(`agree on ${crontabs.join(" and ")} in ${timezone}`, () => {
      const from = "2026-01-01T00:00:00+00:00";
      const ours = previewSchedule(allOf(crontabs), timezone, new Date(from), 25).map((d) => d.toISOString());
      expect(ours).toHaveLength(25);
      expect(ours).toEqual(apschedulerInstants(crontabs, timezone, from, 25));
    });
  }
});
