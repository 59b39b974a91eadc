// The request a redirect asks for, as fetch would make it (method and body per status), but
// made by the HTTP runner itself, so that each hop goes through the egress checks and the
// service's maxRedirects.

export interface HttpHop {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** A hop to another origin may carry secrets meant for the first one (tokens, API keys). */
const headersKeptAcrossOrigins = new Set(["content-type"]);

/**
 * The next hop for a redirect response; null when `status` is not a redirect with a location
 * (the response is then the answer); a string saying why when the location cannot be followed.
 */
export function nextHop(hop: HttpHop, status: number, location: string | null): HttpHop | string | null {
  if (!redirectStatuses.has(status) || location === null) return null;
  if (!URL.canParse(location, hop.url)) return `redirect to an invalid location ${JSON.stringify(location)}`;
  const url = new URL(location, hop.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") return `redirect to ${url.href} refused: only http:// and https:// are followed`;
  // 303, and 301/302 after a POST, turn into a GET without a body (fetch's rule).
  const toGet = (status === 303 && hop.method !== "HEAD") || ((status === 301 || status === 302) && hop.method === "POST");
  const sameOrigin = url.origin === new URL(hop.url).origin;
  const headers = Object.fromEntries(
    Object.entries(hop.headers).filter(([name]) => {
      const lower = name.toLowerCase();
      if (toGet && lower === "content-type") return false;
      return sameOrigin || headersKeptAcrossOrigins.has(lower);
    }),
  );
  return { method: toGet ? "GET" : hop.method, url: url.href, headers, body: toGet ? undefined : hop.body };
}
