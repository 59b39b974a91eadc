// `nameContains` is a literal substring on every listing: `%`, `_` and `\` in it match only
// themselves, on both databases (LIKE would read them as wildcards and escapes).
import { beforeAll, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice, createPool, createService } from "../support/fixtures.js";
import { DevicesPage, PoolsPage, ServicesPage } from "../support/operations.js";
import { CreateTask, TasksPage } from "../support/task-operations.js";
import { useTestServer } from "../support/test-server.js";

const names = ["web_1", "webx1", "50%", "501", "back\\slash", "backslash"];
const searches: [string, string[]][] = [
  ["_", ["web_1"]],
  ["B_1", ["web_1"]],
  ["%", ["50%"]],
  ["0%", ["50%"]],
  ["\\", ["back\\slash"]],
  ["webx", ["webx1"]],
];

describeEachDatabase("nameContains", (provider) => {
  const server = useTestServer(provider);

  beforeAll(async () => {
    const service = await createService(server.client, { name: "name-filter-target" });
    for (const name of names) {
      await createDevice(server.client, { name });
      await createPool(server.client, { name });
      await createService(server.client, { name });
      const { createTask } = await server.client.data(CreateTask, {
        input: { name, serviceId: service.id, schedule: { standard: { frequencySeconds: 3600 } } },
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.message);
    }
  });

  const listings = {
    devices: async (text: string) => (await server.client.data(DevicesPage, { filter: { nameContains: text } })).devices,
    pools: async (text: string) => (await server.client.data(PoolsPage, { filter: { nameContains: text } })).pools,
    services: async (text: string) => (await server.client.data(ServicesPage, { filter: { nameContains: text } })).services,
    tasks: async (text: string) => (await server.client.data(TasksPage, { filter: { nameContains: text } })).tasks,
  };

  for (const [listing, list] of Object.entries(listings)) {
    it(`matches %, _ and \\ literally in ${listing}`, async () => {
      for (const [text, expected] of searches) {
        const page = await list(text);
        expect({ text, names: page.edges.map((edge) => edge.node.name), totalCount: page.totalCount }).toEqual({
          text,
          names: expected,
          totalCount: expected.length,
        });
      }
    });
  }
});
