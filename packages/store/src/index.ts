export * from './redis-keys.ts';
export * from './number-repository.ts';
export * from './call-record-repository.ts';
export { describeIssues } from './schema-errors.ts';
