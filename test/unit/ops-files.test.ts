// The Grafana dashboard and the Prometheus alert rules in ops/ use only metrics a real
// Cronline server exports: every PromQL expression in them parses, and every metric it selects
// is a family of a scrape (a histogram's _bucket, _sum and _count series by their family).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { projectRoot } from "../../src/project-root.js";
import { scrapeMetrics, type Scrape } from "../support/metrics.js";
import { useTestServer } from "../support/test-server.js";

/** Series Prometheus makes itself for every target, not Cronline. */
const prometheusOwnSeries = new Set(["up"]);

/** The metric names an expression selects; fails on an expression that does not parse. */
function selectedMetrics(expression: string): string[] {
  // Grafana's variables, as a value PromQL accepts where they stand.
  const promql = expression.replaceAll(/\$__\w+/g, "5m").replaceAll(/\$\{?\w+\}?/g, "x");
  const names: string[] = [];
  const errors: string[] = [];
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(promql.slice(node.from, node.from + 20))}`);
      if (node.name === "VectorSelector") {
        const identifier = node.node.getChild("Identifier");
        if (identifier) names.push(promql.slice(identifier.from, identifier.to));
      }
    },
  });
  expect(errors, `PromQL does not parse: ${expression}`).toEqual([]);
  return names;
}

/** Whether the scrape has this series: its own family, or a histogram's. */
function isExported(scrape: Scrape, name: string): boolean {
  if (scrape.families.has(name) || prometheusOwnSeries.has(name)) return true;
  const family = name.replace(/_(bucket|sum|count)$/, "");
  return family !== name && scrape.families.has(family) && new RegExp(`^# TYPE ${family} histogram$`, "m").test(scrape.text);
}

const opsFile = (file: string) => readFileSync(path.join(projectRoot, "ops", file), "utf8");

interface DashboardPanel {
  title: string;
  targets?: { expr: string }[];
  panels?: DashboardPanel[];
}

function dashboardExpressions(): { where: string; expression: string }[] {
  const dashboard = JSON.parse(opsFile("grafana/cronline-dashboard.json")) as {
    panels: DashboardPanel[];
    templating: { list: { name: string; query?: string | { query: string } }[] };
  };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const targets = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expression: target.expr })));
  // label_values(metric, label): the metric is a selector as any other.
  const variables = dashboard.templating.list.flatMap((variable) => {
    const query = typeof variable.query === "object" ? variable.query.query : variable.query;
    const selector = /^label_values\((.+),\s*\w+\)$/.exec(query ?? "")?.[1];
    return selector ? [{ where: `variable $${variable.name}`, expression: selector }] : [];
  });
  return [...targets, ...variables];
}

function alertExpressions(): { where: string; expression: string }[] {
  const rules = parseYaml(opsFile("prometheus/cronline-alerts.yml")) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expression: rule.expr })));
}

describe("ops/ dashboards and alert rules", () => {
  const server = useTestServer("sqlite");

  it.each([
    ["the Grafana dashboard", dashboardExpressions],
    ["the Prometheus alert rules", alertExpressions],
  ])("%s select only metrics a real scrape exports", async (_what, expressions) => {
    const scrape = await scrapeMetrics(server.app.url);
    expect(scrape.status).toBe(200);
    const found = expressions();
    expect(found.length).toBeGreaterThan(5);
    const missing = found.flatMap(({ where, expression }) => selectedMetrics(expression).filter((name) => !isExported(scrape, name)).map((name) => `${name} (${where})`));
    expect(missing).toEqual([]);
  });

  it("tells a metric that does not exist from one that does", () => {
    expect(selectedMetrics('sum(rate(cronline_no_such_metric_total{job="x"}[5m])) / up')).toEqual(["cronline_no_such_metric_total", "up"]);
    expect(() => selectedMetrics("sum(rate(cronline_runs[5m])")).toThrow();
  });

  it("gives every alert a severity and a summary", () => {
    const rules = parseYaml(opsFile("prometheus/cronline-alerts.yml")) as { groups: { rules: { alert: string; labels?: { severity?: string }; annotations?: { summary?: string } }[] }[] };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.alert)).toEqual(expect.arrayContaining(["CronlineInstanceDown", "CronlineMissedOccurrences", "CronlineFireLagHigh", "CronlineRunsFailing"]));
    for (const rule of alerts) expect([rule.alert, rule.labels?.severity, typeof rule.annotations?.summary]).toEqual([rule.alert, expect.stringMatching(/^(warning|critical)$/), "string"]);
  });
});
