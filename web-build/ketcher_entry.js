// The structure editor bundle: Ketcher's React editor with the standalone (in-browser,
// WebAssembly) Indigo service, as one ES module that the page imports only when the user
// opens the editor (src/cryoprotect/web/static/js/structure_editor.js). Built by build.mjs.
import React from "react";
import { createRoot } from "react-dom/client";
import { Editor } from "ketcher-react";
import { StandaloneStructServiceProvider } from "ketcher-standalone/dist/binaryWasmNoRender";
import "ketcher-react/dist/index.css";

const provider = new StandaloneStructServiceProvider();

/**
 * Mounts Ketcher in `element`; resolves with the Ketcher API object once the editor is ready.
 * @param {HTMLElement} element an empty, sized container
 * @param {(message: string) => void} onError called with Ketcher's error messages
 */
export function mount(element, onError) {
  return new Promise((resolve) => {
    const root = createRoot(element);
    root.render(
      React.createElement(Editor, {
        staticResourcesUrl: "",
        structServiceProvider: provider,
        errorHandler: (message) => onError(String(message)),
        onInit: (ketcher) => {
          // Ketcher's own code reads window.ketcher (e.g. its paste error messages), as in its
          // documentation's examples.
          window.ketcher = ketcher;
          resolve({ ketcher, unmount: () => root.unmount() });
        },
      }),
    );
  });
}
