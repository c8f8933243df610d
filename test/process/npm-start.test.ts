import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, tempDir, waitFor, type Running } from "./spawn.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";

/**
 * `npm start` runs built JavaScript (bin/okro.js → dist/okro.mjs, scripts/build.mjs), not the
 * TypeScript: the widget and dashboard, whose browser bundles are built from src/ at run time,
 * must still be served by it. (The rest of the suite runs the TypeScript through tsx.)
 */
let dataDir: string;
beforeAll(() => {
  dataDir = tempDir("okro-npm-start-");
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const local = (url: string) => url.replace("localhost", "127.0.0.1");

describe("npm start (built JavaScript)", () => {
  it("builds dist/okro.mjs when it is stale, then serves the API, the dashboard bundle and the widget from it", async () => {
    const child = spawn("npm", ["start", "--silent"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", WIDGET_PORT: "0", LOG_LEVEL: "info", DATABASE_URL: undefined, OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, OKRO_DATA_DIR: dataDir } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: npm and its node child are stopped together
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const running: Running = { child, stdout: () => out, stderr: () => err, exited: new Promise((r) => child.on("exit", (code) => r(code))) };
    try {
      await waitFor(() => out.includes("Okro is running") || child.exitCode !== null, "the start banner", 150_000, running);
      expect(child.exitCode, err).toBeNull();
      expect(err).not.toContain("running the TypeScript through tsx");
      // What ran is the build, and it is not older than any source (bin/okro.js rebuilt it if it was).
      const { isStale, OUT } = (await import(path.join(ROOT, "scripts", "build.mjs"))) as { isStale(): boolean; OUT: string };
      expect(fs.existsSync(OUT)).toBe(true);
      expect(isStale()).toBe(false);

      const demo = JSON.parse(fs.readFileSync(path.join(dataDir, "demo.json"), "utf8")) as { api: string; widget: string; dashboard: string };
      expect((await fetch(`${local(demo.api)}/health`)).status).toBe(200);
      const page = await fetch(`${local(demo.dashboard)}/login`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const script = /<script[^>]* src="([^"]+\.js)"/.exec(html)?.[1];
      expect(script, html.slice(0, 500)).toBeDefined();
      const js = await fetch(new URL(script!, local(demo.api)));
      expect(js.status).toBe(200);
      expect((await js.text()).length).toBeGreaterThan(10_000);
      const widget = await fetch(`${local(demo.widget)}/`);
      expect(widget.status).toBe(200);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
      await running.exited;
    }
  }, 240_000);
});
