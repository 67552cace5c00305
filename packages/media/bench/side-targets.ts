import { BenchChild } from './bench-child.ts';
import type { MediaCommand } from './media-process.ts';
import type { EchoCommand } from './node-echo-process.ts';
import { RtpengineDaemon } from './rtpengine-daemon.ts';
import type { NgDict } from './ng-client.ts';
import { freePort, freeRtpPortRange } from '../../../test/support/free-port.ts';

/** What the side-by-side benchmark drives: where each call's caller sends, and who does the work. */
export interface Target {
  /** Per call, the target's port the generator's caller socket sends to. */
  ports: number[];
  /** The processes doing the relaying, whose CPU is the target's cost. */
  pids: Record<string, number>;
  /** Starts the target's own counters afresh (after the warm-up). */
  measure?(): Promise<void>;
  /** Where the target's own counters say packets went missing since `measure`, if anywhere. */
  lossNote?(): Promise<string | undefined>;
  close(): Promise<void>;
}

export type TargetKind = 'ours' | 'node-echo' | 'rtpengine-relay' | 'rtpengine-transcode';

export const TARGET_LABELS: Record<TargetKind, string> = {
  ours: 'voicebridge media worker (media only, echo)',
  'node-echo': 'bare Node UDP echo (one socket per call)',
  'rtpengine-relay': 'rtpengine userspace relay (PCMU → PCMU)',
  'rtpengine-transcode': 'rtpengine userspace transcode (PCMU → PCMA)',
};

/**
 * Our media worker in its own process, media only: the real MediaWorker with the echo agent inside
 * it (media-process.ts mode `inner`, as the capacity benchmark's run (a), without its probes). Each call is allocated
 * with the generator's caller socket as its remote: caller packet → jitter buffer → echo agent →
 * outbound queue → clock → the caller.
 */
export async function startOurs(callerPorts: number[]): Promise<Target> {
  const media = new BenchChild<MediaCommand>('./media-process.ts');
  try {
    const { minPort, maxPort } = await freeRtpPortRange(2 * callerPorts.length + 20);
    // No probes in the worker's process: its CPU is compared with yardsticks that carry none.
    await media.request({ type: 'setup', mode: 'inner', prefix: 'vbside', minPort, maxPort, instrument: false });
    const { ports } = await media.request<{ ports: number[] }>({
      type: 'allocate',
      calls: callerPorts.map((remotePort, i) => ({ callId: `side-${i}`, remotePort })),
    });
    return {
      ports,
      pids: { media: media.process.pid as number },
      measure: async () => void (await media.request({ type: 'measure' })),
      lossNote: async () => {
        const r = await media.request<{ internalDrops: number; lateDiscards: number; droppedLate: number }>({
          type: 'report',
        });
        if (r.internalDrops + r.lateDiscards + r.droppedLate === 0) return undefined;
        return `media: ${r.droppedLate} agent frames dropped lagging after stalls (ADR 0014), ${r.internalDrops} queue drops, ${r.lateDiscards} late discards`;
      },
      close: async () => {
        await media.request({ type: 'close-calls' }).catch(() => undefined);
        await media.exit();
      },
    };
  } catch (error) {
    await media.exit();
    throw error;
  }
}

export async function startNodeEcho(calls: number): Promise<Target> {
  const echo = new BenchChild<EchoCommand>('./node-echo-process.ts');
  try {
    const { ports } = await echo.request<{ ports: number[] }>({ type: 'open', count: calls });
    return { ports, pids: { 'node-echo': echo.process.pid as number }, close: () => echo.exit() };
  } catch (error) {
    await echo.exit();
    throw error;
  }
}

const sdp = (port: number, codec: 'PCMU' | 'PCMA'): string => {
  const pt = codec === 'PCMU' ? 0 : 8;
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=voicebridge side-by-side',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${pt}`,
    `a=rtpmap:${pt} ${codec}/8000`,
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
};

/** The RTP port of an SDP body's first audio stream. */
function audioPort(reply: NgDict, what: string): number {
  const body = typeof reply.sdp === 'string' ? reply.sdp : '';
  const port = Number(/^m=audio (\d+) /m.exec(body)?.[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`rtpengine's ${what} SDP has no audio port: ${body}`);
  return port;
}

/**
 * rtpengine (userspace, its own instance: rtpengine-daemon.ts) between the generator's caller and
 * callee sockets, one call each set up over the ng protocol: an `offer` with the caller's SDP (PCMU),
 * an `answer` with the callee's. Relaying, the callee answers PCMU; transcoding, the offer masks PCMU
 * and adds PCMA for the callee's side (`codec: {mask, transcode}`) and the callee answers PCMA, so
 * every caller packet is decoded and encoded again. The caller sends to the port of the answer's
 * SDP; rtpengine forwards to the callee's SDP address (trusted, as by default). Caller → callee only:
 * 50 packets/s in and 50 out per call, as for the echoes.
 */
export async function startRtpengine(
  binary: string,
  callerPorts: number[],
  calleePorts: number[],
  transcode: boolean,
): Promise<Target> {
  // Four ports per call (RTP and RTCP on each side), with room for rtpengine's own spacing.
  const { minPort, maxPort } = await freeRtpPortRange(Math.min(9000, 8 * callerPorts.length + 100));
  const daemon = await RtpengineDaemon.start({
    binary,
    ngPort: await freePort('udp'),
    portMin: minPort,
    portMax: maxPort,
  });
  try {
    const ports: number[] = [];
    for (let i = 0; i < callerPorts.length; i++) {
      const ids = { 'call-id': `vb-side-${i}`, 'from-tag': `caller-${i}` };
      await daemon.ng.request('offer', {
        ...ids,
        sdp: sdp(callerPorts[i] as number, 'PCMU'),
        ...(transcode ? { codec: { mask: ['PCMU'], transcode: ['PCMA'] } } : {}),
      });
      const answer = await daemon.ng.request('answer', {
        ...ids,
        'to-tag': `callee-${i}`,
        sdp: sdp(calleePorts[i] as number, transcode ? 'PCMA' : 'PCMU'),
      });
      ports.push(audioPort(answer, 'answer'));
    }
    return { ports, pids: { rtpengine: daemon.process.pid as number }, close: () => daemon.close() };
  } catch (error) {
    await daemon.close();
    throw error;
  }
}
