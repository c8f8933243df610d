import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildWidgetApp } from "../../src/widget-app.js";
import { pickEncoding } from "../../src/widget/assets.js";
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

const get = (url: string, headers: Record<string, string> = {}) => widget.inject({ method: "GET", url, headers });

/** The asset URLs the page links (stylesheet and script). */
function linkedAssets(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe("the widget page", () => {
  it("serves the app at / with a CSP that lets any page frame it and nothing else load", async () => {
    const res = await get("/");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["x-frame-options"]).toBeUndefined();
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("frame-ancestors *");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    // The merchant's logo is the only remote thing allowed.
    expect(csp).toMatch(/img-src 'self' https: data:/);
    expect(res.body).toMatch(/^<!doctype html><html lang="en">/);
    expect(res.body).toContain('role="status"');
    // No inline script or style: everything comes from the hashed assets.
    expect(res.body).not.toMatch(/<script>|<style|style="/);
    expect(linkedAssets(res.body)).toEqual([expect.stringMatching(/^\/assets\/app\.[A-Za-z0-9]{10}\.css$/), expect.stringMatching(/^\/assets\/app\.[A-Za-z0-9]{10}\.js$/)]);
  });

  it("marks iframe mode (the okra-js loader's URL) so the page stays transparent until the app runs", async () => {
    const framed = await get("/?isIframe=true&withOptions=true");
    expect(framed.statusCode).toBe(200);
    expect(framed.body).toContain('<html lang="en" class="framed">');
    expect(framed.headers["content-security-policy"]).toContain("frame-ancestors *");
    const short = await get("/?&withOptions=true&isIframe=true");
    expect(short.body).toContain('class="framed"');
  });

  it("serves a short link's code path as the full-page app", async () => {
    const res = await get("/tTthfNrpCx");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).not.toContain('class="framed"');
    expect(linkedAssets(res.body)).toHaveLength(2);
  });

  it("keeps answering other root paths with the Okra envelope 404", async () => {
    expectError(await get("/nope"), 404, "NOT_FOUND");
    expectError(await get("/tTthfNrpC"), 404, "NOT_FOUND"); // 9 characters
    expectError(await get("/tTthfNrpC_"), 404, "NOT_FOUND"); // not [a-zA-Z0-9]
    expectError(await get("/assets/app.0000000000.js"), 404, "NOT_FOUND");
    expectError(await get("/tTthfNrpCx/more"), 404, "NOT_FOUND");
  });

  it("revalidates the page with its ETag", async () => {
    const first = await get("/");
    const again = await get("/", { "if-none-match": String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });
});

describe("the app's assets", () => {
  it("are content-hashed, cached forever, and served brotli, gzip or plain as the client accepts", async () => {
    const page = await get("/");
    for (const url of linkedAssets(page.body)) {
      const plain = await get(url);
      expect(plain.statusCode).toBe(200);
      expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers.vary).toBe("accept-encoding");
      expect(plain.headers["content-type"]).toMatch(url.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
      expect(plain.rawPayload.length).toBeGreaterThan(1000);

      const br = await get(url, { "accept-encoding": "gzip, deflate, br" });
      expect(br.headers["content-encoding"]).toBe("br");
      expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);
      expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);

      const gz = await get(url, { "accept-encoding": "gzip" });
      expect(gz.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
      expect(gz.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    }
  });

  it("honours q-values in Accept-Encoding", () => {
    expect(pickEncoding("gzip, deflate, br, zstd")).toBe("br");
    expect(pickEncoding("br;q=0, gzip;q=0.8")).toBe("gzip");
    expect(pickEncoding("identity")).toBeNull();
    expect(pickEncoding("*")).toBe("br");
    expect(pickEncoding("*, br;q=0")).toBe("gzip");
    expect(pickEncoding(undefined)).toBeNull();
  });

  it("the script is the widget app (the okra-js handshake spelling included)", async () => {
    const page = await get("/");
    const js = linkedAssets(page.body).find((u) => u.endsWith(".js"))!;
    const body = (await get(js)).body;
    expect(body).toContain("ifameLoaded");
    expect(body).toContain("/api/sessions");
  });
});

describe("our loader /okro.js", () => {
  it("is served as JavaScript any page can load, briefly cached, compressed on request", async () => {
    const res = await get("/okro.js");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(res.headers["cache-control"]).toBe("public, max-age=300");
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    for (const s of ["buildWithOptions", "buildWithShortUrl", "Okro widget", "isIframe=true&withOptions=true", "withShortURL", "ifameLoaded", "removeEventListener"]) {
      expect(res.body).toContain(s);
    }
    expect(res.rawPayload.length).toBeLessThan(8 * 1024);
    const gz = await get("/okro.js", { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.rawPayload).toString()).toBe(res.body);
  });
});
