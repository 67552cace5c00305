export { AgentService, type AgentServiceOptions } from './agent-service.ts';
export { CallRunner } from './call-runner.ts';
export { CallConnection } from './call-connection.ts';
export { AsyncQueue } from './async-queue.ts';
export { EchoAgent } from './agents/echo-agent.ts';
export { ScriptedAgent } from './agents/scripted-agent.ts';
export type { Agent, AgentContext } from './agents/agent-context.ts';
export * from './engines.ts';
