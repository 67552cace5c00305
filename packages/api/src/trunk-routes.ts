import { HttpError, type HttpServer, type RouteContext } from '@voicebridge/http';
import { maskTrunkConfig, PASSWORD_MASK, TRUNK_NAME_PATTERN, type TrunkConfig } from '@voicebridge/protocol';
import {
  trunkConfigInputIssues,
  type TrunkConfigInput,
  type TrunkRepository,
  type TrunkStatusRepository,
} from '@voicebridge/store';
import { invalidField, objectBody } from './api-errors.ts';
import type { AuditLog } from './audit-log.ts';
import { mergePatch } from './merge-patch.ts';

export interface TrunkRoutesOptions {
  trunks: TrunkRepository;
  /** Outbound registration per trunk, as signaling last wrote it. */
  statuses: TrunkStatusRepository;
  audit: AuditLog;
}

const MANAGED = ['version', 'configVersion', 'updatedAtMs'] as const;

/**
 * `GET/PUT/PATCH/DELETE /api/v1/trunks/{name}` and `GET /api/v1/trunks`. Passwords are write-only:
 * every answer carries PASSWORD_MASK in their place, and a PATCH that sends the mask back (a GET
 * edited and returned) keeps the stored password.
 */
export function addTrunkRoutes(server: HttpServer, options: TrunkRoutesOptions): void {
  const { trunks, statuses, audit } = options;
  server.add({
    method: 'GET',
    path: '/api/v1/trunks',
    realm: 'read',
    handler: async () => {
      const list = await trunks.list();
      // Beside the configs, not in them: a status is signaling's observation, not configuration a PUT could send back.
      const registration: Record<string, unknown> = {};
      for (const trunk of list) {
        const status = await statuses.get(trunk.name);
        if (status !== undefined) registration[trunk.name] = status;
      }
      return { json: { trunks: list.map(maskTrunkConfig), registration } };
    },
  });
  server.add({
    method: 'GET',
    path: '/api/v1/trunks/:name',
    realm: 'read',
    handler: async (context) => ({ json: maskTrunkConfig(await existing(trunks, nameParam(context))) }),
  });
  server.add({
    method: 'PUT',
    path: '/api/v1/trunks/:name',
    realm: 'admin',
    handler: async (context) => {
      const name = nameParam(context);
      const body = withoutManaged(objectBody(context.request.body));
      if (body['name'] !== undefined && body['name'] !== name) {
        throw new HttpError(
          'VB_CONFIG_INVALID',
          `name: ${JSON.stringify(body['name'])} differs from the path's ${name}`,
          'name',
        );
      }
      let before = 0;
      const saved = await trunks.update(name, (current) => {
        before = current?.configVersion ?? 0;
        return checked(keepMaskedPasswords({ ...body, name }, current));
      });
      audit({
        token: 'admin',
        action: 'trunk.put',
        target: name,
        fromVersion: before,
        toVersion: saved.configVersion,
        source: context.request.ip,
      });
      return { status: before === 0 ? 201 : 200, json: maskTrunkConfig(saved) };
    },
  });
  server.add({
    method: 'PATCH',
    path: '/api/v1/trunks/:name',
    realm: 'admin',
    handler: async (context) => {
      const name = nameParam(context);
      const patch = withoutManaged(objectBody(context.request.body));
      if (patch['name'] !== undefined && patch['name'] !== name) {
        throw new HttpError(
          'VB_CONFIG_INVALID',
          'name: cannot be changed by PATCH (PUT the new trunk, DELETE this one)',
          'name',
        );
      }
      let before = 0;
      const saved = await trunks.update(name, (current) => {
        if (current === undefined) throw notFound(name);
        before = current.configVersion;
        const merged = objectBody(mergePatch(withoutManaged(current), patch));
        return checked(keepMaskedPasswords({ ...merged, name }, current));
      });
      audit({
        token: 'admin',
        action: 'trunk.patch',
        target: name,
        fromVersion: before,
        toVersion: saved.configVersion,
        source: context.request.ip,
      });
      return { json: maskTrunkConfig(saved) };
    },
  });
  server.add({
    method: 'DELETE',
    path: '/api/v1/trunks/:name',
    realm: 'admin',
    handler: async (context) => {
      const name = nameParam(context);
      const current = await existing(trunks, name);
      if (!(await trunks.delete(name))) throw notFound(name);
      audit({
        token: 'admin',
        action: 'trunk.delete',
        target: name,
        fromVersion: current.configVersion,
        toVersion: 0,
        source: context.request.ip,
      });
      return { status: 204, text: '', contentType: 'text/plain' };
    },
  });
}

function nameParam(context: RouteContext): string {
  const raw = (context.request.params as { name?: string }).name ?? '';
  if (!TRUNK_NAME_PATTERN.test(raw)) {
    throw new HttpError(
      'VB_CONFIG_INVALID',
      `name: ${JSON.stringify(raw.slice(0, 70))} is not a trunk name (1 to 63 of letters, digits, _ . -, starting with a letter or digit)`,
      'name',
    );
  }
  return raw;
}

async function existing(trunks: TrunkRepository, name: string): Promise<TrunkConfig> {
  const config = await trunks.get(name);
  if (config === undefined) throw notFound(name);
  return config;
}

function notFound(name: string): HttpError {
  return new HttpError('VB_NOT_FOUND', `name: no trunk ${name} is configured`, 'name');
}

function withoutManaged(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const key of MANAGED) delete out[key];
  return out;
}

/** A password sent back as the mask means "unchanged": the stored one is kept. */
function keepMaskedPasswords(
  input: Record<string, unknown>,
  current: TrunkConfig | undefined,
): Record<string, unknown> {
  const out = { ...input };
  for (const block of ['auth', 'register'] as const) {
    const given = out[block];
    if (typeof given !== 'object' || given === null || (given as { password?: unknown }).password !== PASSWORD_MASK)
      continue;
    const stored = current?.[block]?.password;
    if (stored === undefined) {
      throw new HttpError(
        'VB_CONFIG_INVALID',
        `${block}.password: give the password (the mask stands for a stored one, and there is none)`,
        `${block}.password`,
      );
    }
    out[block] = { ...given, password: stored };
  }
  return out;
}

function checked(input: Record<string, unknown>): TrunkConfigInput {
  const candidate = input as TrunkConfigInput;
  const issues = trunkConfigInputIssues(candidate);
  if (issues.length > 0) throw invalidField(issues);
  return candidate;
}
