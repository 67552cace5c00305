import { expect } from 'chai';
import { AsyncQueue } from '../src/async-queue.ts';

describe('AsyncQueue', () => {
  it('yields items in order and ends when closed', async () => {
    const q = new AsyncQueue<number>(10);
    q.push(1);
    q.push(2);
    setImmediate(() => {
      q.push(3);
      q.close();
    });
    const got: number[] = [];
    for await (const n of q) got.push(n);
    expect(got).to.deep.equal([1, 2, 3]);
  });

  it('drops the oldest item when full and counts it', async () => {
    const q = new AsyncQueue<number>(2);
    q.push(1);
    q.push(2);
    q.push(3);
    q.close();
    const got: number[] = [];
    for await (const n of q) got.push(n);
    expect(got).to.deep.equal([2, 3]);
    expect(q.dropped).to.equal(1);
  });

  it('clear drops what is buffered and keeps later items', async () => {
    const q = new AsyncQueue<number>(10);
    q.push(1);
    q.push(2);
    expect(q.clear()).to.equal(2);
    q.push(3);
    q.close();
    const got: number[] = [];
    for await (const n of q) got.push(n);
    expect(got).to.deep.equal([3]);
  });

  it('ignores pushes after close', async () => {
    const q = new AsyncQueue<number>(10);
    q.close();
    q.push(1);
    const got: number[] = [];
    for await (const n of q) got.push(n);
    expect(got).to.deep.equal([]);
  });
});
