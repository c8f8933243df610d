/**
 * Builds the server as JavaScript: src/cli.ts and everything it imports, bundled by esbuild into
 * dist/okro.mjs (npm packages stay imports of node_modules). `npm ci` runs it (`prepare`), and
 * bin/okro.js runs it again whenever a source file is newer than the build, so `npm start` never
 * runs stale code. Tests and `npm run okro` still run the TypeScript through tsx.
 *
 * `node scripts/build.mjs` builds; importing it gives buildServer() and isStale().
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = path.join(import.meta.dirname, "..");
export const OUT = path.join(ROOT, "dist", "okro.mjs");
/** What the build reads: a change to any of these makes it stale. */
const INPUTS = [path.join(ROOT, "src"), path.join(ROOT, "package.json"), path.join(ROOT, "package-lock.json"), import.meta.filename];

function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its directory
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** True when dist/okro.mjs is missing or older than a source file. */
export function isStale() {
  let built;
  try {
    built = fs.statSync(OUT).mtimeMs;
  } catch {
    return true;
  }
  return INPUTS.some((input) => newestMtime(input) > built);
}

/**
 * Where the UI sources are for the two files that bundle them at run time (src/widget/build.ts,
 * src/dashboard/build.ts): `import.meta.dirname` there means their folder under src/, not dist/.
 */
const sourceDirname = {
  name: "source-dirname",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, "utf8");
      if (!text.includes("import.meta.dirname") && !text.includes("import.meta.filename")) return undefined;
      const dir = JSON.stringify(path.relative(path.join(ROOT, "dist"), path.dirname(args.path)).split(path.sep).join("/"));
      const file = JSON.stringify(path.relative(path.join(ROOT, "dist"), args.path).split(path.sep).join("/"));
      return {
        contents: text
          .replaceAll("import.meta.dirname", `__okroPath.join(import.meta.dirname, ${dir})`)
          .replaceAll("import.meta.filename", `__okroPath.join(import.meta.dirname, ${file})`)
          .replace(/^/, 'import __okroPath from "node:path";\n'),
        loader: args.path.endsWith(".tsx") ? "tsx" : "ts",
      };
    });
  },
};

export async function buildServer() {
  const { build } = await import("esbuild");
  const started = performance.now();
  const tmp = `${OUT}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, "src", "cli.ts")],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    logLevel: "warning",
    plugins: [sourceDirname],
  });
  // Atomic: a process starting meanwhile sees the old build or the new one, never half of one.
  fs.renameSync(`${tmp}.map`, `${OUT}.map`);
  const text = fs.readFileSync(tmp, "utf8").replace(`//# sourceMappingURL=${path.basename(tmp)}.map`, `//# sourceMappingURL=${path.basename(OUT)}.map`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, OUT);
  return Math.round(performance.now() - started);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const ms = await buildServer();
  process.stdout.write(`okro: built ${path.relative(ROOT, OUT)} in ${ms} ms\n`);
}
