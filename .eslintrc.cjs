/* ESLint 9 reads this legacy config because `npm run lint` sets ESLINT_USE_FLAT_CONFIG=false. */

/** Import directions (DESIGN.md, "Layout"): a wrong arrow fails lint. */
const noNodeNet = [
  { name: "node:net", message: "Only src/socket/SocketTcp.ts may use node:net." },
  { name: "net", message: "Only src/socket/SocketTcp.ts may use node:net." }
]
const only = (message, ...patterns) => ({ group: patterns, message })
const restrict = (...patterns) => ["error", { paths: noNodeNet, patterns }]

module.exports = {
  root: true,
  parser: "@typescript-eslint/parser",
  parserOptions: {
    // The page (src/web/page) is type-checked for the browser, with its own tsconfig.
    project: ["./tsconfig.json", "./src/web/page/tsconfig.json"],
    tsconfigRootDir: __dirname,
    sourceType: "module"
  },
  plugins: ["@typescript-eslint", "@effect"],
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
    "no-restricted-syntax": ["error", { selector: "TryStatement", message: "Use typed errors (Effect), not try/catch." }],
    "no-restricted-imports": restrict(),
    // Effect's own formatter settings (its repository's dprint rule).
    "@effect/dprint": ["error", {
      config: {
        indentWidth: 2,
        lineWidth: 120,
        semiColons: "asi",
        quoteStyle: "alwaysDouble",
        trailingCommas: "never",
        operatorPosition: "maintain",
        "arrowFunction.useParentheses": "force"
      }
    }]
  },
  overrides: [
    {
      // The vocabulary imports nothing local but itself.
      files: ["src/domain/**/*.ts"],
      rules: {
        "no-restricted-imports": restrict(
          only("domain/ imports nothing local but domain/.", "../*", "!../domain/*", "**/protocol/**", "**/hub/**",
            "**/server/**", "**/socket/**", "**/client/**", "**/ServerConfig.js", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      files: ["src/protocol/**/*.ts"],
      rules: {
        "no-restricted-imports": restrict(
          only("protocol/ imports only domain/ (and itself).", "**/hub/**", "**/server/**", "**/socket/**",
            "**/client/**", "**/ServerConfig.js", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      files: ["src/hub/**/*.ts"],
      rules: {
        "no-restricted-imports": restrict(
          only("hub/ imports only domain/ (and itself): it holds sinks, never sockets.", "**/protocol/**",
            "**/server/**", "**/socket/**", "**/client/**", "**/ServerConfig.js", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      files: ["src/server/**/*.ts"],
      rules: {
        "no-restricted-imports": restrict(
          only("server/ never imports the terminal client.", "**/client/**", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      files: ["src/socket/**/*.ts"],
      rules: {
        "no-restricted-imports": restrict(
          only("socket/ imports only @effect/platform and node:*.", "**/domain/**", "**/protocol/**", "**/hub/**",
            "**/server/**", "**/client/**", "**/ServerConfig.js", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      files: ["src/client/**/*.ts"],
      rules: {
        "no-restricted-imports": restrict(
          only("client/ never imports hub/ or server/.", "**/hub/**", "**/server/**", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      // The TCP socket layer is the one place that speaks node:net.
      files: ["src/socket/SocketTcp.ts"],
      rules: {
        "no-restricted-imports": ["error", {
          patterns: [
            only("socket/ imports only @effect/platform and node:*.", "**/domain/**", "**/protocol/**", "**/hub/**",
              "**/server/**", "**/client/**", "**/ServerConfig.js", "**/Cli.js", "**/index.js")
          ]
        }]
      }
    },
    {
      // The browser page shares the WebSocket protocol's messages, and nothing else of the server.
      files: ["src/web/page/**/*.ts"],
      env: { browser: true, node: false },
      rules: {
        "no-restricted-imports": restrict(
          only("the page imports only protocol/ws/ and itself.", "**/domain/**", "**/hub/**", "**/server/**",
            "**/socket/**", "**/client/**", "**/protocol/line/**", "**/ServerConfig.js", "**/Cli.js", "**/index.js")
        )
      }
    },
    {
      // Tests and benchmarks drive real sockets and child processes as a user's machine would.
      files: ["test/**/*.ts", "bench/**/*.ts"],
      rules: { "no-restricted-imports": "off", "no-restricted-syntax": "off" }
    }
  ]
}
