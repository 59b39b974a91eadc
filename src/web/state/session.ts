// Who uses the page. The API token the reader pastes is kept in sessionStorage only (gone with
// the tab), sent as a bearer header over HTTP and in the websocket's connectionParams. With
// AUTH_DISABLED=true the server accepts the page without one, and no sign-in is asked for.
// A token the server refuses (revoked, expired, unknown) leads back to sign-in with the
// server's reason: when a request or the websocket is refused, and at a check every 30 s,
// so that a page left open notices too.
import { signal } from "@preact/signals";
import type { ApiTokenRole, TypedDocumentString } from "../../generated/web-graphql/graphql.js";
import { ApiError } from "../api/api-error.js";
import { sendRequest } from "../api/http.js";
import { openLiveConnection, type LiveConnection } from "../api/live.js";
import { ViewerQuery } from "../api/operations.js";
import { notices } from "./notices.js";
import { followSchedule, type ScheduleStore } from "./schedule.js";
import { forgetToken, storeToken, storedToken } from "./token-storage.js";

export interface Viewer {
  name: string;
  role: ApiTokenRole;
}

/** What the signed-in page talks to the server with. */
export interface Api {
  /** A query or mutation over HTTP; a refused token signs the page out. */
  request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult>;
  live: LiveConnection;
  schedule: ScheduleStore;
}

export type Session =
  | { state: "checking" }
  | { state: "signed-out"; reason: string | null }
  | { state: "unreachable"; reason: string; token: string | null }
  | { state: "signed-in"; viewer: Viewer; token: string | null; api: Api };

const tokenCheckIntervalMs = 30_000;
const roleRank: Record<ApiTokenRole, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

export const session = signal<Session>({ state: "checking" });

/** Whether the viewer's role includes `needed` (ADMIN may what OPERATOR may, and so on). */
export const may = (viewer: Viewer, needed: ApiTokenRole): boolean => roleRank[viewer.role] >= roleRank[needed];

let endSession: () => void = () => {};
/** Counts the sessions begun: a check that comes back after a newer one began is dropped. */
let entries = 0;

/** Opens the page with the token this tab kept, or none (AUTH_DISABLED, or a sign-in to come). */
export function resumeSession(): Promise<void> {
  return enter(storedToken());
}

export function signIn(token: string): Promise<void> {
  return enter(token.trim());
}

/** After the server could not be reached: the same token again. */
export function retrySession(token: string | null): Promise<void> {
  return enter(token);
}

export function signOut(reason: string | null = null): void {
  entries += 1;
  endSession();
  endSession = () => {};
  forgetToken();
  notices.value = [];
  session.value = { state: "signed-out", reason };
}

async function enter(token: string | null): Promise<void> {
  const entry = ++entries;
  endSession();
  endSession = () => {};
  session.value = { state: "checking" };
  let viewer: Viewer;
  try {
    viewer = (await sendRequest(ViewerQuery, {}, token)).viewer;
    if (entry !== entries) return;
  } catch (error) {
    if (entry !== entries) return;
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") signOut(token === null ? null : error.message);
    else session.value = { state: "unreachable", reason: error instanceof Error ? error.message : String(error), token };
    return;
  }
  if (token !== null) storeToken(token);

  // The websocket is refused only for the token's sake: ask over HTTP why, and sign out with the answer.
  const live = openLiveConnection(token, () => void enter(token));
  const schedule = followSchedule(live);
  const request: Api["request"] = async (document, variables) => {
    try {
      return await sendRequest(document, variables, token);
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") signOut(error.message);
      throw error;
    }
  };
  const check = setInterval(() => request(ViewerQuery, {}).catch(() => {}), tokenCheckIntervalMs);
  endSession = () => {
    clearInterval(check);
    schedule.stop();
    live.close();
  };
  session.value = { state: "signed-in", viewer, token, api: { request, live, schedule } };
}
