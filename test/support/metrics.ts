// Reading GET /metrics in tests: the families a scrape declares, and the value of a sample.
// Cronline's own output only, so the text format's sample lines are read as prom-client writes
// them: name{label="value",...} number.
import { get, type IncomingHttpHeaders } from "node:http";

export interface Scrape {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Every family the scrape declares (its # TYPE lines), with or without samples. */
  families: Set<string>;
  /** The sum of the samples named `name` whose labels include `labels` (0 when there are none). */
  value(name: string, labels?: Record<string, string>): number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseScrape(status: number, headers: IncomingHttpHeaders, text: string): Scrape {
  const families = new Set<string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) families.add(type[1]!);
    const sample = sampleLine.exec(line);
    if (!sample || line.startsWith("#")) continue;
    const labels = Object.fromEntries([...(sample[2] ?? "").matchAll(labelPair)].map((pair) => [pair[1]!, pair[2]!]));
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return {
    status,
    headers,
    text,
    families,
    value: (name, labels = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value)).reduce((sum, s) => sum + s.value, 0),
  };
}

/** GET /metrics of the server whose GraphQL endpoint is `graphqlUrl`; node:http, so that any header (Host too) can be sent. */
export function scrapeMetrics(graphqlUrl: string, headers: Record<string, string> = {}): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    get(new URL("/metrics", graphqlUrl), { headers }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(parseScrape(response.statusCode!, response.headers, body)));
    }).on("error", reject);
  });
}

/** The error a refused scrape answered with. */
export const refusalOf = (scrape: Scrape) => (JSON.parse(scrape.text) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;
