// ESLint flat config for the web pages' ES modules and their Node unit tests.
// Run with `make lint` (or `npx eslint`); CI installs the pinned ESLint with `npm ci`.
import js from "@eslint/js";
import globals from "globals";

export default [
  // static/vendor: built third-party bundles (the structure editor, web-build/build.mjs).
  { ignores: ["node_modules/", ".venv/", "build/", "dist/", "test-results/", "test-artifacts/", "src/cryoprotect/web/static/vendor/"] },
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Every name is used or deliberately absent; `_`-prefixed arguments mark callbacks' unused slots.
      // `const { a: _omit, ...rest } = x` drops a key on purpose (ignoreRestSiblings).
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
      eqeqeq: ["error", "always", { null: "ignore" }], // `x == null` is the one loose comparison used (null or undefined)
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      "no-shadow": ["error", { builtinGlobals: false }],
      // Page modules define handlers that refer to module constants declared further down;
      // they run after the module has loaded, so only same-scope uses are checked.
      "no-use-before-define": ["error", { functions: false, classes: true, variables: false }],
      "no-duplicate-imports": "error",
      "no-self-compare": "error",
      "no-template-curly-in-string": "error",
      "no-unmodified-loop-condition": "error",
      "no-unreachable-loop": "error",
      "no-promise-executor-return": "error",
      "no-constructor-return": "error",
      "no-await-in-loop": "off", // polling a job waits in a loop on purpose (jobs_ui.js)
      "no-console": ["error", { allow: ["error"] }], // unexpected errors are also logged with their stack
    },
  },
  {
    files: ["src/cryoprotect/web/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      // Plotly.js is a classic script the templates load before the page modules.
      globals: { ...globals.browser, Plotly: "readonly" },
    },
  },
  {
    // The structure editor's build (web-build/): a Node script and the bundle's browser entry.
    files: ["web-build/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
    rules: { "no-console": "off" }, // the build prints the files it wrote
  },
  {
    files: ["web-build/ketcher_entry.js", "web-build/node_globals.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["tests/js/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
