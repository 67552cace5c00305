import { HttpError, type HttpServer } from '@voicebridge/http';
import { DialRefusedError } from '@voicebridge/protocol';
import { invalidField, issuesOf, objectBody } from './api-errors.ts';
import type { AuditLog } from './audit-log.ts';
import { DialInputSchema, submitDial, type DialSubmitDeps } from './dial-submit.ts';

export interface DialRoutesOptions extends DialSubmitDeps {
  audit: AuditLog;
}

/**
 * `POST /api/v1/calls`: places a call out through a trunk. Admin only (a call costs money). Answers
 * 202 at once with the call's id; the call proceeds on the `dial` queue and its record appears under
 * `GET /api/v1/calls/{id}` once signaling takes it. A guard's refusal is 422 VB_DIAL_REFUSED naming
 * the rule in the message and the request field in `field`.
 */
export function addDialRoutes(server: HttpServer, options: DialRoutesOptions): void {
  server.add({
    method: 'POST',
    path: '/api/v1/calls',
    realm: 'admin',
    handler: async (context) => {
      const parsed = DialInputSchema.safeParse(objectBody(context.request.body));
      if (!parsed.success) throw invalidField(issuesOf(parsed.error.issues), 'VB_BAD_MESSAGE');
      try {
        const { callId, request } = await submitDial(options, parsed.data);
        options.audit({
          token: 'admin',
          action: 'call.dial',
          target: callId,
          fromVersion: 0,
          toVersion: 0,
          source: context.request.ip,
        });
        return {
          status: 202,
          json: {
            callId,
            status: 'queued',
            to: request.destination,
            from: request.callerId,
            trunk: request.trunk,
            number: request.number,
          },
        };
      } catch (error) {
        if (error instanceof DialRefusedError) throw new HttpError('VB_DIAL_REFUSED', error.message, error.field);
        throw error;
      }
    },
  });
}
