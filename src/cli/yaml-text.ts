// YAML for the files the command reads and writes, in a module of its own so that commands
// load the library only when they need it (a bundle imports a CommonJS library lazily only
// through an ES module of ours).
import { parse, stringify, YAMLParseError } from "yaml";

export { YAMLParseError };

export const parseYaml = (text: string): unknown => parse(text);

/** Block style, lines never folded. */
export const toYaml = (value: unknown): string => stringify(value, { lineWidth: 0 });
