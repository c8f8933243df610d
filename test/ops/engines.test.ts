import { existsSync, readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

// `npm ci` on the Node the project declares must not warn EBADENGINE: a dependency that wants a
// newer Node may use what the declared one lacks. cookie@2 (pulled in by @fastify/cookie and
// light-my-request) wanted Node >= 22; package.json overrides it to cookie@1.1.1, which has the
// same parseCookie/stringifySetCookie API those two call and runs on Node 18+.
const root = new URL("../../", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

describe("declared Node engine", () => {
  it("is met by every installed package (npm ci prints no EBADENGINE warning on the oldest declared Node)", () => {
    const oldest = semver.minVersion(pkg.engines.node);
    expect(oldest?.version).toBe("20.19.0");
    const wantNewer: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || !entry.engines || Array.isArray(entry.engines) || !entry.engines.node) continue;
      // An optional package npm left out (another platform's binary) is not installed: no warning.
      if (entry.optional && !existsSync(new URL(path, root))) continue;
      if (!semver.satisfies(oldest!, entry.engines.node)) wantNewer.push(`${path.replace(/^.*node_modules\//, "")} wants node ${entry.engines.node}`);
    }
    expect(wantNewer).toEqual([]);
  });
});
