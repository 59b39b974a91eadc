import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { HttpEgressPolicy } from "../../src/domain/http-egress.js";
import { staticUrlHost } from "../../src/domain/service-kinds.js";
import { nextHop } from "../../src/execution/http-redirects.js";

const policy = (environment: Record<string, string> = {}) => new HttpEgressPolicy(loadConfig(environment).httpEgress);

describe("HTTP egress settings", () => {
  it("deny loopback by default, on top of link-local and metadata addresses, and allow private networks", () => {
    const defaults = policy();
    expect(defaults.deniedNetworkOf("127.0.0.1")).toBe("127.0.0.0/8 (HTTP_DENIED_NETWORKS)");
    expect(defaults.deniedNetworkOf("127.9.9.9")).toBe("127.0.0.0/8 (HTTP_DENIED_NETWORKS)");
    expect(defaults.deniedNetworkOf("::1")).toBe("::1/128 (HTTP_DENIED_NETWORKS)");
    expect(defaults.deniedNetworkOf("169.254.169.254")).toBe("169.254.0.0/16 (link-local, cloud metadata, always denied)");
    expect(defaults.deniedNetworkOf("fe80::1")).toBe("fe80::/10 (link-local, always denied)");
    expect(defaults.deniedNetworkOf("fd00:ec2::254")).toBe("fd00:ec2::254/128 (cloud metadata, always denied)");
    expect(defaults.deniedNetworkOf("100.100.100.200")).toBe("100.100.100.200/32 (cloud metadata, always denied)");
    expect(defaults.deniedNetworkOf("0.0.0.0")).toBe("0.0.0.0/8 (this host, always denied)");
    expect(defaults.deniedNetworkOf("::")).toBe("::/128 (this host, always denied)");
    for (const allowed of ["10.1.2.3", "172.16.0.1", "192.168.1.1", "fd12::1", "93.184.216.34", "2606:4700::1"]) expect(defaults.deniedNetworkOf(allowed)).toBeNull();
  });

  it("read IPv4-mapped IPv6 addresses as the IPv4 address they carry", () => {
    expect(policy().deniedNetworkOf("::ffff:169.254.169.254")).toBe("169.254.0.0/16 (link-local, cloud metadata, always denied)");
    expect(policy().deniedNetworkOf("::ffff:7f00:1")).toBe("127.0.0.0/8 (HTTP_DENIED_NETWORKS)");
  });

  it("check NAT64 and 6to4 addresses as the IPv4 address their gateway connects to", () => {
    const defaults = policy();
    expect(defaults.deniedNetworkOf("64:ff9b::a9fe:a9fe")).toBe("169.254.0.0/16 (link-local, cloud metadata, always denied) as 169.254.169.254");
    expect(defaults.deniedNetworkOf("64:ff9b::127.0.0.1")).toBe("127.0.0.0/8 (HTTP_DENIED_NETWORKS) as 127.0.0.1");
    expect(defaults.deniedNetworkOf("2002:a9fe:a9fe::1")).toBe("169.254.0.0/16 (link-local, cloud metadata, always denied) as 169.254.169.254");
    expect(defaults.deniedNetworkOf("2002:7f00:1::")).toBe("127.0.0.0/8 (HTTP_DENIED_NETWORKS) as 127.0.0.1");
    // The same prefixes towards public addresses stay allowed.
    expect(defaults.deniedNetworkOf("64:ff9b::5db8:d822")).toBeNull();
    expect(defaults.deniedNetworkOf("2002:5db8:d822::1")).toBeNull();
    expect(policy({ HTTP_DENIED_NETWORKS: "10.0.0.0/8" }).deniedNetworkOf("64:ff9b::a00:1")).toBe("10.0.0.0/8 (HTTP_DENIED_NETWORKS) as 10.0.0.1");
    expect(policy().urlHostRefusal("[64:ff9b::a9fe:a9fe]")).toBe("64:ff9b::a9fe:a9fe is in 169.254.0.0/16 (link-local, cloud metadata, always denied) as 169.254.169.254");
  });

  it("replace the default denied networks with HTTP_DENIED_NETWORKS, never the always-denied ones", () => {
    const none = policy({ HTTP_DENIED_NETWORKS: "none" });
    expect(none.deniedNetworkOf("127.0.0.1")).toBeNull();
    expect(none.deniedNetworkOf("169.254.169.254")).not.toBeNull();
    const privateToo = policy({ HTTP_DENIED_NETWORKS: "10.0.0.0/8, fc00::/7, 192.168.1.7" });
    expect(privateToo.deniedNetworkOf("10.200.0.1")).toBe("10.0.0.0/8 (HTTP_DENIED_NETWORKS)");
    expect(privateToo.deniedNetworkOf("fd12::1")).toBe("fc00::/7 (HTTP_DENIED_NETWORKS)");
    expect(privateToo.deniedNetworkOf("192.168.1.7")).toBe("192.168.1.7 (HTTP_DENIED_NETWORKS)");
    expect(privateToo.deniedNetworkOf("192.168.1.8")).toBeNull();
    expect(privateToo.deniedNetworkOf("127.0.0.1")).toBeNull();
    expect(policy({ HTTP_DENIED_NETWORKS: "" }).deniedNetworkOf("127.0.0.1")).not.toBeNull();
  });

  it("allow any host without HTTP_ALLOWED_HOSTS, and only the listed names, wildcard names and addresses with it", () => {
    expect(policy().hostRefusal("anything.example")).toBeNull();
    const listed = policy({ HTTP_ALLOWED_HOSTS: "hooks.example.com, *.internal.example, 127.0.0.1, ::1" });
    for (const host of ["hooks.example.com", "HOOKS.Example.com.", "a.internal.example", "a.b.internal.example", "127.0.0.1", "[::1]"]) {
      expect(listed.hostRefusal(host)).toBeNull();
    }
    for (const host of ["example.com", "internal.example", "evilinternal.example", "hooks.example.com.evil", "localhost", "127.0.0.2"]) {
      expect(listed.hostRefusal(host)).toBe(`${host} is not on HTTP_ALLOWED_HOSTS`);
    }
  });

  it("check a URL's literal host against both lists", () => {
    const listed = policy({ HTTP_ALLOWED_HOSTS: "169.254.169.254,hooks.example.com" });
    expect(listed.urlHostRefusal("169.254.169.254")).toBe("169.254.169.254 is in 169.254.0.0/16 (link-local, cloud metadata, always denied)");
    expect(listed.urlHostRefusal("[::ffff:a9fe:a9fe]")).toBe("169.254.169.254 is in 169.254.0.0/16 (link-local, cloud metadata, always denied)");
    expect(listed.urlHostRefusal("10.0.0.1")).toBe("10.0.0.1 is not on HTTP_ALLOWED_HOSTS");
    expect(listed.urlHostRefusal("hooks.example.com")).toBeNull();
  });

  it("refuse bad entries by variable", () => {
    for (const hosts of ["http://hooks.example.com", "*example.com", "a.*.example.com", "hooks example"]) {
      expect(() => loadConfig({ HTTP_ALLOWED_HOSTS: hosts })).toThrow(`HTTP_ALLOWED_HOSTS=${JSON.stringify(hosts)}: must be a comma-separated list`);
    }
    for (const networks of ["10.0.0.0/33", "10.0.0.0/8/1", "localhost", "fc00::/129", "10.0.0/8", "none,10.0.0.0/8"]) {
      expect(() => loadConfig({ HTTP_DENIED_NETWORKS: networks })).toThrow(ConfigError);
    }
  });
});

describe("a service URL's literal host", () => {
  it("is known when no placeholder takes part in it", () => {
    expect(staticUrlHost("http://169.254.169.254/{{payload.path}}?x={{run.id}}")).toBe("169.254.169.254");
    expect(staticUrlHost("http://127.0.0.1:{{payload.port}}/")).toBe("127.0.0.1");
    expect(staticUrlHost("http://[fd00:ec2::254]/")).toBe("[fd00:ec2::254]");
    expect(staticUrlHost("http://0x7f.1/")).toBe("127.0.0.1");
    expect(staticUrlHost("http://{{device.address}}/")).toBeNull();
    expect(staticUrlHost("http://10.0.0.{{payload.n}}/")).toBeNull();
    expect(staticUrlHost("http://{{payload.region}}.example.com/")).toBeNull();
  });
});

describe("redirects", () => {
  const post = { method: "POST", url: "http://a.example/start", headers: { "Content-Type": "application/json", authorization: "Bearer x" }, body: "{}" };

  it("are the redirect statuses with a location", () => {
    expect(nextHop(post, 200, "/x")).toBeNull();
    expect(nextHop(post, 304, "/x")).toBeNull();
    expect(nextHop(post, 302, null)).toBeNull();
  });

  it("keep method and body for 307 and 308, and turn 303 (and 301 or 302 after a POST) into a GET without a body", () => {
    expect(nextHop(post, 307, "/next")).toEqual({ ...post, url: "http://a.example/next" });
    expect(nextHop(post, 308, "/next")).toEqual({ ...post, url: "http://a.example/next" });
    for (const status of [301, 302, 303]) {
      expect(nextHop(post, status, "/next")).toEqual({ method: "GET", url: "http://a.example/next", headers: { authorization: "Bearer x" }, body: undefined });
    }
    expect(nextHop({ ...post, method: "PUT" }, 302, "/next")).toMatchObject({ method: "PUT", body: "{}" });
  });

  it("carry only content-type to another origin", () => {
    expect(nextHop(post, 307, "https://b.example/next")).toEqual({ ...post, url: "https://b.example/next", headers: { "Content-Type": "application/json" } });
    expect(nextHop(post, 307, "http://a.example:8080/next")).toMatchObject({ headers: { "Content-Type": "application/json" } });
  });

  it("are refused to a location that is not http(s) or not a URL", () => {
    expect(nextHop(post, 302, "file:///etc/passwd")).toBe("redirect to file:///etc/passwd refused: only http:// and https:// are followed");
    expect(nextHop(post, 302, "http://[::1")).toBe('redirect to an invalid location "http://[::1"');
  });
});
