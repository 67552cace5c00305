import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HttpServer } from '@voicebridge/http';
import { addDashboardRoutes, DASHBOARD_CSP } from '../src/index.ts';

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));
const scripts = readdirSync(PUBLIC).filter((f) => f.endsWith('.js'));

describe('dashboard static files (real HTTP on loopback)', () => {
  let server: HttpServer;
  let base: string;
  beforeEach(async () => {
    server = new HttpServer({ host: '127.0.0.1', port: 0, adminToken: 'admin-token-0123456789abcdef' });
    addDashboardRoutes(server);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  afterEach(() => server.close());

  it('serves / without a token under a CSP that allows no inline script or style and no other origin', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).to.equal(DASHBOARD_CSP);
    expect(csp).to.include("default-src 'none'").and.include("script-src 'self'").and.include("style-src 'self'");
    expect(csp).to.not.include('unsafe');
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(response.headers.get('x-frame-options')).to.equal('DENY');
    const html = await response.text();
    // Every script has a src (nothing inline), no style attribute, nothing from another origin.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).to.equal(null);
    expect(html).to.not.match(/\sstyle=|\son[a-z]+=|https?:\/\//);
  });

  it('serves every file index.html and the modules import, with its type, and 404 for anything else', async () => {
    const html = readFileSync(`${PUBLIC}index.html`, 'utf8');
    const referenced = [...html.matchAll(/\/dashboard\/([\w.-]+)/g)].map((m) => m[1] as string);
    for (const file of scripts) {
      const source = readFileSync(`${PUBLIC}${file}`, 'utf8');
      referenced.push(...[...source.matchAll(/from '\.\/([\w.-]+)'/g)].map((m) => m[1] as string));
    }
    expect(referenced).to.include('app.js').and.include('style.css').and.include('call-page.js');
    for (const file of new Set(referenced)) {
      const response = await fetch(`${base}/dashboard/${file}`);
      expect(response.status, file).to.equal(200);
      expect(response.headers.get('content-type'), file).to.match(
        file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/,
      );
    }
    for (const path of ['/dashboard/nope.js', '/dashboard/..%2Fpackage.json', '/dashboard/%2E%2E%2Fsrc%2Findex.ts']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).to.equal(404);
      expect(((await response.json()) as { error: { field: string } }).error.field, path).to.equal('file');
    }
  });

  it('the front end builds markup only from text: no innerHTML, document.write, eval or web storage', () => {
    expect(scripts.length).to.be.at.least(8);
    for (const file of scripts) {
      const source = readFileSync(`${PUBLIC}${file}`, 'utf8');
      for (const banned of [
        'innerHTML',
        'outerHTML',
        'insertAdjacentHTML',
        'document.write',
        'eval(',
        'new Function',
        'localStorage',
        'sessionStorage',
        'document.cookie',
        '.style.',
      ]) {
        expect(source, `${file} uses ${banned}`).to.not.include(banned);
      }
    }
  });
});
