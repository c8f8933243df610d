import { describe, expect, it } from "vitest";
import { isLocalHostName, isPrivateAddress } from "../../src/events/address-guard.js";

describe("addresses production webhooks may not reach", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",
    "2002:a00:1::1",
    "::7f00:1",
  ])("refuses %s", (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(["8.8.8.8", "102.89.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"])("allows the public address %s", (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it("treats localhost and *.localhost as loopback whatever DNS says", () => {
    expect(isLocalHostName("localhost")).toBe(true);
    expect(isLocalHostName("api.localhost.")).toBe(true);
    expect(isLocalHostName("localhost.example.com")).toBe(false);
  });
});
