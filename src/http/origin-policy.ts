// Which browser pages and which host names may reach the API at all, checked for HTTP
// requests and websocket upgrades alike, before GraphQL sees them.
import type { IncomingHttpHeaders } from "node:http";
import { isLoopbackHost } from "../config.js";

export interface OriginPolicy {
  /** Origins of other web pages allowed to call the API (CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /**
   * AUTH_DISABLED=true: only requests addressed to a loopback name or address. A page on a
   * name the attacker controls that resolves to 127.0.0.1 (DNS rebinding) is same-origin to
   * itself, so the Origin check alone would let it in.
   */
  loopbackHostOnly: boolean;
}

/** Why a request is refused, or null when it may go on. */
export function originRefusal(headers: IncomingHttpHeaders, policy: OriginPolicy): string | null {
  const host = headers.host;
  if (policy.loopbackHostOnly && !(host !== undefined && isLoopbackHost(hostName(host)))) {
    return `Host ${JSON.stringify(host ?? "")} is not a loopback name or address; with AUTH_DISABLED=true use http://127.0.0.1, http://[::1] or http://localhost`;
  }
  const origin = headers.origin;
  // Programs (curl, scripts, servers) send no Origin; browsers send it on every cross-origin request and every POST.
  if (origin === undefined) return null;
  if (policy.corsOrigins.includes(origin) || isSameOrigin(origin, host)) return null;
  return `Origin ${JSON.stringify(origin)} may not use this API; allow it with CORS_ORIGINS`;
}

/** The page was served by this server under the name the request is addressed to (GraphiQL). */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/** `127.0.0.1:4000` → `127.0.0.1`, `[::1]:4000` → `[::1]`. */
export function hostName(host: string): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return "";
  }
}
