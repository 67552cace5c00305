import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { conversationWav } from '../src/audio-fixtures.ts';
import { baresipCall } from '../src/baresip.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { describeRun, runSipp, SCENARIOS_DIR } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const NUMBER = '+15550142';
const HOSTILE = '<img src=x onerror=alert(1)>';
/** Debian's chromium (scripts/setup.sh test); CHROMIUM_PATH for another build. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Git-ignored (.tmp/): kept after the run for a person to look at. */
const ARTIFACTS = resolve(import.meta.dirname, '../../.tmp/artifacts');

/**
 * The dashboard in real headless Chromium against the real bridge: sign in, create a number through
 * the editor, watch a real baresip call appear live, read its page after it ends (conversation,
 * waterfall, SIP ladder, recording), and a SIPp call whose From display name is markup renders as
 * text with no image element and no dialog.
 */
describe('dashboard in headless Chromium with real calls', function () {
  this.timeout(240_000);
  const bridge = useBridge({
    env: { ADMIN_TOKEN: ADMIN, READ_TOKEN: READ, GREETING_DELAY_MS: '200', STT_POOL_SIZE: '2' },
  });
  let browser: Browser;
  let page: Page;
  let dir: string;
  const dialogs: string[] = [];
  const cspViolations: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-dashboard-'));
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI has no user namespace sandbox; the page is our own, on loopback.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterEach(async function () {
    // A failed step leaves the page as it was for a person to look at.
    if (this.currentTest?.state === 'failed' && page) {
      const shot = join(ARTIFACTS, `dashboard-failed-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      process.stdout.write(`      screenshot of the failed step: ${shot}\n`);
    }
  });

  after(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const base = (): string => `http://127.0.0.1:${bridge().httpPort}`;

  it('signs in, refuses a bad config naming the field, creates a number, and shows a real call live and then its page', async () => {
    await page.goto(`${base()}/`);
    await page.fill('#token', 'wrong-token-0123456789');
    await page.click('#login button[type=submit]');
    expect(await page.locator('#login [role=alert]').textContent()).to.include('invalid bearer token');
    await page.fill('#token', ADMIN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#live-state');

    await page.goto(`${base()}/#/numbers`);
    await page.waitForSelector('#number-editor');
    // A refusal shows beside the input it is about (the API's field and message, as text), not in a banner.
    await page.fill('#number-e164', '5550142');
    await page.click('#number-editor button[type=submit]');
    const numberRefusal = page.locator('#number-e164 + #number-e164-error');
    await numberRefusal.filter({ hasText: /\S/ }).waitFor();
    expect(await numberRefusal.getAttribute('data-field')).to.equal('e164');
    expect(await numberRefusal.textContent()).to.match(/^e164: "5550142" is not an E\.164 number/);
    expect(await page.getAttribute('#number-e164', 'aria-invalid')).to.equal('true');
    await page.fill('#number-e164', NUMBER);
    await page.fill(
      '#number-config',
      JSON.stringify({ agent: { kind: 'scripted', answers: [{ keyword: ' ', text: 'x' }] } }, null, 2),
    );
    await page.click('#number-editor button[type=submit]');
    const refusal = page.locator('#number-config + #number-config-error');
    await refusal.filter({ hasText: /\S/ }).waitFor();
    expect(await refusal.getAttribute('data-field')).to.equal('agent.answers[0].keyword');
    expect(await refusal.textContent()).to.match(/^line 6: agent\.answers\S*keyword: /);
    expect(await page.getAttribute('#number-config', 'aria-invalid')).to.equal('true');
    // The offending member is selected in the JSON, and the number's earlier message is gone.
    const selected = await page.$eval('#number-config', (area) => {
      const text = area as unknown as { value: string; selectionStart: number; selectionEnd: number };
      return text.value.slice(text.selectionStart, text.selectionEnd);
    });
    expect(selected).to.equal('"keyword": " "');
    expect(await page.textContent('#number-e164-error')).to.equal('');
    expect(await page.getAttribute('#number-e164', 'aria-invalid')).to.equal(null);
    expect(await page.locator('#number-editor .status [role=alert]').count()).to.equal(0);
    await page.fill(
      '#number-config',
      JSON.stringify({
        agent: {
          kind: 'scripted',
          greeting: 'Hello, this is the dashboard test.',
          answers: [{ keyword: 'hours', text: 'We are open from nine to five.' }],
        },
        recording: { enabled: true },
      }),
    );
    await page.click('#number-editor button[type=submit]');
    await page.waitForURL(/#\/numbers\/%2B15550142$/);
    await page.goto(`${base()}/#/numbers`);
    await page.waitForSelector(`#numbers a:text-is("${NUMBER}")`);

    await page.goto(`${base()}/#/live`);
    await page.waitForSelector('#live-state:text-matches("0 live")');
    const mic = join(dir, 'caller.wav');
    await conversationWav(mic, 8, [{ text: 'What are your opening hours?', silenceAfterS: 7 }]);
    const call = baresipCall({ uri: `sip:${NUMBER}@127.0.0.1:${bridge().sipPort}`, micWav: mic, maxSeconds: 60 });
    // Appears without a reload: the live view's event stream.
    const row = page.locator('#live tr[data-call-id]');
    await row.first().waitFor({ timeout: 30_000 });
    const callId = (await row.first().getAttribute('data-call-id')) as string;
    expect(callId).to.match(/^c/);
    expect(await row.first().textContent()).to.include(NUMBER);
    const finished = await call;
    await finished.cleanup();
    await page.waitForSelector('#live-state:text-matches("0 live")', { timeout: 30_000 });

    // The agent appends the caller's last words as the call closes: wait for them in the record, so
    // the page is judged on a settled call.
    const transcript = await waitFor("the caller's words in the record", 20_000, async () => {
      const response = await fetch(`${base()}/api/v1/calls/${callId}`, {
        headers: { authorization: `Bearer ${READ}` },
      });
      const detail = (await response.json()) as { transcript: { speaker: string }[] };
      return detail.transcript.some((t) => t.speaker === 'caller') ? detail.transcript : undefined;
    });
    expect(transcript.length).to.be.at.least(2);
    await page.goto(`${base()}/#/calls?number=${encodeURIComponent(NUMBER)}`);
    await page.click(`#calls tr[data-call-id="${callId}"] a`);
    await page.waitForSelector('#conversation');
    const agent = await page.locator('#conversation li.agent').allTextContents();
    const caller = await page.locator('#conversation li.caller').allTextContents();
    expect(agent.join(' ')).to.include('Hello, this is the dashboard test.');
    expect(caller.length, 'a caller line').to.be.at.least(1);
    expect(await page.locator('#waterfall g.waterfall-turn rect.span').count()).to.be.at.least(1);
    const ladder = (await page.locator('#sip-ladder li.message summary').allTextContents()).join('\n');
    for (const line of ['INVITE sip:', 'SIP/2.0 100', 'SIP/2.0 180', 'SIP/2.0 200', 'ACK sip:', 'BYE sip:']) {
      expect(ladder, line).to.include(line);
    }
    await page.locator('#recording audio').waitFor();
    expect(await page.locator('#recording audio').getAttribute('src')).to.match(/^blob:/);
    expect(await page.locator('#media-stats dd').count()).to.be.at.least(3);
    expect(await page.locator('#usage dd').count()).to.equal(5);
    const screenshot = join(ARTIFACTS, 'dashboard-call.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stdout.write(`      screenshot of the call page: ${screenshot}\n`);
  });

  it('a caller whose display name is markup is shown as text: no image element, no dialog, no CSP report', async () => {
    const source = await readFile(join(SCENARIOS_DIR, 'uac-answer-bye.xml'), 'utf8');
    const scenario = join(dir, 'uac-hostile-name.xml');
    await writeFile(scenario, source.replaceAll('From: "sipp" <', `From: "${HOSTILE}" <`));
    await page.goto(`${base()}/#/live`);
    await page.waitForSelector('#live-state:text-matches("0 live")');
    const run = runSipp({
      scenario,
      target: `127.0.0.1:${bridge().sipPort}`,
      service: NUMBER,
      pauseMs: 6000,
      timeoutMs: 60_000,
    });
    const cell = page.locator('#live td.caller');
    await cell.first().waitFor({ timeout: 30_000 });
    expect(await cell.first().textContent()).to.include(HOSTILE);
    expect(await page.locator('main img').count()).to.equal(0);
    const callId = (await page.locator('#live tr[data-call-id]').first().getAttribute('data-call-id')) as string;
    const result = await run;
    expect(result.code, describeRun(result)).to.equal(0);

    await page.goto(`${base()}/#/calls/${callId}`);
    await page.waitForSelector('#sip-ladder');
    expect(await page.locator('#call-title').textContent()).to.include(HOSTILE);
    expect(await page.locator('#sip-ladder .ladder-head').textContent()).to.match(/caller 127\.0\.0\.1:\d+/);
    const invite = await page.locator('#sip-ladder li.message pre').first().textContent();
    expect(invite).to.include(`From: "${HOSTILE}"`);
    expect(await page.locator('img').count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
    expect(cspViolations).to.deep.equal([]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-hostile-name.png'), fullPage: true });
  });
});
