import { createServer } from 'node:net';
import { expect } from 'chai';
import { fixedPorts, loadBridgeConfig } from '@voicebridge/protocol';
import { freePort } from '../../../test/support/free-port.ts';
import { busyPorts, clashingPorts } from '../src/port-probe.ts';

describe('port probe (voicebridge start, before any process)', () => {
  it("finds the bridge's own fixed ports that clash: HTTP_PORT on the second media worker's control port", () => {
    const config = loadBridgeConfig({ MEDIA_WORKERS: '2', MEDIA_CONTROL_PORT: '7077', HTTP_PORT: '7078' });
    const clashes = clashingPorts(fixedPorts(config, ['signaling', 'media', 'http']));
    expect(clashes.map(([a, b]) => [a.variable, b.variable, a.port])).to.deep.equal([
      ['HTTP_PORT', 'MEDIA_CONTROL_PORT', 7078],
    ]);
    expect(clashingPorts(fixedPorts(loadBridgeConfig({}), ['signaling', 'media', 'http']))).to.deep.equal([]);
  });

  it('reports a port another program holds, and not the free ones (probed one at a time)', async () => {
    const held = await freePort('tcp');
    const free = await freePort('tcp');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(held, '127.0.0.1', resolve));
    try {
      const port = (p: number) =>
        ({ id: 'http', variable: 'HTTP_PORT', what: 'HTTP', protocol: 'tcp', address: '127.0.0.1', port: p }) as const;
      const busy = await busyPorts([port(free), port(held), port(free)]);
      expect(busy.map((p) => p.port)).to.deep.equal([held]);
    } finally {
      holder.close();
    }
  });
});
