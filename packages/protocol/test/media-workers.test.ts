import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import {
  loadBridgeConfig,
  mediaControlEndpoints,
  mediaWorkerSlice,
  parseHostPortList,
  splitRtpRange,
} from '../src/index.ts';

describe('media workers config', () => {
  it('MEDIA_WORKERS defaults to auto: one per core, at most 8', () => {
    expect(loadBridgeConfig({}).MEDIA_WORKERS).to.equal(Math.min(8, availableParallelism()));
    expect(loadBridgeConfig({ MEDIA_WORKERS: 'auto' }).MEDIA_WORKERS).to.equal(Math.min(8, availableParallelism()));
    expect(loadBridgeConfig({ MEDIA_WORKERS: '3' }).MEDIA_WORKERS).to.equal(3);
    expect(loadBridgeConfig({ MEDIA_WORKERS: '64' }).MEDIA_WORKERS).to.equal(64);
  });

  it('refuses a MEDIA_WORKERS that is not auto or 1-64, naming it', () => {
    for (const bad of ['0', '65', '-1', '2.5', 'many', '0x4']) {
      expect(() => loadBridgeConfig({ MEDIA_WORKERS: bad }), bad).to.throw(
        new RegExp(`^MEDIA_WORKERS \\(got "${bad.replace('.', '\\.')}"\\): must be auto or an integer from 1 to 64`),
      );
    }
  });

  it('refuses at startup a range whose slices would hold fewer than 2 ports each', () => {
    // 20000-20005: three pairs; four workers would leave one without a pair.
    expect(() => loadBridgeConfig({ MEDIA_WORKERS: '4', RTP_PORT_MIN: '20000', RTP_PORT_MAX: '20005' })).to.throw(
      /^MEDIA_WORKERS \(got "4"\): 4 media workers would get fewer than 2 RTP ports each: RTP_PORT_MIN-RTP_PORT_MAX \(20000-20005\) holds 3 even\/odd pairs/,
    );
    // An odd start loses its first port: 20001-20006 holds pairs 20002/3 and 20004/5 only.
    expect(() => loadBridgeConfig({ MEDIA_WORKERS: '3', RTP_PORT_MIN: '20001', RTP_PORT_MAX: '20006' })).to.throw(
      /^MEDIA_WORKERS/,
    );
    expect(
      loadBridgeConfig({ MEDIA_WORKERS: '3', RTP_PORT_MIN: '20000', RTP_PORT_MAX: '20005' }).MEDIA_WORKERS,
    ).to.equal(3);
  });

  it('refuses control ports past 65535 and an index outside the workers', () => {
    expect(() => loadBridgeConfig({ MEDIA_WORKERS: '4', MEDIA_CONTROL_PORT: '65534' })).to.throw(
      /^MEDIA_WORKERS \(got "4"\): 4 control ports from MEDIA_CONTROL_PORT 65534 go past 65535/,
    );
    expect(() => loadBridgeConfig({ MEDIA_WORKERS: '2', MEDIA_WORKER_INDEX: '2' })).to.throw(
      /^MEDIA_WORKER_INDEX \(got "2"\): must be below MEDIA_WORKERS \(2\)/,
    );
    expect(() => loadBridgeConfig({ MEDIA_WORKER_INDEX: '-1' })).to.throw(/^MEDIA_WORKER_INDEX/);
    expect(loadBridgeConfig({ MEDIA_WORKERS: '2', MEDIA_WORKER_INDEX: '1' }).MEDIA_WORKER_INDEX).to.equal(1);
    expect(loadBridgeConfig({}).MEDIA_WORKER_INDEX).to.equal(undefined);
  });

  it('gives each worker a contiguous even-aligned slice, the first ones a pair more when they do not divide', () => {
    // 20000-20019: ten pairs over three workers → 4, 3, 3 pairs.
    expect(splitRtpRange(20000, 20019, 3, 7077)).to.deep.equal([
      { index: 0, controlPort: 7077, rtpPortMin: 20000, rtpPortMax: 20007 },
      { index: 1, controlPort: 7078, rtpPortMin: 20008, rtpPortMax: 20013 },
      { index: 2, controlPort: 7079, rtpPortMin: 20014, rtpPortMax: 20019 },
    ]);
    // An odd minimum starts at the next even port; an even maximum's last port has no partner.
    expect(splitRtpRange(20001, 20010, 2, 100)).to.deep.equal([
      { index: 0, controlPort: 100, rtpPortMin: 20002, rtpPortMax: 20005 },
      { index: 1, controlPort: 101, rtpPortMin: 20006, rtpPortMax: 20009 },
    ]);
    expect(splitRtpRange(20000, 20003, 3, 100)).to.equal(undefined);
    const c = loadBridgeConfig({
      MEDIA_WORKERS: '2',
      RTP_PORT_MIN: '30000',
      RTP_PORT_MAX: '30999',
      MEDIA_CONTROL_PORT: '9000',
    });
    expect(mediaWorkerSlice(c, 1)).to.deep.equal({ index: 1, controlPort: 9001, rtpPortMin: 30500, rtpPortMax: 30999 });
    // Every port of the range belongs to exactly one worker.
    const slices = splitRtpRange(20000, 29999, 8, 7077) ?? [];
    expect(slices.reduce((n, s) => n + s.rtpPortMax - s.rtpPortMin + 1, 0)).to.equal(10_000);
    slices.slice(1).forEach((s, i) => expect(s.rtpPortMin).to.equal((slices[i]?.rtpPortMax ?? 0) + 1));
  });

  it('signaling connects to MEDIA_WORKERS control ports, or exactly to MEDIA_CONTROL_ADDRESSES', () => {
    const local = loadBridgeConfig({ MEDIA_WORKERS: '3', MEDIA_CONTROL_HOST: '127.0.0.2', MEDIA_CONTROL_PORT: '7100' });
    expect(mediaControlEndpoints(local)).to.deep.equal([
      { host: '127.0.0.2', port: 7100 },
      { host: '127.0.0.2', port: 7101 },
      { host: '127.0.0.2', port: 7102 },
    ]);
    const remote = loadBridgeConfig({
      MEDIA_WORKERS: '3',
      MEDIA_CONTROL_ADDRESSES: '10.0.0.5:7077, media-b.internal:7078,[fd00::1]:7077',
    });
    expect(mediaControlEndpoints(remote)).to.deep.equal([
      { host: '10.0.0.5', port: 7077 },
      { host: 'media-b.internal', port: 7078 },
      { host: 'fd00::1', port: 7077 },
    ]);
  });

  it('refuses a MEDIA_CONTROL_ADDRESSES entry that is not host:port, naming the entry', () => {
    expect(() => loadBridgeConfig({ MEDIA_CONTROL_ADDRESSES: '10.0.0.5' })).to.throw(
      /^MEDIA_CONTROL_ADDRESSES \(got "10\.0\.0\.5"\): must be a list of host:port: "10\.0\.0\.5" is not host:port/,
    );
    expect(() => loadBridgeConfig({ MEDIA_CONTROL_ADDRESSES: '10.0.0.5:7077,10.0.0.6:70000' })).to.throw(
      /^MEDIA_CONTROL_ADDRESSES .*"10\.0\.0\.6:70000": port must be 1-65535/,
    );
    expect(() => loadBridgeConfig({ MEDIA_CONTROL_ADDRESSES: 'a:1,a:1' })).to.throw(
      /^MEDIA_CONTROL_ADDRESSES .*"a:1" is listed twice/,
    );
    expect(() => loadBridgeConfig({ MEDIA_CONTROL_ADDRESSES: '::1:7077' })).to.throw(/^MEDIA_CONTROL_ADDRESSES/);
    expect(() => loadBridgeConfig({ MEDIA_CONTROL_ADDRESSES: 'bad_host:7077' })).to.throw(/^MEDIA_CONTROL_ADDRESSES/);
    expect(() => loadBridgeConfig({ MEDIA_CONTROL_ADDRESSES: '10.0.0.5:7077,' })).to.throw(/^MEDIA_CONTROL_ADDRESSES/);
    expect(parseHostPortList('[::1]:7077')).to.deep.equal([{ host: '::1', port: 7077 }]);
  });
});
