// Instants and countdowns that stay current: they read the ticking clock.
import { formatAgo, formatCountdown, formatFullInstant, formatInstant, secondsUntil } from "../format/time.js";
import { now } from "../state/clock.js";

/** The instant in the reader's zone; the full date and zone on hover. */
export function Instant({ at }: { at: string }) {
  return (
    <time dateTime={at} title={formatFullInstant(at)}>
      {formatInstant(at, now.value)}
    </time>
  );
}

/** "in 1 min 15 s", down by one every second; `serverOffsetMs` puts the server's clock in place of the reader's. */
export function Countdown({ to, serverOffsetMs }: { to: string; serverOffsetMs: number }) {
  const seconds = secondsUntil(to, now.value + serverOffsetMs);
  return (
    <span class="countdown" data-seconds={seconds}>
      {formatCountdown(seconds)}
    </span>
  );
}

export function Ago({ at, serverOffsetMs = 0 }: { at: string; serverOffsetMs?: number }) {
  return <span class="ago">{formatAgo(at, now.value + serverOffsetMs)}</span>;
}
