/** Whole seconds from `now` until `instant` (0 once it is due), or null without an instant. */
export const secondsUntil = (instant: Date | null, now: Date): number | null =>
  instant ? Math.max(0, Math.ceil((instant.getTime() - now.getTime()) / 1000)) : null;
