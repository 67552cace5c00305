import { z } from 'zod';

/** What the agent says on answer, before anything else. */
export const GreetingSchema = z.string().max(1000);

/** `echo`: plays the caller's speech back to them (a line test); says its greeting first. */
export const EchoAgentConfigSchema = z.object({
  kind: z.literal('echo'),
  greeting: GreetingSchema.optional(),
});
export type EchoAgentConfig = z.infer<typeof EchoAgentConfigSchema>;
