import { expect } from 'chai';
import type { Logger } from '@voicebridge/protocol';
import { ThrottledWarning } from '../../src/core/throttled-warning.ts';

function warnings(lines: { fields: object; msg: string }[]): Logger {
  const ignore = (): void => undefined;
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (fields: object | string, msg?: string) => {
      lines.push(typeof fields === 'string' ? { fields: {}, msg: fields } : { fields, msg: msg ?? '' });
    },
    child: () => logger,
  };
  return logger;
}

describe('ThrottledWarning (a flood of drops is a few log lines)', () => {
  it('logs the first at once, then at most one per interval with how many were not logged', () => {
    const lines: { fields: object; msg: string }[] = [];
    let now = 0;
    const warning = new ThrottledWarning(warnings(lines), 10_000, () => now);
    for (let i = 0; i < 100; i++) warning.warn({ i }, 'dropped');
    expect(lines).to.deep.equal([{ fields: { i: 0, suppressed: 0 }, msg: 'dropped' }]);
    now = 9_999;
    warning.warn({ i: 100 }, 'dropped');
    expect(lines).to.have.length(1);
    now = 10_000;
    warning.warn({ i: 101 }, 'dropped');
    expect(lines[1]).to.deep.equal({ fields: { i: 101, suppressed: 100 }, msg: 'dropped' });
  });
});
