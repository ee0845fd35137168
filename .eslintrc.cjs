/* ESLint 9 reads this legacy config because `npm run lint` sets ESLINT_USE_FLAT_CONFIG=false. */
module.exports = {
  root: true,
  parser: "@typescript-eslint/parser",
  parserOptions: {
    project: "./tsconfig.json",
    tsconfigRootDir: __dirname,
    sourceType: "module"
  },
  plugins: ["@typescript-eslint"],
  extends: [
    "eslint:recommended",
    "plugin:@typescript-eslint/recommended",
    "plugin:@typescript-eslint/recommended-type-checked"
  ],
  env: { node: true, es2022: true },
  ignorePatterns: ["dist/", "node_modules/", "bin/", "*.cjs", "vitest.config.ts"],
  rules: {
    "@typescript-eslint/no-explicit-any": "error",
    "@typescript-eslint/consistent-type-imports": "error",
    "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
    "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    "@typescript-eslint/no-floating-promises": "error",
    // `Data.TaggedEnum<{ Closed: {} }>` is Effect's idiom for a case without fields.
    "@typescript-eslint/no-empty-object-type": ["error", { allowObjectTypes: "always" }],
    // Effect generators yield effects, not promises; `require-yield` misfires on `Effect.gen(function*() {})`.
    "require-yield": "off",
    "no-restricted-syntax": ["error",
      { selector: "TryStatement", message: "Use typed errors (Effect), not try/catch." }],
    "no-restricted-imports": ["error", {
      paths: [
        { name: "node:net", message: "Only src/SocketTcp.ts may use node:net." },
        { name: "net", message: "Only src/SocketTcp.ts may use node:net." }
      ]
    }],
    semi: ["error", "never"],
    quotes: ["error", "double", { avoidEscape: true }]
  },
  overrides: [
    {
      // Matching control characters is the point: they are removed from relayed text.
      files: ["src/Reply.ts"],
      rules: { "no-control-regex": "off" }
    },
    {
      // The TCP socket layer is the one place that speaks node:net.
      files: ["src/SocketTcp.ts"],
      rules: { "no-restricted-imports": "off" }
    },
    {
      // Tests and benchmarks drive real sockets and child processes as a user's machine would.
      files: ["test/**/*.ts", "bench/**/*.ts"],
      rules: { "no-restricted-imports": "off", "no-restricted-syntax": "off" }
    }
  ]
}
