import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { banner, demoFieldCommand } from "./banner.js";
import type { DemoInfo } from "./seed.js";

const demo: DemoInfo = {
  api: "http://localhost:4000",
  widget: "http://localhost:4001",
  dashboard: "http://localhost:4000/dashboard",
  docs: "http://localhost:4000/docs",
  company_id: "0123456789abcdef01234567",
  company_name: "Demo Store",
  sandbox: {
    secret_key: "sk_test_secretsecretsecretsecretsecret",
    public_key: "pk_test_publicpublicpublic",
    token: "aaaaaaaaaaaaaaaaaaaaaaaa",
    app_id: "bbbbbbbbbbbbbbbbbbbbbbbb",
    settlement_account: "cccccccccccccccccccccccc",
  },
  production: {
    secret_key: "sk_live_livelivelivelivelivelive",
    public_key: "pk_live_livepublic",
    token: "dddddddddddddddddddddddd",
    app_id: "eeeeeeeeeeeeeeeeeeeeeeee",
  },
  dashboard_login: { email: "demo@okro.local", password: "demo-password-1234" },
};
const db = { kind: "pglite" as const, location: ".okro" };

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("the start banner", () => {
  it("shows the sandbox secret key and the demo password on a terminal", () => {
    const text = banner(demo, db, ".okro/demo.json", 5, { secrets: true });
    expect(text).toContain(`Sandbox secret key  ${demo.sandbox.secret_key}`);
    expect(text).toContain(`demo@okro.local / ${demo.dashboard_login!.password}`);
    expect(text).toContain(`-H "Authorization: Bearer ${demo.sandbox.secret_key}"`);
    expect(text).not.toContain(demo.production.secret_key);
  });

  it("off a terminal prints no secret key or password, but where demo.json is and how to read them", () => {
    const text = banner(demo, db, ".okro/demo.json", 5, { secrets: false });
    expect(text).not.toContain(demo.sandbox.secret_key);
    expect(text).not.toContain(demo.production.secret_key);
    expect(text).not.toContain(demo.dashboard_login!.password);
    expect(text).toContain(`Sandbox secret key  not printed (this output is not a terminal): node -p "require('./.okro/demo.json').sandbox.secret_key"`);
    expect(text).toContain(`node -p "require('./.okro/demo.json').dashboard_login.password"`);
    expect(text).toContain(`-H "Authorization: Bearer $(node -p "require('./.okro/demo.json').sandbox.secret_key")"`);
    // What is not secret stays.
    expect(text).toContain(demo.sandbox.public_key);
    expect(text).toContain("demo@okro.local");
  });

  it("the command it prints reads the key from demo.json, for a relative and an absolute data directory", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okro-banner-"));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, "demo.json"), JSON.stringify(demo));
    for (const [cwd, file] of [
      [dir, "demo.json"],
      [os.tmpdir(), path.join(path.basename(dir), "demo.json")],
      ["/", path.join(dir, "demo.json")],
    ] as const) {
      const command = demoFieldCommand(file, "sandbox.secret_key");
      expect(execFileSync("sh", ["-c", command], { cwd, encoding: "utf8" }).trim()).toBe(demo.sandbox.secret_key);
    }
  });

  it("says what the sandbox bank does with okro_locked, as the README does: locked whatever the password", () => {
    const text = banner(demo, db, ".okro/demo.json", 5, { secrets: true });
    expect(text).not.toMatch(/okro_locked \/ pass_good/);
    expect(text).toMatch(/okro_locked \/ \(any password\)\s+account locked, whatever the password/);
    const readme = fs.readFileSync(path.join(import.meta.dirname, "../README.md"), "utf8");
    expect(readme).toMatch(/\| `okro_locked` \| any password \| account locked, whatever the password \|/);
  });
});
