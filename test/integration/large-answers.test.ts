// Large answers go out in pieces, written in slices of the API thread's event loop; small ones
// in one piece with their length, as before. Against a real server on SQLite.
import { describe, expect, it } from "vitest";
import { useTestServer } from "../support/test-server.js";

const query = "{ tasks(first: 100) { edges { node { name payload } } } }";

describe("large answers", () => {
  const server = useTestServer("sqlite", { SCHEDULER_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600" });

  async function ask(accept: string) {
    const response = await fetch(server.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept, authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify({ query }),
    });
    return { response, text: await response.text() };
  }

  it("streams an answer of several pieces, with the same JSON, status and media type", async () => {
    const db = server.app.database.client;
    const service = await db.service.create({ data: { name: "large", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
    // 100 tasks × 3 KB of payload: about 300 KB of answer, several pieces of 64 KB.
    const payload = { note: "é\"\n".repeat(1000) };
    for (let i = 0; i < 100; i++) {
      await db.task.create({ data: { name: `large-${String(i).padStart(3, "0")}`, serviceId: service.id, schedule: {}, payload, state: "PAUSED", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "SKIP" } });
    }
    for (const accept of ["application/graphql-response+json", "application/json", "*/*"]) {
      const { response, text } = await ask(accept);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(`${accept === "*/*" ? "application/json" : accept}; charset=utf-8`);
      // Pieces: no length known in advance.
      expect(response.headers.get("content-length")).toBeNull();
      const answer = JSON.parse(text) as { data: { tasks: { edges: { node: { name: string; payload: unknown } }[] } } };
      expect(answer.data.tasks.edges).toHaveLength(100);
      expect(answer.data.tasks.edges.every(({ node }) => JSON.stringify(node.payload) === JSON.stringify(payload))).toBe(true);
    }
  });

  it("sends a small answer in one piece, with its length", async () => {
    const response = await fetch(server.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify({ query: "{ tasks(first: 1) { edges { node { name } } } }" }),
    });
    const text = await response.text();
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
  });
});
