import { render } from "preact";
import { App } from "./app.js";
import { detectMode } from "./bridge.js";

/**
 * The widget app's entry point (bundled by src/widget/build.ts). Iframe mode when a loader
 * opened us (`?isIframe=true&withOptions=true`), full page otherwise.
 */
const root = document.getElementById("app");
if (root) {
  // Replace the static loading card the server painted (full page) with the app.
  root.textContent = "";
  render(<App mode={detectMode()} />, root);
}
