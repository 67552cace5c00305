import { callerText, definitionList, el, errorLine, formatOffset, formatTime, show, svg } from './dom.js';

/** The stages of one turn in order; each span runs from one stage to the next present one. */
const STAGES = [
  ['voiceEndAtMs', 'caller stopped'],
  ['sttFinalAtMs', 'transcript final'],
  ['answerAtMs', 'answer chosen'],
  ['ttsFirstAudioAtMs', 'first TTS audio'],
  ['firstRtpAtMs', 'first RTP out'],
];
const SPAN_CLASS = ['stt', 'agent', 'tts', 'media'];

function conversation(transcript) {
  if (transcript.length === 0) return el('p', {}, 'Nothing was said.');
  return el(
    'ol',
    { id: 'conversation', class: 'conversation' },
    transcript.map((entry) =>
      el(
        'li',
        { class: `turn ${entry.speaker}` },
        el('span', { class: 'who' }, entry.speaker === 'caller' ? 'Caller' : 'Agent'),
        el('time', {}, formatOffset(entry.atMs)),
        el('p', {}, entry.text),
      ),
    ),
  );
}

/** Per turn, where the time between the caller's last word and our first packet went. */
function waterfall(turns) {
  if (turns.length === 0) return el('p', {}, 'No turns.');
  const rows = turns.map((turn) => {
    const points = STAGES.map(([key, label], i) => ({ at: turn[key], label, i })).filter((p) => p.at !== undefined);
    const start = points[0]?.at ?? 0;
    return { turn, points, start, total: (points.at(-1)?.at ?? start) - start };
  });
  const widest = Math.max(1, ...rows.map((r) => r.total));
  const width = 520;
  const rowHeight = 24;
  const left = 70;
  const scale = (ms) => (ms / widest) * width;
  return svg(
    'svg',
    {
      id: 'waterfall',
      class: 'waterfall',
      viewBox: `0 0 ${left + width + 90} ${rows.length * rowHeight + 26}`,
      role: 'img',
      'aria-label': 'per-turn latency waterfall',
    },
    rows.map(({ turn, points, start, total }, r) => {
      const y = r * rowHeight + 4;
      const spans = [];
      for (let i = 1; i < points.length; i++) {
        const from = points[i - 1];
        const to = points[i];
        const ms = to.at - from.at;
        spans.push(
          svg(
            'rect',
            {
              class: `span ${SPAN_CLASS[to.i - 1] ?? 'media'}`,
              x: left + scale(from.at - start),
              y,
              width: Math.max(1, scale(ms)),
              height: rowHeight - 8,
            },
            svg('title', {}, `${from.label} → ${to.label}: ${ms} ms`),
          ),
        );
      }
      return svg(
        'g',
        { class: 'waterfall-turn', 'data-turn': turn.turn },
        svg('text', { x: 0, y: y + 12, class: 'label' }, `turn ${turn.turn}`),
        spans,
        svg('text', { x: left + scale(total) + 6, y: y + 12, class: 'total' }, `${total} ms`),
      );
    }),
    svg(
      'g',
      { class: 'legend' },
      SPAN_CLASS.map((name, i) => [
        svg('rect', {
          class: `span ${name}`,
          x: left + i * 110,
          y: rows.length * rowHeight + 10,
          width: 10,
          height: 10,
        }),
        svg(
          'text',
          { x: left + i * 110 + 14, y: rows.length * rowHeight + 19 },
          ['speech end → final', 'answer', 'TTS', 'to the wire'][i],
        ),
      ]),
    ),
  );
}

/** The SIP exchange as a ladder: caller on the left, the bridge on the right, each message expandable. */
function ladder(trace) {
  if (trace.length === 0) return el('p', {}, 'No SIP trace kept (SIP_TRACE=false, or not this node’s call).');
  const first = trace[0].atMs;
  return el(
    'ol',
    { id: 'sip-ladder', class: 'ladder' },
    el(
      'li',
      { class: 'ladder-head' },
      el('span', {}, 'time'),
      el('span', {}, `caller ${addressText(trace[0].remote)}`),
      el('span', {}, ''),
      el('span', {}, 'bridge'),
    ),
    trace.map((message) =>
      el(
        'li',
        { class: `message ${message.direction}` },
        el('time', {}, `+${formatOffset(message.atMs - first)}`),
        el('span', { class: 'end' }),
        el(
          'details',
          {},
          el(
            'summary',
            {},
            el('span', { class: 'arrow' }, message.direction === 'in' ? '→' : '←'),
            ` ${message.firstLine}`,
          ),
          el('pre', {}, message.text),
        ),
        el('span', { class: 'end' }),
      ),
    ),
  );
}

export async function renderCallPage(main, api, callId) {
  const id = encodeURIComponent(callId);
  const detail = await api.get(`/api/v1/calls/${id}`);
  const { call, transcript, turns, media, usage, sipTrace } = detail;
  const status = el('div', { class: 'status' });
  let recordingUrl;
  const player = el('div', { id: 'recording' });
  const hangUp = async () => {
    try {
      await api.request('POST', `/api/v1/calls/${id}/hangup`);
      show(status, el('p', { class: 'ok', role: 'status' }, 'Hang-up sent.'));
    } catch (error) {
      show(status, errorLine(error));
    }
  };
  show(
    main,
    el('p', {}, el('a', { href: '#/calls' }, '← Calls')),
    el('h1', { id: 'call-title' }, callerText(call)),
    definitionList([
      ['Call', call.callId],
      ['Number', call.number],
      ['To', call.to],
      ['Trunk', call.trunk],
      ['Agent', call.agent],
      ['Status', call.status],
      [
        'Verdict',
        call.verdict &&
          `${call.verdict.reason} by ${call.verdict.by}${call.verdict.detail ? `: ${call.verdict.detail}` : ''}`,
      ],
      ['Invited', formatTime(call.invitedAtMs)],
      ['Answered', formatTime(call.answeredAtMs)],
      ['Ended', formatTime(call.endedAtMs)],
    ]),
    call.status !== 'ended' &&
      el('button', { type: 'button', class: 'danger', onclick: () => void hangUp() }, 'Hang up'),
    status,
    el('section', {}, el('h2', {}, 'Conversation'), conversation(transcript)),
    el('section', {}, el('h2', {}, 'Turn latency'), waterfall(turns)),
    el('section', {}, el('h2', {}, 'Recording'), player),
    el(
      'div',
      { class: 'columns' },
      el(
        'section',
        { id: 'media-stats' },
        el('h2', {}, 'Media'),
        media ? definitionList(mediaFacts(media)) : el('p', {}, 'No media figures yet.'),
      ),
      el('section', { id: 'usage' }, el('h2', {}, 'Usage'), definitionList(Object.entries(usage))),
    ),
    el('section', {}, el('h2', {}, 'SIP'), ladder(sipTrace)),
  );
  if (media?.recording) {
    try {
      recordingUrl = await api.blobUrl(`/api/v1/calls/${id}/recording`);
      show(player, el('audio', { controls: true, src: recordingUrl, preload: 'metadata' }));
    } catch (error) {
      show(player, errorLine(error));
    }
  } else {
    show(player, el('p', {}, 'Not recorded (the number’s recording is off).'));
  }
  return () => recordingUrl && URL.revokeObjectURL(recordingUrl);
}

function addressText(remote) {
  return remote && typeof remote === 'object' ? `${remote.address}:${remote.port}` : String(remote ?? '');
}

function mediaFacts(media) {
  const { recording, remoteRtp, ...figures } = media;
  return [
    ...Object.entries(figures),
    ['remoteRtp', remoteRtp && `${remoteRtp.address}:${remoteRtp.port}`],
    ['recordingMs', recording?.durationMs],
  ];
}
