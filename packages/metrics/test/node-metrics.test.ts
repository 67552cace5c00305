import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  Counter,
  createProcessRegistry,
  MetricsRequester,
  NodeMetrics,
  Registry,
  type MetricsSource,
} from '../src/index.ts';
import { parsePrometheusText, samplesOf, sumOf } from '../../../test/support/prometheus-text.ts';
import { waitForEvent } from '../../../test/support/wait-for.ts';

const CHILD = fileURLToPath(new URL('./fixtures/metrics-child.ts', import.meta.url));

/** A real forked process with its metrics requester: what ServiceProcess does for the supervisor. */
class Child implements MetricsSource {
  readonly name: string;
  child: ChildProcess | undefined;
  #requester: MetricsRequester | undefined;

  constructor(name: string) {
    this.name = name;
  }

  get incarnation(): number | undefined {
    return this.child?.connected ? this.child.pid : undefined;
  }

  async start(env: Record<string, string> = {}): Promise<void> {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: 'inherit' });
    const requester = new MetricsRequester((message) => child.connected && child.send(message, () => undefined));
    child.on('message', (message) => requester.handle(message));
    child.on('exit', () => requester.close());
    this.child = child;
    this.#requester = requester;
    await waitForEvent(child, 'message', 'the child ready', 20_000, (m) => (m as { type?: string }).type === 'ready');
  }

  async inc(count: number): Promise<void> {
    const child = this.child as ChildProcess;
    const done = waitForEvent(child, 'message', 'inc-done', 5000, (m) => (m as { type?: string }).type === 'inc-done');
    child.send({ type: 'inc', count });
    await done;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = waitForEvent(child, 'exit', 'the child exit', 5000);
    child.kill('SIGKILL');
    await exited;
  }

  requestMetrics(timeoutMs: number): ReturnType<MetricsSource['requestMetrics']> {
    return this.#requester?.request(timeoutMs) ?? Promise.reject(new Error('not started'));
  }
}

describe('NodeMetrics: every process of the node in one /metrics', function () {
  this.timeout(60_000);
  const children: Child[] = [];
  const child = (name: string): Child => {
    const c = new Child(name);
    children.push(c);
    return c;
  };
  afterEach(async () => {
    for (const c of children.splice(0)) await c.kill();
  });

  it('asks each forked process over its IPC channel and labels every sample with the process it came from', async () => {
    const [a, b] = [child('media-1'), child('agent')];
    await Promise.all([a.start({ DEPTH: '4' }), b.start({ DEPTH: '7' })]);
    await a.inc(3);
    await b.inc(5);
    const own = createProcessRegistry();
    new Counter({ name: 'test_jobs_total', help: 'jobs', labelNames: ['kind'], registers: [own] }).inc(
      { kind: 'a' },
      1,
    );
    const node = new NodeMetrics({ registry: own, sources: () => [a, b] });
    const text = await node.render();
    const samples = parsePrometheusText(text);
    expect(sumOf(samples, 'test_jobs_total', { process: 'media-1', kind: 'a' })).to.equal(3);
    expect(sumOf(samples, 'test_jobs_total', { process: 'agent', kind: 'a' })).to.equal(5);
    expect(sumOf(samples, 'test_jobs_total', { process: 'supervisor', kind: 'a' })).to.equal(1);
    // A gauge stays per process: never summed into one figure for the node.
    expect(samplesOf(samples, 'test_depth').map((s) => [s.labels['process'], s.value])).to.have.deep.members([
      ['media-1', 4],
      ['agent', 7],
    ]);
    // Node's own figures per process: event-loop lag and GC pauses (a histogram).
    for (const process of ['media-1', 'agent', 'supervisor'])
      expect(samplesOf(samples, 'nodejs_eventloop_lag_seconds', { process }), process).to.have.length(1);
    expect(text).to.include('# TYPE nodejs_gc_duration_seconds histogram');
    // One family per name: HELP and TYPE once, however many processes report it.
    expect(text.match(/^# TYPE test_jobs_total /gm)).to.have.length(1);
    expect(sumOf(samples, 'voicebridge_process_up', { process: 'media-1' })).to.equal(1);
    expect(sumOf(samples, 'voicebridge_process_up', { process: 'agent' })).to.equal(1);
  });

  it("a restarted process's counters go on from its last answer, its gauges start afresh", async () => {
    const a = child('media-1');
    await a.start({ DEPTH: '4' });
    await a.inc(3);
    const node = new NodeMetrics({ registry: new Registry(), sources: () => [a] });
    expect(sumOf(parsePrometheusText(await node.render()), 'test_jobs_total', { process: 'media-1' })).to.equal(3);
    await a.kill();
    // While it is down its last counts still stand (a drop would read as a counter reset).
    const down = parsePrometheusText(await node.render());
    expect(sumOf(down, 'voicebridge_process_up', { process: 'media-1' })).to.equal(0);
    expect(sumOf(down, 'test_jobs_total', { process: 'media-1' })).to.equal(3);
    expect(samplesOf(down, 'test_depth')).to.deep.equal([]);
    await a.start({ DEPTH: '9' });
    await a.inc(2);
    const after = parsePrometheusText(await node.render());
    expect(sumOf(after, 'test_jobs_total', { process: 'media-1' })).to.equal(5);
    expect(samplesOf(after, 'test_depth').map((s) => s.value)).to.deep.equal([9]);
    expect(sumOf(after, 'voicebridge_process_up', { process: 'media-1' })).to.equal(1);
  });

  it('a process that does not answer in time is reported down, and the others are still served', async () => {
    const [mute, b] = [child('signaling'), child('agent')];
    await Promise.all([mute.start({ MUTE: '1' }), b.start()]);
    await b.inc(2);
    const node = new NodeMetrics({ registry: new Registry(), sources: () => [mute, b], timeoutMs: 300 });
    const samples = parsePrometheusText(await node.render());
    expect(sumOf(samples, 'voicebridge_process_up', { process: 'signaling' })).to.equal(0);
    expect(sumOf(samples, 'voicebridge_process_up', { process: 'agent' })).to.equal(1);
    expect(sumOf(samples, 'test_jobs_total', { process: 'agent' })).to.equal(2);
    expect(samplesOf(samples, 'test_jobs_total', { process: 'signaling' })).to.deep.equal([]);
  });
});

describe('MetricsRequester', () => {
  it('refuses a malformed reply instead of rendering it', async () => {
    const sent: { id: number }[] = [];
    const requester = new MetricsRequester((message) => sent.push(message) > 0);
    const pending = requester.request(5000);
    const id = sent[0]?.id as number;
    expect(
      requester.handle({ type: 'metrics-reply', id, metrics: [{ name: 'x', help: 'h', type: 'bogus', values: [] }] }),
    ).to.equal(true);
    await pending.then(
      () => expect.fail('a malformed reply resolved'),
      (error: Error) => expect(error.message).to.equal('malformed metrics reply'),
    );
  });

  it('fails pending requests at once when the process goes, and new ones too', async () => {
    const requester = new MetricsRequester(() => true);
    const pending = requester.request(60_000);
    requester.close();
    await pending.then(
      () => expect.fail('resolved after close'),
      (error: Error) => expect(error.message).to.equal('process gone'),
    );
    await requester.request(60_000).then(
      () => expect.fail('resolved after close'),
      (error: Error) => expect(error.message).to.equal('process gone'),
    );
  });

  it('ignores messages that are not metrics replies (the child also sends ready and others)', () => {
    const requester = new MetricsRequester(() => true);
    expect(requester.handle({ type: 'ready', service: 'media' })).to.equal(false);
    expect(requester.handle(null)).to.equal(false);
    expect(requester.handle('metrics-reply')).to.equal(false);
  });
});
