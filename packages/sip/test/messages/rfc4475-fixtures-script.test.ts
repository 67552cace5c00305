import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { describeWithTorture, readChecksums, TORTURE_SUMS_FILE } from './torture-fixtures.ts';

const SCRIPT = resolve(import.meta.dirname, '../../../../scripts/rfc4475-fixtures.sh');

/**
 * An RFC-shaped text around an archive of the given folder's messages: the layout of RFC 4475
 * Appendix B as published (a decoder listing that names the markers inline, then the base64 archive
 * between marker lines, broken by page footers, headers and form feeds, with CRLF line ends).
 */
function rfcText(messagesDir: string, work: string): string {
  const tree = join(work, 'tree', 'torture');
  execFileSync('mkdir', ['-p', tree]);
  for (const file of readdirSync(messagesDir).filter((f) => f.endsWith('.sip'))) {
    copyFileSync(join(messagesDir, file), join(tree, file.replace(/\.sip$/, '.dat')));
  }
  const archive = execFileSync('tar', ['-czf', '-', '-C', join(work, 'tree'), 'torture']);
  const lines = archive.toString('base64').match(/.{1,68}/g) ?? [];
  const out = [
    'Appendix B.  Bit-Exact Archive of Each Test Message',
    '     if (/-- BEGIN MESSAGE ARCHIVE --/ .. /-- END MESSAGE ARCHIVE --/) {',
    '   -- BEGIN MESSAGE ARCHIVE --',
  ];
  lines.forEach((line, i) => {
    out.push(`   ${line}`);
    if (i % 50 === 49) {
      out.push('', 'Sparks, et al.               Informational                     [Page 41]', '\f');
      out.push('RFC 4475               SIP Torture Test Messages                May 2006', '');
    }
  });
  out.push('   -- END MESSAGE ARCHIVE --', "Authors' Addresses");
  return out.join('\r\n');
}

function run(...args: string[]) {
  return spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
}

describeWithTorture('scripts/rfc4475-fixtures.sh (extracts the messages from the RFC text)', (messagesDir) => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'vb-rfc4475-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('writes the 50 messages and SHA256SUMS, byte-exact, from an RFC-shaped text', () => {
    const rfc = join(work, 'rfc4475.txt');
    writeFileSync(rfc, rfcText(messagesDir, work));
    const dest = join(work, 'out');
    const result = run(rfc, dest);
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.include('50 messages written');
    const sums = readChecksums(TORTURE_SUMS_FILE);
    for (const file of sums.keys()) {
      expect(readFileSync(join(dest, file)).equals(readFileSync(join(messagesDir, file))), file).to.equal(true);
    }
    expect(readFileSync(join(dest, 'SHA256SUMS'), 'utf8')).to.equal(readFileSync(TORTURE_SUMS_FILE, 'utf8'));
  });

  it('refuses an archive whose messages differ from the committed sums, and writes nothing', () => {
    const tampered = join(work, 'tampered');
    execFileSync('cp', ['-r', messagesDir, tampered]);
    writeFileSync(join(tampered, 'wsinv.sip'), 'INVITE sip:x SIP/2.0\r\n\r\n');
    const rfc = join(work, 'rfc4475.txt');
    writeFileSync(rfc, rfcText(tampered, work));
    const dest = join(work, 'out');
    const result = run(rfc, dest);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include('do not match');
    expect(existsSync(dest)).to.equal(false);
  });

  it('says what is wrong with a text that holds no archive, and with no argument', () => {
    const other = join(work, 'rfc3261.txt');
    writeFileSync(other, 'Network Working Group\nRequest for Comments: 3261\n');
    const result = run(other, join(work, 'out'));
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include('is it the text of RFC 4475?');
    const usage = run();
    expect(usage.status).to.equal(2);
    expect(usage.stderr).to.include('usage: scripts/rfc4475-fixtures.sh path/to/rfc4475.txt');
  });
});
