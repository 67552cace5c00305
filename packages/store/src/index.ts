export * from './redis-keys.ts';
export * from './number-repository.ts';
export * from './trunk-repository.ts';
export * from './call-record-repository.ts';
export { describeIssues } from './schema-errors.ts';
export * from './trunk-status-repository.ts';
export * from './call-ownership.ts';
export * from './conversation-repository.ts';
