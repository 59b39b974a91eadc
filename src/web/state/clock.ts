// The reader's clock, ticking every second, for countdowns and "3 min ago".
import { signal } from "@preact/signals";

export const now = signal(Date.now());

setInterval(() => (now.value = Date.now()), 1_000);
