// Authenticates an HTTP request from its headers before its body is read: the operation's
// context takes the result from here, and a caller without a usable token may send no more
// than an introspection query needs. A larger body, or one of unknown length (chunked), from
// such a caller is refused with 401 before a byte of it is read or parsed.
import type { Plugin } from "graphql-yoga";
import { bearerToken, type Authentication, type PresentedToken } from "../auth/tokens.js";
import { unauthenticatedError } from "../schema/unauthenticated.js";

/** The largest body a caller without a usable token may send: GraphiQL's introspection query is about 3 KiB. */
export const anonymousMaxBodyBytes = 16 * 1024;

/** What an HTTP request's operations are given: its authentication (websocket operations get their connection's). */
export interface RequestAuthentication {
  authentication?: Authentication;
}

export function authenticateRequest(authenticate: (presented: PresentedToken) => Promise<Authentication>): Plugin<object, RequestAuthentication> {
  return {
    onRequestParse: async ({ request, serverContext }) => {
      const authentication = await authenticate(bearerToken(request.headers.get("authorization")));
      serverContext.authentication = authentication;
      if (authentication.ok || request.method !== "POST") return;
      const declared = request.headers.get("content-length");
      if (declared === null || !/^\d+$/.test(declared) || Number(declared) > anonymousMaxBodyBytes) throw unauthenticatedError(authentication.problem);
    },
  };
}
