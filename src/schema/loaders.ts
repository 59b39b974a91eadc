import DataLoader from "dataloader";
import type { DbClient } from "../db/database.js";
import { resolvePoolDevices } from "../domain/pools.js";
import { dispatchAfterWaitingPieces } from "../event-loop-slices.js";
import { ChildPages } from "./child-pages.js";

/** Batching loaders, made fresh for each operation so nothing is cached across requests. */
export function createLoaders(db: DbClient) {
  return {
    poolDevices: new DataLoader(async (poolIds: readonly string[]) => {
      const devices = await resolvePoolDevices(db, poolIds);
      return poolIds.map((id) => devices.get(id) ?? []);
    }, { batchScheduleFn: dispatchAfterWaitingPieces }),
    childPages: new ChildPages(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
