#!/usr/bin/env node
// Prints vitest's JSON report as the plain closing line "N passed, N failed[, N skipped]".
// Exits non-zero when the report is missing or no test ran, so "green with zero tests" cannot happen.
'use strict';
const fs = require('node:fs');

const file = process.argv[2] ?? 'test-results/vitest.json';
if (!fs.existsSync(file)) {
    console.log('0 passed, 0 failed');
    console.error(`test-summary: no report at ${file} (typecheck or lint failed before the tests ran?)`);
    process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(passed === 0 || failed > 0 ? 1 : 0);
