import type { RunnerTask, RunnerTestFile } from "vitest"
import type { Reporter } from "vitest/node"

/**
 * Prints one closing line, `tests: N passed, N failed[, N skipped]`, after the
 * default reporter's summary, so CI can read the result from the last line.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: ReadonlyArray<RunnerTestFile> = [], errors: ReadonlyArray<unknown> = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const visit = (task: RunnerTask): void => {
      if (task.type === "suite") {
        task.tasks.forEach(visit)
        return
      }
      const state = task.result?.state
      if (state === "pass") counts.passed++
      else if (state === "fail") counts.failed++
      else counts.skipped++
    }
    for (const file of files) {
      // A file that fails to load has no tests; count it as a failure.
      if (file.tasks.length === 0 && file.result?.state === "fail") counts.failed++
      file.tasks.forEach(visit)
    }
    counts.failed += errors.length
    const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : ""
    process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed${skipped}\n`)
  }
}
