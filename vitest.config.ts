import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    reporters: ["default", "./test/support/SummaryReporter.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
