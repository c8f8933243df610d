import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The import rules of .dependency-cruiser.cjs, run by dependency-cruiser's own CLI: no new
 * violation beyond the known-violations baseline, no stale entry left in the baseline (it only
 * shrinks), and a fixture that breaks every rule to show the check can fail.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CONFIG = path.join(root, ".dependency-cruiser.cjs");
const BASELINE = path.join(root, ".dependency-cruiser-known-violations.json");
const DEPCRUISE = path.join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string } | string>;
}
interface Cruise {
  summary: { violations: Violation[]; error: number; warn: number; ignore: number };
}

function depcruise(cwd: string, args: string[]): Promise<Cruise> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DEPCRUISE, ...args, "--config", CONFIG, "--output-type", "json"], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // Exit code 1+ is the number of errors; the JSON is still written. Anything else is a crash.
      try {
        resolve(JSON.parse(stdout) as Cruise);
      } catch {
        reject(new Error(`dependency-cruiser did not answer JSON (${error?.message ?? "no error"}): ${stderr}`));
      }
    });
  });
}

const show = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

describe("the architecture's import rules (dependency-cruiser)", () => {
  it("src/ adds no violation beyond the known-violations baseline, and the baseline lists none that is fixed", { timeout: 180_000 }, async () => {
    const baseline = JSON.parse(await readFile(BASELINE, "utf8")) as unknown[];
    const result = await depcruise(root, ["src", "--ignore-known", BASELINE]);
    const fresh = result.summary.violations.filter((v) => v.rule.severity !== "ignore");
    expect(fresh.map(show), "new import-rule violations: fix them (the baseline only shrinks)").toEqual([]);
    // Every baseline entry still matched something; a fixed one must leave the list
    // (npx depcruise-baseline src --config .dependency-cruiser.cjs).
    expect(result.summary.ignore, "the baseline lists violations that are gone: regenerate it so it shrinks").toBe(baseline.length);
  });

  it("fails on a circle, on the kernel or the schema importing a domain, on a domain importing http/, on banks importing payments and on the ledger importing payments", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "okro-depcruise-"));
    try {
      const files: Record<string, string> = {
        "src/core/kernel.ts": 'import { pay } from "../payments/a.js";\nexport const k = pay;\n',
        "src/payments/a.ts": 'import { b } from "./b.js";\nexport const pay = () => b;\n',
        "src/payments/b.ts": 'import { pay } from "./a.js";\nexport const b = () => pay;\n',
        "src/data/store.ts": 'import { h } from "../http/errors.js";\nexport const d = h;\n',
        "src/data/routes.ts": 'import { h } from "../http/errors.js";\nexport const r = h;\n',
        "src/http/errors.ts": "export const h = 1;\n",
        "src/banks/connector.ts": 'import { pay } from "../payments/a.js";\nexport const c = pay;\n',
        "src/ledger/store.ts": 'import type { b } from "../payments/b.js";\nexport type L = typeof b;\n',
        "src/db/schema.ts": 'import type { c } from "../banks/connector.js";\nexport type S = typeof c;\n',
        "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
      };
      for (const [name, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await writeFile(path.join(dir, name), text);
      }
      const result = await depcruise(dir, ["src"]);
      const found = result.summary.violations.map(show).sort();
      expect(found).toEqual(
        [
          "banks-import-no-payments-or-widget: src/banks/connector.ts → src/payments/a.ts",
          "core-imports-no-domain: src/core/kernel.ts → src/payments/a.ts",
          "db-imports-no-domain: src/db/schema.ts → src/banks/connector.ts",
          "domain-imports-no-http: src/data/store.ts → src/http/errors.ts",
          "ledger-imports-no-payments: src/ledger/store.ts → src/payments/b.ts",
          // A circle is reported once, at the module where the cruise entered it.
          "no-circular: src/payments/a.ts → src/payments/b.ts",
        ].sort(),
      );
      expect(result.summary.error).toBe(found.length);
      // data/routes.ts imports http/ too, and is not reported: routes are the HTTP shell.
      expect(found.some((v) => v.includes("src/data/routes.ts"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
