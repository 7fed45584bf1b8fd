// Node globals that some of Ketcher's dependencies read, for the browser (esbuild `inject`:
// each free use of `process` / `Buffer` in the bundle refers to these).
import process from "process/browser.js";
import { Buffer } from "buffer";

export { process, Buffer };
