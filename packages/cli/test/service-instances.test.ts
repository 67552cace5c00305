import { expect } from 'chai';
import { serviceInstances } from '../src/supervisor/service-instances.ts';

describe('supervisor service instances', () => {
  it('runs MEDIA_WORKERS media processes media-1, media-2, … each told its index and the count', () => {
    const instances = serviceInstances(['media', 'agent', 'signaling'], { mediaWorkers: 3, agentProcesses: 2 });
    expect(instances.map((i) => i.name)).to.deep.equal([
      'media-1',
      'media-2',
      'media-3',
      'agent',
      'agent-2',
      'signaling',
    ]);
    expect(instances.filter((i) => i.service === 'media').map((i) => i.env)).to.deep.equal([
      { MEDIA_WORKER_INDEX: '0', MEDIA_WORKERS: '3' },
      { MEDIA_WORKER_INDEX: '1', MEDIA_WORKERS: '3' },
      { MEDIA_WORKER_INDEX: '2', MEDIA_WORKERS: '3' },
    ]);
    expect(instances.find((i) => i.service === 'signaling')?.env).to.deep.equal({});
  });

  it('calls a lone media worker `media`; --services media means all of them, in start order', () => {
    expect(
      serviceInstances(['signaling', 'media'], { mediaWorkers: 1, agentProcesses: 4 }).map((i) => i.name),
    ).to.deep.equal(['media', 'signaling']);
    expect(serviceInstances(['media'], { mediaWorkers: 2, agentProcesses: 1 }).map((i) => i.name)).to.deep.equal([
      'media-1',
      'media-2',
    ]);
  });
});
