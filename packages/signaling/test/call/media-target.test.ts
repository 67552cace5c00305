import { expect } from 'chai';
import { networkInterfaces } from 'node:os';
import { hostAddresses, MediaTargetPolicy } from '../../src/call/media-target.ts';

const REMOTE = '198.51.100.20';
const policy = new MediaTargetPolicy({
  ownAddresses: ['192.0.2.10', '2001:db8::10', '0.0.0.0'],
  broadcastAddresses: ['192.0.2.255'],
});

describe('MediaTargetPolicy (where an SDP offer may aim our media)', () => {
  it('refuses broadcast targets from any source, loopback included, with Warning 300', () => {
    for (const target of ['255.255.255.255', '192.0.2.255', '240.0.0.1', '0.1.2.3']) {
      for (const source of [REMOTE, '127.0.0.1']) {
        expect(policy.refusal(target, source), `${target} from ${source}`).to.match(/^300 voicebridge ".*broadcast/);
      }
    }
  });

  it('refuses loopback, link-local and our own addresses as targets of a remote caller, in any spelling', () => {
    const refused = [
      '127.0.0.1',
      '127.9.9.9',
      '::1',
      '::ffff:127.0.0.1',
      '169.254.169.254',
      'fe80::1',
      '192.0.2.10',
      '2001:db8::10',
    ];
    for (const target of refused) expect(policy.refusal(target, REMOTE), target).to.match(/^399 voicebridge ".+"$/);
  });

  it('accepts those targets when the INVITE came from this host (loopback or one of our addresses)', () => {
    for (const source of ['127.0.0.1', '::1', '192.0.2.10']) {
      for (const target of ['127.0.0.1', '169.254.1.1', '192.0.2.10']) {
        expect(policy.refusal(target, source), `${target} from ${source}`).to.equal(undefined);
      }
    }
  });

  it('accepts ordinary unicast targets, private ranges included, and the RFC 2543 hold address 0.0.0.0', () => {
    for (const target of ['198.51.100.7', '10.1.2.3', '192.168.1.20', '2001:db8::99', '0.0.0.0', '::']) {
      expect(policy.refusal(target, REMOTE), target).to.equal(undefined);
    }
  });

  it("lists this host's interface addresses and the directed broadcast address of each IPv4 network", () => {
    const { own, broadcast } = hostAddresses();
    expect(own).to.include('127.0.0.1');
    for (const entry of Object.values(networkInterfaces()).flatMap((e) => e ?? [])) {
      expect(own).to.include(entry.address);
      if (entry.family !== 'IPv4' || entry.internal || entry.netmask === '255.255.255.255') continue;
      const bits = (text: string): number => text.split('.').reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);
      const expected = (bits(entry.address) | ~bits(entry.netmask)) >>> 0;
      const text = [expected >>> 24, (expected >>> 16) & 255, (expected >>> 8) & 255, expected & 255].join('.');
      expect(broadcast).to.include(text);
    }
  });
});
