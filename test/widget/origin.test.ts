import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildWidgetApp } from "../../src/widget-app.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError } from "../http/envelope-assertions.js";

let h: Harness;
let widget: FastifyInstance;
beforeAll(async () => {
  h = await createHarness();
  widget = await buildWidgetApp(h.ctx, { logger: false });
  await widget.ready();
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

describe("the widget origin", () => {
  it("serves its page and health with a request id", async () => {
    const page = await widget.inject({ method: "GET", url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["x-request-id"]).toBeTruthy();
    expect((await widget.inject({ method: "GET", url: "/health" })).json()).toEqual({ status: "ok" });
  });

  it("answers unknown routes and malformed URLs in the Okra envelope", async () => {
    expectError(await widget.inject({ method: "GET", url: "/nope" }), 404, "NOT_FOUND");
    expectError(await widget.inject({ method: "GET", url: "/%E0%A4%A" }), 400, "INVALID_FIELD");
  });
});

describe("the API origin", () => {
  it("answers a malformed URL in the envelope naming the url, with a request id", async () => {
    const res = await h.request({ method: "GET", url: "/v2/banks/%E0%A4%A" });
    expect(expectError(res, 400, "INVALID_FIELD").message).toMatch(/^url: /);
  });
});
