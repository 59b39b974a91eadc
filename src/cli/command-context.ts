// What every client command of `cronline` shares: --url, --token (or CRONLINE_URL,
// CRONLINE_TOKEN) and --json, the API client they choose, and one way to end: the exit code
// of the error, if any, printed as --json asks.
import { Command, InvalidArgumentError, Option } from "commander";
import { ApiClient, defaultUrl } from "./client.js";
import { exitCodes } from "./exit-codes.js";
import { reportError } from "./output.js";

export interface CommandContext {
  client: ApiClient;
  /** --json: print one JSON document (errors as JSON on stderr). */
  json: boolean;
}

interface ClientOptions {
  url: string;
  token?: string;
  json?: boolean;
}

/** A subcommand of `parent` that talks to a server, with the shared options. */
export function clientCommand(parent: Command, nameAndArguments: string, description: string): Command {
  return parent
    .command(nameAndArguments)
    .description(description)
    .addOption(new Option("--url <url>", "the server's GraphQL endpoint").env("CRONLINE_URL").default(defaultUrl))
    .addOption(new Option("--token <token>", "an API token (prefer CRONLINE_TOKEN: arguments are visible to other users)").env("CRONLINE_TOKEN"))
    .option("--json", "print JSON for programs instead of text");
}

/**
 * The action of a client command: `action` gets the context, then the command's arguments and
 * options as commander passes them. The process exits with 0, or with the code of what failed.
 */
export function clientAction<A extends unknown[]>(action: (context: CommandContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const options = command.opts<ClientOptions>();
    const json = options.json === true;
    let code: number = exitCodes.ok;
    try {
      await action({ client: new ApiClient({ url: options.url, token: options.token }), json }, ...(args.slice(0, -1) as A));
      code = process.exitCode === undefined ? exitCodes.ok : Number(process.exitCode);
    } catch (error) {
      code = reportError(error, json);
    }
    // Sockets kept alive for reuse would hold the process open for nothing.
    process.exit(code);
  };
}

/** Collects a repeatable option's values, also comma-separated ones: --tag a --tag b,c. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(",").map((item) => item.trim()).filter(Boolean)];

/** An integer option's value; commander names the option in its usage error. */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError("must be an integer");
  return Number(value);
}

