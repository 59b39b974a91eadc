// Building blocks of an attempt's outcome, whatever the service kind.
import { StringDecoder } from "node:string_decoder";
import type { AttemptOutcome, RunResultStatus } from "../domain/runs.js";

export const emptyOutcome = {
  exitCode: null,
  httpStatus: null,
  output: "",
  outputTruncated: false,
  errorOutput: "",
  errorOutputTruncated: false,
} as const;

export const failedOutcome = (error: string, status: RunResultStatus = "FAILED"): AttemptOutcome => ({ ...emptyOutcome, status, error });

/** A failure that does not depend on the moment (the config, the template, the machine's users): retrying cannot help. */
export const permanentFailure = (error: string): AttemptOutcome => ({ ...failedOutcome(error), permanent: true });

/**
 * The outcome as it can be stored: PostgreSQL text cannot hold NUL, so (on every database
 * alike) it becomes U+FFFD, as bytes that are not UTF-8 already do.
 */
export const storableOutcome = (outcome: AttemptOutcome): AttemptOutcome => {
  const storable = (text: string) => text.replaceAll("\0", "\uFFFD");
  return { ...outcome, output: storable(outcome.output), errorOutput: storable(outcome.errorOutput), error: outcome.error && storable(outcome.error) };
};

/**
 * Output cut at the cap as text: a character the cut split is left out, not shown as U+FFFD
 * (the decoder holds back an incomplete last character until more bytes come, and none do).
 */
export const truncatedText = (bytes: Buffer): string => new StringDecoder("utf8").write(bytes);

/** Keeps the first `limit` bytes of a stream and whether more came. */
export class CappedOutput {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.#size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  text(): string {
    const bytes = Buffer.concat(this.#chunks);
    return this.truncated ? truncatedText(bytes) : bytes.toString("utf8");
  }
}
