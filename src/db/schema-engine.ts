// Prisma's schema engine compiled to WebAssembly, driven through a driver adapter: it
// applies and diffs migrations with no native binary to download.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { createDriverAdapter, type DatabaseLocation, type DriverAdapterFactory } from "./driver-adapter.js";
import { prismaSchemaText } from "./prisma-schema.js";

export type { SchemaEngine };

// Node's WebAssembly global, typed here because lib.dom (where TypeScript keeps it) is not loaded.
interface WasmInstance {
  exports: Record<string, unknown> & { __wbindgen_start(): void };
}
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: WasmInstance }>;
};

let wasmReady: Promise<void> | undefined;

function instantiateWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
    const bytes = await readFile(path.join(packageDir, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": engineBindings });
    (engineBindings as unknown as { __wbg_set_wasm(e: unknown): void }).__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
  })();
  return wasmReady;
}

export interface OpenedSchemaEngine {
  engine: SchemaEngine;
  close(): Promise<void>;
}

type Connection = Awaited<ReturnType<DriverAdapterFactory["connect"]>>;

export async function openSchemaEngine(location: DatabaseLocation): Promise<OpenedSchemaEngine> {
  await instantiateWasm();
  // Freeing the engine does not close the connections it opened (an open SQLite handle
  // keeps the file locked), so they are tracked here and disposed of on close.
  const factory = await createDriverAdapter(location);
  const connections: Connection[] = [];
  const track = async (connection: Promise<Connection>) => {
    connections.push(await connection);
    return connections.at(-1)!;
  };
  const adapter = bindMigrationAwareSqlAdapterFactory({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(factory.connect()),
    connectToShadowDb: () => track(factory.connectToShadowDb()),
  });
  const engine = await engineBindings.SchemaEngine.new(
    { datamodels: [["schema.prisma", prismaSchemaText(location.provider)]] },
    () => {},
    adapter,
  );
  return {
    engine,
    close: async () => {
      engine.free();
      await Promise.all(connections.map((connection) => connection.dispose()));
    },
  };
}
