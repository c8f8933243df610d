import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";

/**
 * Browser tests drive Debian's Chromium through playwright-core (Playwright's own browser
 * download does not work here). `.ci/run` installs Chromium and sets OKRO_REQUIRE_BROWSER=1,
 * which makes a missing browser a failure; elsewhere the tests are skipped, loudly.
 */
const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
export const chromiumPath = CANDIDATES.find((p) => fs.existsSync(p));
export const browserRequired = process.env.OKRO_REQUIRE_BROWSER === "1";
export const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-results");

if (!chromiumPath) {
  const message =
    "Chromium not found (looked at " + CANDIDATES.join(", ") + "). Install it with `apt-get install -y chromium`.";
  if (browserRequired) throw new Error(`OKRO_REQUIRE_BROWSER=1 but ${message}`);
  console.warn(`\n*** SKIPPED: browser tests. ${message} ***\n`);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export function artifactPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
