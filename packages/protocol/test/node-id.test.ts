import { expect } from 'chai';
import { CallRecordSchema, loadBridgeConfig, nodeIdOf, NODE_ID_PATTERN } from '../src/index.ts';

describe('node id (NODE_ID)', () => {
  it('defaults to the advertised SIP address:port and the host name', () => {
    const config = loadBridgeConfig({ SIP_PORT: '5070', SIP_ADVERTISED_ADDRESS: '192.0.2.7' });
    expect(nodeIdOf(config, 'box-1')).to.equal('192.0.2.7:5070@box-1');
  });

  it('an IPv6 advertised address is written without brackets (glob characters in a key pattern)', () => {
    const config = loadBridgeConfig({ SIP_BIND_ADDRESS: '::1' });
    expect(nodeIdOf(config, 'box-1')).to.equal('::1_5060@box-1');
  });

  it('a host name with characters a key must not hold still gives a usable id', () => {
    const id = nodeIdOf(loadBridgeConfig({}), 'weird host*name');
    expect(id).to.equal('127.0.0.1:5060@weird-host-name');
    expect(NODE_ID_PATTERN.test(nodeIdOf(loadBridgeConfig({}), 'h'.repeat(300)))).to.equal(true);
  });

  it('an explicit NODE_ID wins; one with a space or a glob character is refused naming NODE_ID', () => {
    expect(nodeIdOf(loadBridgeConfig({ NODE_ID: 'eu-west-a' }), 'box-1')).to.equal('eu-west-a');
    expect(() => loadBridgeConfig({ NODE_ID: 'a b' })).to.throw(/^NODE_ID \(got "a b"\): must be 1-128 of/);
    expect(() => loadBridgeConfig({ NODE_ID: 'node*' })).to.throw(/^NODE_ID/);
  });

  it('a wildcard bind address with an advertised one needs no NODE_ID; the lease TTL has a floor', () => {
    const config = loadBridgeConfig({ SIP_BIND_ADDRESS: '0.0.0.0', SIP_ADVERTISED_ADDRESS: '203.0.113.10' });
    expect(nodeIdOf(config, 'h')).to.equal('203.0.113.10:5060@h');
    expect(() => loadBridgeConfig({ NODE_LEASE_TTL_MS: '1000' })).to.throw(/^NODE_LEASE_TTL_MS .*at least 3000/);
  });

  it('a call record may carry the node id, and only a well-formed one', () => {
    const record = {
      version: 1,
      callId: 'c1',
      sipCallId: 's1',
      from: 'a',
      to: 'b',
      number: '+15550100',
      status: 'setup',
      invitedAtMs: 1,
      transcript: [],
    };
    expect(CallRecordSchema.safeParse({ ...record, nodeId: '127.0.0.1:5060@h' }).success).to.equal(true);
    expect(CallRecordSchema.safeParse(record).success).to.equal(true);
    expect(CallRecordSchema.safeParse({ ...record, nodeId: 'a b' }).success).to.equal(false);
  });
});
