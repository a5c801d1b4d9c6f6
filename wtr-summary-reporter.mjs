import { writeFileSync } from 'node:fs';

/** Under `npm test` (scripts/test.ts, same name there) the counts go to this file as JSON and the harness prints the
 * one closing line over every runner. */
const COUNTS_FILE_ENV = 'MCU_TEST_COUNTS_FILE';

// Prints "N passed, N failed[, N skipped]" alone on the last line, which CI reads; WTR's own lines are not in that form.
function count(suite, acc) {
  if (!suite) return acc;
  for (const t of suite.tests ?? []) {
    if (t.skipped) acc.skipped++;
    else if (t.passed) acc.passed++;
    else acc.failed++;
  }
  for (const s of suite.suites ?? []) count(s, acc);
  return acc;
}

export function summaryLineReporter() {
  let sessionsRef;
  return {
    start() {},
    onTestRunFinished({ sessions }) { sessionsRef = sessions; },
    stop() {
      const acc = { passed: 0, failed: 0, skipped: 0 };
      for (const s of sessionsRef ?? []) {
        count(s.testResults, acc);
        // A file that failed to load counts as one failure; WTR's own count leaves it out.
        if (!s.passed && (s.errors?.length ?? 0) > 0) acc.failed++;
      }
      const countsFile = process.env[COUNTS_FILE_ENV];
      if (countsFile) {
        writeFileSync(countsFile, JSON.stringify(acc));
        return;
      }
      const line = `${acc.passed} passed, ${acc.failed} failed` + (acc.skipped ? `, ${acc.skipped} skipped` : '');
      // At exit, so that it comes after the default reporter's closing block.
      process.once('exit', () => process.stdout.write(line + '\n'));
    },
  };
}
