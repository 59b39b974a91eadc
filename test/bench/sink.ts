// The target of the benchmarks' HTTP runs: a keep-alive server answering 200 "ok" to
// everything, in a child process of its own so its CPU is not the measured process's.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

export interface Sink {
  port: number;
  stop(): void;
}

export async function startSink(): Promise<Sink> {
  const script = `const http = require("node:http");
    const server = http.createServer((req, res) => { req.resume(); req.on("end", () => res.end("ok")); });
    server.keepAliveTimeout = 60000;
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = () => child.kill();
  process.on("exit", stop);
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return { port: Number(line), stop };
}
