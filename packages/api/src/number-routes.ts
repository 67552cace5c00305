import { HttpError, type HttpServer, type RouteContext } from '@voicebridge/http';
import {
  E164_PATTERN,
  numberOutboundProblems,
  type NumberConfig,
  type NumberOutboundRules,
} from '@voicebridge/protocol';
import {
  numberConfigInputIssues,
  validateNumberConfigInput,
  type NumberConfigInput,
  type NumberRepository,
} from '@voicebridge/store';
import { invalidField, objectBody } from './api-errors.ts';
import type { AuditLog } from './audit-log.ts';
import { mergePatch } from './merge-patch.ts';

export interface NumberRoutesOptions {
  numbers: NumberRepository;
  /** The key allow-list and URL policy `numbers set` checks against: the same refusals here. */
  outbound: NumberOutboundRules;
  audit: AuditLog;
}

/** The fields the store owns: given back by GET, ignored on PUT/PATCH so a GET can be PUT back. */
const MANAGED = ['version', 'configVersion', 'updatedAtMs'] as const;

/** `GET/PUT/PATCH/DELETE /api/v1/numbers/{e164}` and `GET /api/v1/numbers`. */
export function addNumberRoutes(server: HttpServer, options: NumberRoutesOptions): void {
  const { numbers, audit } = options;
  server.add({
    method: 'GET',
    path: '/api/v1/numbers',
    realm: 'read',
    handler: async () => ({ json: { numbers: await numbers.list() } }),
  });
  server.add({
    method: 'GET',
    path: '/api/v1/numbers/:e164',
    realm: 'read',
    handler: async (context) => ({ json: await existing(numbers, numberParam(context)) }),
  });
  server.add({
    method: 'PUT',
    path: '/api/v1/numbers/:e164',
    realm: 'admin',
    handler: async (context) => {
      const number = numberParam(context);
      const body = objectBody(context.request.body);
      if (body['number'] !== undefined && body['number'] !== number) {
        throw new HttpError(
          'VB_CONFIG_INVALID',
          `number: ${JSON.stringify(body['number'])} differs from the path's ${number}`,
          'number',
        );
      }
      const input = checked({ ...withoutManaged(body), number }, options.outbound);
      let before = 0;
      const saved = await numbers.update(number, (current) => {
        before = current?.configVersion ?? 0;
        return input;
      });
      audit({
        token: 'admin',
        action: 'number.put',
        target: number,
        fromVersion: before,
        toVersion: saved.configVersion,
        source: context.request.ip,
      });
      return { status: before === 0 ? 201 : 200, json: saved };
    },
  });
  server.add({
    method: 'PATCH',
    path: '/api/v1/numbers/:e164',
    realm: 'admin',
    handler: async (context) => {
      const number = numberParam(context);
      const patch = withoutManaged(objectBody(context.request.body));
      if (patch['number'] !== undefined && patch['number'] !== number) {
        throw new HttpError(
          'VB_CONFIG_INVALID',
          `number: cannot be changed by PATCH (PUT the new number, DELETE this one)`,
          'number',
        );
      }
      let before = 0;
      const saved = await numbers.update(number, (current) => {
        if (current === undefined) throw notFound(number);
        before = current.configVersion;
        const merged = objectBody(mergePatch(withoutManaged(current), patch));
        return checked({ ...merged, number }, options.outbound);
      });
      audit({
        token: 'admin',
        action: 'number.patch',
        target: number,
        fromVersion: before,
        toVersion: saved.configVersion,
        source: context.request.ip,
      });
      return { json: saved };
    },
  });
  server.add({
    method: 'DELETE',
    path: '/api/v1/numbers/:e164',
    realm: 'admin',
    handler: async (context) => {
      const number = numberParam(context);
      const current = await existing(numbers, number);
      if (!(await numbers.delete(number))) throw notFound(number);
      audit({
        token: 'admin',
        action: 'number.delete',
        target: number,
        fromVersion: current.configVersion,
        toVersion: 0,
        source: context.request.ip,
      });
      return { status: 204, text: '', contentType: 'text/plain' };
    },
  });
}

function numberParam(context: RouteContext): string {
  const raw = (context.request.params as { e164?: string }).e164 ?? '';
  if (!E164_PATTERN.test(raw)) {
    throw new HttpError(
      'VB_CONFIG_INVALID',
      `e164: ${JSON.stringify(raw.slice(0, 40))} is not an E.164 number (+ then 7 to 15 digits, e.g. %2B15551230001 in a URL)`,
      'e164',
    );
  }
  return raw;
}

async function existing(numbers: NumberRepository, number: string): Promise<NumberConfig> {
  const config = await numbers.get(number);
  if (config === undefined) throw notFound(number);
  return config;
}

function notFound(number: string): HttpError {
  return new HttpError('VB_NOT_FOUND', `e164: no number ${number} is configured`, 'e164');
}

function withoutManaged(value: Record<string, unknown>): Record<string, unknown> {
  const out = { ...value };
  for (const key of MANAGED) delete out[key];
  return out;
}

/** The schema's refusals first, then the key allow-list and URL policy over the config as it would be saved. */
function checked(input: Record<string, unknown>, rules: NumberOutboundRules): NumberConfigInput {
  const candidate = input as NumberConfigInput;
  const issues = numberConfigInputIssues(candidate);
  if (issues.length > 0) throw invalidField(issues);
  const problems = numberOutboundProblems(validateNumberConfigInput(candidate, 0, 0), rules);
  if (problems.length > 0) throw invalidField(problems);
  return candidate;
}
