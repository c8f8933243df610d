#!/usr/bin/env node
// Runs the CLI as built JavaScript (dist/okro.mjs, see scripts/build.mjs): Node 20 has no type
// stripping, and compiling the TypeScript at every start cost most of `npm start`'s second.
// `npm ci` builds it (`prepare`); here it is built again when missing or older than a source
// file. Where the build cannot be written (a read-only install), the TypeScript runs through tsx.
import { pathToFileURL } from "node:url";
import { buildServer, isStale, OUT } from "../scripts/build.mjs";

let built = true;
if (isStale()) {
  try {
    const ms = await buildServer();
    process.stderr.write(`okro: built ${OUT} in ${ms} ms (sources changed since the last build)\n`);
  } catch (error) {
    built = false;
    process.stderr.write(`okro: could not build ${OUT} (${error?.code ?? error?.message ?? error}); running the TypeScript through tsx\n`);
  }
}
if (built) {
  await import(pathToFileURL(OUT).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
}
