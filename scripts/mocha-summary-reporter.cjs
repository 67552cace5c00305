// Spec output for people, plus the counts written to a file for scripts/test.sh's final line.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = (options.reporterOption && options.reporterOption.statsFile) || process.env.VB_MOCHA_STATS;
    runner.once('end', () => {
      if (!file) return;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const s = runner.stats;
      fs.writeFileSync(file, JSON.stringify({ passes: s.passes, failures: s.failures, pending: s.pending }));
    });
  }
}
module.exports = SummaryReporter;
