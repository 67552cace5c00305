import { HttpServer } from '@voicebridge/http';
import { SecretEnvAllowList } from '@voicebridge/protocol';
import { useTestRedis } from '../../store/test/redis-fixture.ts';
import { addApiRoutes, type AuditEntry } from '../src/index.ts';

export const ADMIN = 'admin-token-0123456789abcdef';
export const READ = 'read-token-0123456789abcdef';

export interface ApiFixture {
  readonly db: ReturnType<typeof useTestRedis>;
  readonly audit: AuditEntry[];
  request(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** A real HttpServer on loopback with API v1 on real Redis (a fresh key prefix per test). */
export function useApi(): ApiFixture {
  const db = useTestRedis();
  const audit: AuditEntry[] = [];
  let server: HttpServer | undefined;
  let base = '';
  beforeEach(async () => {
    audit.length = 0;
    server = new HttpServer({ host: '127.0.0.1', port: 0, adminToken: ADMIN, readToken: READ });
    addApiRoutes(server, {
      redis: db.redis,
      keys: db.keys,
      outbound: { secretEnv: SecretEnvAllowList.default(), denyCidrs: 'none' },
      audit: (entry) => audit.push(entry),
    });
    const address = await server.listen();
    base = `http://127.0.0.1:${address.port}`;
  });
  afterEach(() => server?.close());
  return {
    db,
    audit,
    request: (method, path, options = {}) => {
      const token = options.token === undefined ? ADMIN : options.token;
      const headers: Record<string, string> = {
        ...(token !== null && { authorization: `Bearer ${token}` }),
        ...options.headers,
      };
      if (options.body !== undefined) headers['content-type'] ??= 'application/json';
      return fetch(`${base}${path}`, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
      });
    },
  };
}

/** A response's JSON body, loosely typed: the tests assert on its shape. */
export const json = (response: Response): Promise<any> => response.json() as Promise<any>;
