export * from './messages/index.ts';
export * from './sdp/index.ts';
export * from './core/timers.ts';
export * from './core/sip-stack.ts';
export * from './dialogs/dialog.ts';
export * from './transactions/invite-server-transaction.ts';
export * from './transactions/non-invite-server-transaction.ts';
export * from './transactions/non-invite-client-transaction.ts';
export type { ServerTransaction } from './transactions/server-transaction.ts';
