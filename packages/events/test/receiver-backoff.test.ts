import { expect } from 'chai';
import { receiverBackoff, retryAfterMs } from '../src/receiver-backoff.ts';

const job = (attempts: number, delay: number) => ({ opts: { attempts, backoff: { type: 'receiver', delay } } });
const asking = (ms: number | undefined): Error => Object.assign(new Error('HTTP 429'), { retryAfterMs: ms });

describe('call events: receiver back-off', () => {
  it('reads Retry-After as delay-seconds or an HTTP-date, and nothing else', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(retryAfterMs('120', now)).to.equal(120_000);
    expect(retryAfterMs(' 0 ', now)).to.equal(0);
    expect(retryAfterMs('Sun, 06 Dec 2026 12:00:30 GMT', now)).to.equal(30_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 11:00:00 GMT', now), 'a date in the past: at once').to.equal(0);
    for (const bad of [undefined, null, '', '-5', '1.5', 'soon', '99999999999'])
      expect(retryAfterMs(bad, now), String(bad)).to.equal(undefined);
  });

  it('is exponential with up to 20% jitter taken off when the receiver asks nothing', () => {
    expect(receiverBackoff(1, 'receiver', new Error('HTTP 500'), job(5, 100), () => 0)).to.equal(100);
    expect(receiverBackoff(3, 'receiver', new Error('HTTP 500'), job(5, 100), () => 0)).to.equal(400);
    expect(receiverBackoff(3, 'receiver', new Error('HTTP 500'), job(5, 100), () => 1)).to.equal(320);
  });

  it('waits as long as Retry-After asks, never less than the schedule, never more than its longest pause', () => {
    // 5 attempts from 100 ms: pauses 100, 200, 400, 800; the longest is 800.
    expect(receiverBackoff(1, 'receiver', asking(500), job(5, 100), () => 0)).to.equal(500);
    expect(receiverBackoff(3, 'receiver', asking(50), job(5, 100), () => 0)).to.equal(400);
    expect(receiverBackoff(1, 'receiver', asking(3_600_000), job(5, 100), () => 0)).to.equal(800);
    expect(receiverBackoff(1, 'receiver', asking(undefined), job(5, 100), () => 0)).to.equal(100);
  });
});
