import { expect } from 'chai';
import { frameStreamMessage, parseMessage, serializeMessage } from '../../src/messages/index.ts';
import { itWithTorture, readTorture, tortureFiles } from './torture-fixtures.ts';
import { typicalInvite } from './sip-builders.ts';
import { seededRandom as random } from '../seeded-random.ts';

const INTERESTING = [0x00, 0x0a, 0x0d, 0x20, 0x09, 0x22, 0x25, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x40, 0x5c, 0x80, 0xff];

function mutate(input: Buffer, next: () => number): Buffer {
  const bytes = Buffer.from(input);
  const edits = 1 + Math.floor(next() * 8);
  let out = bytes;
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * out.length);
    const kind = next();
    if (kind < 0.4) out[at] = INTERESTING[Math.floor(next() * INTERESTING.length)] ?? 0;
    else if (kind < 0.6) out[at] = Math.floor(next() * 256);
    else if (kind < 0.8)
      out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(next() * 20)))]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at, at + Math.floor(next() * 40)), out.subarray(at)]);
  }
  return out;
}

describe('parser robustness', function () {
  // About 3 s alone; a shared 2-core box running real-call suites beside it has taken over 20 s.
  this.timeout(120_000);
  itWithTorture('20,000 mutations of the torture messages and a typical INVITE never throw', (dir) => {
    const seeds = [...tortureFiles(dir).map((file) => readTorture(dir, file)), typicalInvite()];
    const next = random(0x5eed);
    for (let i = 0; i < 20000; i++) {
      const input = mutate(seeds[i % seeds.length] ?? Buffer.alloc(0), next);
      const outcome = parseMessage(input);
      expect(outcome).to.have.property('ok');
      if (outcome.ok) {
        // Whatever parsed must serialize and parse again.
        expect(parseMessage(serializeMessage(outcome.message)).ok, input.toString('latin1')).to.equal(true);
      }
      expect(frameStreamMessage(input)).to.have.property('state');
    }
  });

  it('random bytes never throw', () => {
    const next = random(42);
    for (let i = 0; i < 5000; i++) {
      const input = Buffer.from(Array.from({ length: Math.floor(next() * 600) }, () => Math.floor(next() * 256)));
      expect(parseMessage(input)).to.have.property('ok');
    }
  });

  it('pathological inputs stay fast: 60 KB of one header, 5,000 folded lines, 10,000 commas in a Via', () => {
    const started = Date.now();
    const head =
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n';
    const cases = [
      `${head}X-Big: ${'a'.repeat(60000)}\r\n\r\n`,
      `${head}X-Folded: a${'\r\n b'.repeat(5000)}\r\n\r\n`,
      `${head}Via: ${'SIP/2.0/UDP h,'.repeat(4000)}\r\n\r\n`,
      `${head}Contact: ${'"'.repeat(30000)}\r\n\r\n`,
      `${head}Contact: <sip:a@b>${';p'.repeat(20000)}\r\n\r\n`,
    ];
    for (const text of cases) expect(parseMessage(Buffer.from(text))).to.have.property('ok');
    expect(Date.now() - started).to.be.below(2000);
  });
});
