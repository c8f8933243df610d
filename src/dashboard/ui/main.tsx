import { render } from "preact";
import { App } from "./app.js";

/** The dashboard's entry point (bundled by src/dashboard/build.ts). */
const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
