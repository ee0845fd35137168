import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    reporters: ["default", "./test/support/SummaryReporter.ts"],
    // Caps, not waits: every test waits for a specific line. Generous for a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
