import { Queue, Worker, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
const conn = new Redis({ maxRetriesPerRequest: null });
const q = new Queue('t' + Date.now(), { connection: conn, prefix: 'vbtest' });
const qe = new QueueEvents(q.name, { connection: { host: '127.0.0.1' }, prefix: 'vbtest' });
await qe.waitUntilReady();
qe.on('active', (e) => console.log('active', e.jobId));
const w = new Worker(
  q.name,
  async (job, token, signal) => {
    console.log('proc', job.id, typeof signal);
    return 1;
  },
  { connection: new Redis({ maxRetriesPerRequest: null }), prefix: 'vbtest' },
);
await q.add('call', { a: 1 }, { jobId: 'abc' });
await new Promise((r) => setTimeout(r, 500));
await w.close();
await qe.close();
await q.obliterate({ force: true });
await q.close();
conn.disconnect();
