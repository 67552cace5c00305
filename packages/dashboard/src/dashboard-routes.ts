import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError, type HttpServer } from '@voicebridge/http';
import { DASHBOARD_HEADERS } from './security-headers.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Every file of public/ (flat, a few KB each), read once: a request can only name one of these. */
function loadPublicFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType !== undefined) files.set(name, { body: readFileSync(join(dir, name)), contentType });
  }
  return files;
}

/**
 * The dashboard (docs/dashboard.md): `/` and its static files under `/dashboard/`, public because
 * they hold no data; everything they show comes from API v1 with the token the operator types.
 */
export function addDashboardRoutes(server: HttpServer, options: { publicDir?: string } = {}): void {
  const files = loadPublicFiles(options.publicDir ?? PUBLIC_DIR);
  const serve = (name: string): StaticFile => {
    const file = files.get(name);
    if (file === undefined)
      throw new HttpError('VB_NOT_FOUND', `file: no dashboard file ${JSON.stringify(name.slice(0, 80))}`, 'file');
    return file;
  };
  server.add({
    method: 'GET',
    path: '/',
    realm: 'public',
    handler: () => {
      const file = serve('index.html');
      return { headers: { ...DASHBOARD_HEADERS }, bytes: file.body, contentType: file.contentType };
    },
  });
  server.add({
    method: 'GET',
    path: '/dashboard/:file',
    realm: 'public',
    handler: (context) => {
      const file = serve((context.request.params as { file?: string }).file ?? '');
      return { headers: { ...DASHBOARD_HEADERS }, bytes: file.body, contentType: file.contentType };
    },
  });
}
