import { describe, expect, it } from "vitest";
import { csrfProblem, ownOrigins } from "../../src/platform/csrf.js";
import { isHttpUrl, logoProblem, normalizeProducts } from "../../src/platform/domain.js";

describe("app products", () => {
  it("always include auth, once each, in the canonical order", () => {
    expect(normalizeProducts([])).toEqual(["auth"]);
    expect(normalizeProducts(["payments", "balance", "auth", "balance"])).toEqual(["auth", "balance", "payments"]);
  });
});

describe("app URLs and logos", () => {
  it("takes absolute http(s) URLs with a host for callbacks and redirects", () => {
    expect(isHttpUrl("https://example.com/hook")).toBe(true);
    expect(isHttpUrl("http://localhost:3000/cb?x=1")).toBe(true);
    for (const bad of ["ftp://example.com", "javascript:alert(1)", "/relative", "https://", "example.com", `https://e.com/${"a".repeat(2048)}`]) {
      expect(isHttpUrl(bad), bad).toBe(false);
    }
  });

  it("takes an https logo or a small base64 raster data URL, nothing else", () => {
    expect(logoProblem("https://cdn.example.com/l.png")).toBeNull();
    expect(logoProblem("data:image/webp;base64,UklGRg==")).toBeNull();
    expect(logoProblem("http://cdn.example.com/l.png")).toMatch(/https/);
    expect(logoProblem("data:image/svg+xml;base64,PHN2Zz4=")).toMatch(/png/);
    expect(logoProblem("data:text/html;base64,PGh0bWw+")).toMatch(/png/);
    expect(logoProblem(`data:image/png;base64,${"A".repeat(102_400)}`)).toMatch(/100 KB/);
  });
});

describe("the CSRF rule", () => {
  const own = ownOrigins({ protocol: "http", host: "127.0.0.1:4000" }, "https://okro.example.com/");
  const check = (method: string, contentType: string | undefined, origin?: string) => {
    const problem = csrfProblem({ method, contentType, origin, allowedOrigins: own });
    return problem && `${problem.code} ${problem.message}`;
  };

  it("lets reads through whatever they carry", () => {
    expect(check("GET", undefined, "https://evil.example")).toBeNull();
    expect(check("HEAD", "text/plain")).toBeNull();
  });

  it("requires JSON on every state-changing method", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      expect(check(method, "application/json")).toBeNull();
      expect(check(method, "application/json; charset=utf-8")).toBeNull();
      expect(check(method, undefined)).toMatch(/^UNSUPPORTED_MEDIA_TYPE Content-Type/);
      expect(check(method, "text/plain")).toMatch(/^UNSUPPORTED_MEDIA_TYPE Content-Type/);
      expect(check(method, "application/x-www-form-urlencoded")).toMatch(/^UNSUPPORTED_MEDIA_TYPE Content-Type/);
      expect(check(method, "application/json-seq")).toMatch(/^UNSUPPORTED_MEDIA_TYPE Content-Type/);
    }
  });

  it("accepts the request's own origin and the public URL's, and refuses any other", () => {
    expect(check("POST", "application/json", "http://127.0.0.1:4000")).toBeNull();
    expect(check("POST", "application/json", "https://okro.example.com")).toBeNull();
    expect(check("POST", "application/json", "https://OKRO.example.com:443")).toBeNull();
    for (const origin of ["https://evil.example", "null", "", "http://okro.example.com", "https://okro.example.com.evil.example", "https://127.0.0.1:4000"]) {
      expect(check("POST", "application/json", origin), origin).toMatch(/^FORBIDDEN Origin: /);
    }
  });
});
