// Where HTTP services may send requests: host names on HTTP_ALLOWED_HOSTS (when it is set),
// at addresses outside the denied networks. The executor checks every address a request
// connects to (after DNS, and on every redirect); saving a service checks what its URL
// states literally.
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { isHostnameOrIp } from "./input-rules.js";

export interface HttpEgressSettings {
  /** Host names (`hooks.example.com`), wildcard names (`*.example.com`) or IP addresses; empty: any host. */
  allowedHosts: readonly string[];
  /** CIDRs (or single addresses) refused on top of the always-denied ones. */
  deniedNetworks: readonly string[];
}

/** Loopback: another process on this machine (Cronline's own API, a local database) is not a webhook. */
export const defaultDeniedNetworks: readonly string[] = ["127.0.0.0/8", "::1/128"];

/** Refused whatever the settings say: cloud metadata endpoints and what only a local attacker needs. */
const alwaysDenied: readonly { network: string; what: string }[] = [
  { network: "169.254.0.0/16", what: "link-local, cloud metadata" },
  { network: "fe80::/10", what: "link-local" },
  { network: "fd00:ec2::254/128", what: "cloud metadata" },
  { network: "100.100.100.200/32", what: "cloud metadata" },
  // Connecting to 0.0.0.0 or :: reaches this machine.
  { network: "0.0.0.0/8", what: "this host" },
  { network: "::/128", what: "this host" },
];

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * IPv6 prefixes whose addresses carry an IPv4 address that a gateway or relay connects to: the
 * NAT64 well-known prefix (RFC 6052: the last 32 bits) and 6to4 (RFC 3056: bits 16-47).
 */
const ipv4CarryingPrefixes: readonly { range: [ipaddr.IPv6, number]; ipv4At: number }[] = [
  { range: ipaddr.IPv6.parseCIDR("64:ff9b::/96") as [ipaddr.IPv6, number], ipv4At: 12 },
  { range: ipaddr.IPv6.parseCIDR("2002::/16") as [ipaddr.IPv6, number], ipv4At: 2 },
];

/** The IPv4 address an IPv6 address of a NAT64 or 6to4 prefix reaches; none for any other. */
function embeddedIpv4Of(ip: ipaddr.IPv6): ipaddr.IPv4[] {
  const bytes = ip.toByteArray();
  return ipv4CarryingPrefixes.filter(({ range }) => ip.match(range)).map(({ ipv4At }) => new ipaddr.IPv4(bytes.slice(ipv4At, ipv4At + 4)));
}

interface DeniedNetwork {
  range: Range;
  /** As written, e.g. `127.0.0.0/8`. */
  text: string;
  /** Which rule denies it, for the refusal's message. */
  rule: string;
}

/** A CIDR, or a bare address as a network of one; null when it is neither. */
export function parseNetwork(text: string): Range | null {
  const [address = "", bits, ...rest] = text.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return null;
  if (bits === undefined) return [ipaddr.parse(address), family === 4 ? 32 : 128];
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return null;
  return ipaddr.parseCIDR(text);
}

/** A host name, `*.` and a host name, or an IP address (IPv6 bare or bracketed). */
export function isAllowedHostEntry(entry: string): boolean {
  return isHostnameOrIp(entry.replace(/^\[(.*)\]$/, "$1").replace(/^\*\./, ""));
}

/** Lower case, no brackets around IPv6, no trailing dot; IP addresses in one spelling. */
function normalizeHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
  return isIP(bare) === 0 ? bare : ipaddr.process(bare).toString();
}

export class HttpEgressPolicy {
  readonly #allowedHosts: string[];
  readonly #denied: DeniedNetwork[];

  constructor(settings: HttpEgressSettings) {
    this.#allowedHosts = settings.allowedHosts.map(normalizeHost);
    this.#denied = [
      ...alwaysDenied.map(({ network, what }) => ({ range: parseNetwork(network)!, text: network, rule: `${what}, always denied` })),
      ...settings.deniedNetworks.map((network) => {
        const range = parseNetwork(network);
        if (!range) throw new Error(`not a network: ${network}`);
        return { range, text: network, rule: "HTTP_DENIED_NETWORKS" };
      }),
    ];
  }

  /** Why a request may not go to `host` (a URL's hostname), or null when HTTP_ALLOWED_HOSTS allows it. */
  hostRefusal(host: string): string | null {
    if (this.#allowedHosts.length === 0) return null;
    const name = normalizeHost(host);
    const allowed = this.#allowedHosts.some((entry) => (entry.startsWith("*.") ? name.endsWith(entry.slice(1)) : name === entry));
    return allowed ? null : `${name} is not on HTTP_ALLOWED_HOSTS`;
  }

  /**
   * The denied network `address` (an IP address) is in, with the rule that denies it; null when
   * allowed. An IPv6 address that carries an IPv4 address (mapped, NAT64, 6to4) is also checked
   * as that IPv4 address, which is where its packets end up.
   */
  deniedNetworkOf(address: string): string | null {
    const ip = ipaddr.process(address);
    for (const candidate of [ip, ...(ip.kind() === "ipv6" ? embeddedIpv4Of(ip as ipaddr.IPv6) : [])]) {
      const denied = this.#denied.find(({ range }) => range[0].kind() === candidate.kind() && candidate.match(range));
      if (denied) return `${denied.text} (${denied.rule})${candidate === ip ? "" : ` as ${candidate.toString()}`}`;
    }
    return null;
  }

  /** Why a request may not go to a URL's hostname as written: the allow list, and the network when it is an IP address. */
  urlHostRefusal(host: string): string | null {
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    const network = isIP(bare) === 0 ? null : this.deniedNetworkOf(bare);
    return this.hostRefusal(host) ?? (network && `${ipaddr.process(bare).toString()} is in ${network}`);
  }
}
