// Where the web build (scripts/build-web.ts) puts what browsers get, and what the server
// (web-page.ts) serves from there.
import { readdirSync } from "node:fs";

export const webPageFiles = {
  /** Under the project's root. */
  folder: "dist/web",
  /** The schedule page, served at `/`. */
  page: "index.html",
  /** GraphiQL, served at the GraphQL endpoint to browsers. */
  graphiql: "graphiql.html",
  /** Scripts, styles, workers and icons under content-hashed names, each maybe with a .gz beside it. */
  assets: "assets",
  /** The assets in a folder, without their gzip copies. */
  list: (folder: string): string[] => readdirSync(folder).filter((name) => !name.endsWith(".gz")),
} as const;

/** Where the GraphiQL page expects its options as JSON. */
export const graphiqlOptionsPlaceholder = "__CRONLINE_GRAPHIQL_OPTIONS__";
