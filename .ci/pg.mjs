// Creates or drops a database for CI, with the project's own `pg` (no psql needed).
import pg from "pg";

const [url, action, name] = process.argv.slice(2);
if (!url || !["create", "drop"].includes(action) || !/^[a-z0-9_]+$/.test(name ?? "")) {
  console.error("usage: node .ci/pg.mjs <admin-url> create|drop <name>");
  process.exit(2);
}
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(action === "create" ? `CREATE DATABASE ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
await client.end();
console.log(`${action === "create" ? "created" : "dropped"} database ${name}`);
