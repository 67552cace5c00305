import type { NumberConfigInput } from '@voicebridge/store';

/** The embedded default: two numbers that work with no account and no configuration. */
export const DEMO_NUMBERS: NumberConfigInput[] = [
  {
    number: '+15550100',
    enabled: true,
    agent: {
      kind: 'scripted',
      greeting: 'Hello, this is the voice bridge demo. Ask me about our opening hours, our prices, or our address.',
      answers: [
        { keyword: 'hours', text: 'We are open from nine in the morning to five in the evening, Monday to Friday.' },
        { keyword: 'price', text: 'The basic plan costs ten dollars a month.' },
        { keyword: 'address', text: 'We are at one hundred Main Street.' },
      ],
      fallback: 'I heard: {heard}. You can ask me about opening hours, prices, or our address.',
    },
  },
  {
    number: '+15550199',
    enabled: true,
    agent: { kind: 'echo', greeting: 'Echo test. Speak and you will hear yourself.' },
  },
];
