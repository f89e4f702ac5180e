// The order jest starts the test files in: those marked `@slow` in their opening docblock first (real
// terraform, the cdktf CLI: tens of seconds of CPU each), so that none of them starts late and runs
// alone at the end; within each group, jest's own order (the failed ones, then the longest by the
// durations it recorded, then the largest). Jest alone learns the long ones only from a run that
// executed them whole, so a fresh clone, or a run filtered with -t, would start them last.
const { readFileSync } = require("node:fs");
const Sequencer = require("@jest/test-sequencer").default;

/** True when the file's opening docblock holds the `@slow` pragma. */
function markedSlow(file) {
  const docblock = /^\s*\/\*\*[\s\S]*?\*\//.exec(readFileSync(file, "utf8"))?.[0] ?? "";
  return /^\s*\*\s*@slow\b/m.test(docblock);
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const slow = new Set(tests.filter((test) => markedSlow(test.path)));
    const sorted = super.sort(tests);
    return [...sorted.filter((test) => slow.has(test)), ...sorted.filter((test) => !slow.has(test))];
  }
}

module.exports = SlowFirstSequencer;
