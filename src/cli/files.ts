// Files the command reads (-f): YAML, or JSON (which YAML reads too); "-" is standard input.
import { readFileSync } from "node:fs";
import { CliError, exitCodes } from "./exit-codes.js";

export async function readDataFile(file: string): Promise<unknown> {
  const { parseYaml, YAMLParseError } = await import("./yaml-text.js");
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, exitCodes.usage, { code: "UNREADABLE_FILE" });
  }
  try {
    return parseYaml(text);
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    throw new CliError(`${file} is not YAML or JSON: ${error.message}`, exitCodes.usage, { code: "INVALID_FILE" });
  }
}
