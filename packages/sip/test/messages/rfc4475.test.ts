import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseMessage } from '../../src/messages/index.ts';
import { RFC4475_EXPECTATIONS } from './rfc4475-expectations.ts';
import {
  describeWithTorture,
  readChecksums,
  readTorture,
  tortureChecksums,
  tortureFiles,
  TORTURE_SUMS_FILE,
} from './torture-fixtures.ts';

describeWithTorture('RFC 4475 torture messages', (dir) => {
  it('the fixtures are bit-exact copies of the RFC archive (SHA256SUMS)', () => {
    const sums = tortureChecksums(dir);
    expect(sums.size).to.equal(50);
    expect([...sums].sort(), 'the SHA256SUMS beside the messages is the committed one').to.deep.equal(
      [...readChecksums(TORTURE_SUMS_FILE)].sort(),
    );
    for (const [file, sum] of sums) {
      expect(createHash('sha256').update(readTorture(dir, file)).digest('hex'), file).to.equal(sum);
    }
  });

  it('the expectation table covers every file exactly once', () => {
    const files = RFC4475_EXPECTATIONS.map((entry) => entry.file);
    expect(new Set(files).size, 'duplicate entries').to.equal(files.length);
    expect([...files].sort()).to.deep.equal(tortureFiles(dir));
    expect(files).to.have.length(50);
  });

  for (const entry of RFC4475_EXPECTATIONS) {
    const { parser } = entry;
    const expected = parser.ok
      ? `parses as a ${parser.type}`
      : `fails with ${parser.status}, ${parser.answer ? 'answerable' : 'dropped'}`;
    it(`${entry.file} (RFC 4475 §${entry.section || '-'}) ${expected}`, () => {
      const outcome = parseMessage(readTorture(dir, entry.file));
      if (parser.ok) {
        if (!outcome.ok) expect.fail(`expected success, got ${outcome.status} ${outcome.reason}`);
        expect(outcome.message.type).to.equal(parser.type);
        expect(outcome.bytes, 'bytes').to.equal(parser.bytes);
        expect(outcome.message.body.length, 'body').to.equal(parser.bodyBytes);
      } else {
        if (outcome.ok) expect.fail(`expected failure ${parser.status}, parsed a ${outcome.message.type}`);
        expect(outcome.status, outcome.reason).to.equal(parser.status);
        expect(outcome.request !== undefined, 'answerable').to.equal(parser.answer);
      }
    });
  }

  it('every prefix of every message gets an outcome, never an exception', () => {
    for (const file of tortureFiles(dir)) {
      const bytes = readTorture(dir, file);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const outcome = parseMessage(bytes.subarray(0, cut));
        expect(outcome, `${file} cut at ${cut}`).to.have.property('ok');
      }
    }
  });
});
