// The process's HTTP server: health endpoints and /metrics always (every role answers them),
// the API where this process has the API role, 404 otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.js";
import { sendError } from "./error-response.js";
import { handleHealth, type HealthChecks } from "./health.js";
import { handleMetrics, type MetricsAccess, type MetricsSource } from "./metrics-endpoint.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface ListeningServer {
  server: Server;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** Stops accepting, lets open requests finish, and cuts what is still open at the deadline. */
  close(deadline: AbortSignal): Promise<void>;
}

const notFound: RequestHandler = async (_req, res) => sendError(res, 404, "Not found: this Cronline process has no API role", "NOT_FOUND");

export function createHttpServer(logger: Logger, checks: HealthChecks, metrics: { source: MetricsSource; access: MetricsAccess }, api: RequestHandler | null): Server {
  return createServer(async (req, res) => {
    const started = performance.now();
    res.on("finish", () =>
      // The path alone: a query string may carry a GraphQL document and its variables, secrets included.
      logger.debug({ method: req.method, path: req.url?.split("?")[0], status: res.statusCode, ms: Math.round(performance.now() - started) }, "request"),
    );
    if (await handleHealth(req, res, checks)) return;
    if (await handleMetrics(req, res, metrics.source, metrics.access, logger)) return;
    await (api ?? notFound)(req, res);
  });
}

export async function listen(server: Server, port: number, host: string): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${address.port}/graphql`,
    close: (deadline) =>
      new Promise<void>((resolve) => {
        const cut = () => server.closeAllConnections();
        server.close(() => {
          deadline.removeEventListener("abort", cut);
          resolve();
        });
        server.closeIdleConnections();
        if (deadline.aborted) cut();
        else deadline.addEventListener("abort", cut, { once: true });
      }),
  };
}
