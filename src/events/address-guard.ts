import dns from "node:dns";
import net from "node:net";

/**
 * Where production webhooks may not go: loopback, private, link-local, carrier-grade NAT,
 * multicast and reserved addresses (a webhook URL must not reach Okro's own network: SSRF).
 * Sandbox endpoints may point anywhere, so developers can receive on localhost.
 */
const blocked = new net.BlockList();
for (const [address, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(address, prefix, "ipv4");
}
for (const [address, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  // Translations that embed an IPv4 address (which may be private): NAT64, 6to4, IPv4-compatible.
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2002::", 16],
  ["::", 96],
] as const) {
  blocked.addSubnet(address, prefix, "ipv6");
}

/** True for an IP address a production webhook must not reach (v4, v6, and v4-mapped v6). */
export function isPrivateAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return blocked.check(ip, "ipv4");
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return blocked.check(mapped[1]!, "ipv4");
    return blocked.check(ip, "ipv6");
  }
  return false;
}

/** Host names that are loopback whatever DNS says. */
export function isLocalHostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * A `lookup` for http(s).request that refuses private addresses: the check happens on the
 * address actually connected to, so a DNS answer that changes between validation and delivery
 * (DNS rebinding) cannot reach a private network.
 */
export const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  if (isLocalHostName(hostname)) {
    callback(Object.assign(new Error(`${hostname} is a loopback host`), { code: "EPRIVATEADDRESS" }), "", 4);
    return;
  }
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "", 4);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(Object.assign(new Error(`${hostname} resolves to a private address (${bad.address})`), { code: "EPRIVATEADDRESS" }), "", 4);
    if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};
