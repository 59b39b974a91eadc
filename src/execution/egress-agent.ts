// The connection pool of HTTP services: an undici Agent whose every new connection is checked
// against the egress policy at the address it is about to connect to. A host name is checked
// after DNS, on every address it resolves to, in the lookup the socket itself uses, so a name
// that resolves to an allowed address when checked and a denied one when connecting (DNS
// rebinding) cannot pass; an IP address is checked before connecting. Nothing is sent to a
// refused address, not even a TCP handshake.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";
import { Agent, buildConnector } from "undici";
import type { HttpEgressPolicy } from "../domain/http-egress.js";

/** The connection a request needed was refused by the policy; `message` says which host and rule. */
export class EgressRefusedError extends Error {
  constructor(host: string, reason: string) {
    super(`request to ${host} refused: ${reason}`);
    this.name = "EgressRefusedError";
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function checkedLookup(policy: HttpEgressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      // Every address, not only the one tried first: the socket may fall back to any of them.
      for (const { address } of addresses) {
        const network = policy.deniedNetworkOf(address);
        if (network) return callback(new EgressRefusedError(hostname, `it resolves to ${address}, in ${network}`), []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export function createEgressAgent(policy: HttpEgressPolicy): Agent {
  const connectTo = buildConnector({ lookup: checkedLookup(policy) });
  return new Agent({
    connect(options, callback) {
      // An IP address is connected to without a lookup: check it here.
      const network = isIP(options.hostname) === 0 ? null : policy.deniedNetworkOf(options.hostname);
      if (network) return callback(new EgressRefusedError(options.hostname, `${options.hostname} is in ${network}`), null);
      connectTo(options, callback);
    },
  });
}
