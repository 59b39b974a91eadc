/** GraphQL's Int is 32-bit: a countdown past about 68 years is shown as this. */
const maxCountdownSeconds = 2 ** 31 - 1;

/** Whole seconds from `now` until `instant` (0 once it is due), or null without an instant. */
export const secondsUntil = (instant: Date | null, now: Date): number | null =>
  instant ? Math.min(maxCountdownSeconds, Math.max(0, Math.ceil((instant.getTime() - now.getTime()) / 1000))) : null;
