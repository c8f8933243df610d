import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { artifactPath } from "./chromium.js";

/** Viewports every dashboard page is checked at. */
export const PHONE = { width: 360, height: 740 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

const AXE_PATH = path.resolve(import.meta.dirname, "../../node_modules/axe-core/axe.min.js");
let axeSource: string | undefined;

/** axe-core on the page as it is now: no serious or critical violations (listed in the failure). */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  axeSource ??= fs.readFileSync(AXE_PATH, "utf8");
  if (!(await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id as string, impact: v.impact as string, help: v.help as string, nodes: v.nodes.map((n: any) => n.target.join(" ")).slice(0, 3) }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `axe on ${screen}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

/** Nothing sticks out sideways: the page itself never scrolls horizontally (tables scroll inside). */
export async function expectNoSideways(page: Page, screen: string): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, `${screen}: the page is ${scroll}px wide in a ${client}px viewport`).toBeLessThanOrEqual(client);
}

/** axe, no sideways scroll, and a screenshot named `dashboard-<flow>-<screen>-<phone|desktop>.png`. */
export async function check(page: Page, flow: string, screen: string): Promise<void> {
  await expectAccessible(page, `${flow}/${screen}`);
  await expectNoSideways(page, `${flow}/${screen}`);
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: artifactPath(`dashboard-${flow}-${screen}-${width >= 1000 ? "desktop" : "phone"}.png`), fullPage: true });
}

/** Opens the nav on a phone (it is behind "Menu") and follows a link in it. */
export async function navigate(page: Page, label: string): Promise<void> {
  const toggle = page.getByRole("button", { name: "Menu" });
  if (await toggle.isVisible()) await toggle.click();
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: label, exact: true }).click();
}
