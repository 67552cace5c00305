export { placeTestCall, TestCallError } from './test-caller.ts';
export type { TestCallOptions, TestCallProgress, TestCallResult } from './test-caller.ts';
export { questionAudio } from './question-audio.ts';
