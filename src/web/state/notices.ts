// Messages for the reader: what an action did not do and why, in words. Never a blank screen.
import { signal } from "@preact/signals";
import { ApiError, describeError } from "../api/api-error.js";

export interface Notice {
  id: number;
  message: string;
}

let nextId = 1;
export const notices = signal<readonly Notice[]>([]);

export function report(error: unknown, doing?: string): void {
  // The sign-in page says why the token was refused.
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return;
  const message = doing ? `Could not ${doing}: ${describeError(error)}` : describeError(error);
  notices.value = [...notices.value, { id: nextId++, message }];
}

export function dismiss(id: number): void {
  notices.value = notices.value.filter((notice) => notice.id !== id);
}
