import { expect } from 'chai';
import { bdecode, bencode, BencodeError, type BencodeValue } from '../bench/bencode.ts';

// The format: https://www.bittorrent.org/beps/bep_0003.html ("bencoding"); rtpengine's ng protocol
// sends a cookie, a space and one bencoded dictionary per UDP datagram, its example being
// `5323_1 d7:command4:pinge` (rtpengine docs/ng_control_protocol.md).

const ascii = (text: string): Buffer => Buffer.from(text, 'ascii');

describe('bencode (the side-by-side benchmark’s ng control protocol)', () => {
  it('encodes the ng protocol’s own ping example byte for byte', () => {
    expect(bencode({ command: 'ping' }).toString('ascii')).to.equal('d7:command4:pinge');
  });

  it('encodes integers, strings (by UTF-8 byte length), lists and nested dictionaries', () => {
    expect(bencode(42).toString()).to.equal('i42e');
    expect(bencode(-7).toString()).to.equal('i-7e');
    expect(bencode(0).toString()).to.equal('i0e');
    expect(bencode('').toString()).to.equal('0:');
    expect(bencode('é').toString('latin1')).to.equal('2:Ã©');
    expect(bencode(['a', 1, []]).toString()).to.equal('l1:ai1elee');
    expect(bencode({ codec: { transcode: ['PCMA'], mask: ['PCMU'] } }).toString()).to.equal(
      'd5:codecd4:maskl4:PCMUe9:transcodel4:PCMAeee',
    );
  });

  it('sorts dictionary keys by their bytes, whatever order the object has', () => {
    expect(bencode({ 'call-id': 'x', command: 'offer', 'from-tag': 'a', sdp: 'v=0' }).toString()).to.equal(
      'd7:call-id1:x7:command5:offer8:from-tag1:a3:sdp3:v=0e',
    );
    expect(bencode({ b: 1, B: 2, a: 3 }).toString()).to.equal('d1:Bi2e1:ai3e1:bi1ee');
  });

  it('refuses what bencode cannot carry', () => {
    expect(() => bencode(1.5)).to.throw(TypeError, /safe integer/);
    expect(() => bencode(Number.NaN)).to.throw(TypeError, /safe integer/);
    expect(() => bencode(null as unknown as BencodeValue)).to.throw(TypeError, /null/);
    expect(() => bencode(true as unknown as BencodeValue)).to.throw(TypeError, /boolean/);
  });

  it('decodes what it encodes', () => {
    const values: BencodeValue[] = [
      0,
      -123456789,
      Number.MAX_SAFE_INTEGER,
      'v=0\r\nm=audio 30000 RTP/AVP 8\r\n',
      [],
      {},
      { result: 'ok', sdp: 'v=0', list: [1, 'two', { three: [3] }] },
    ];
    for (const value of values) expect(bdecode(bencode(value))).to.deep.equal(value);
  });

  it('decodes rtpengine’s unsorted reply keys and keeps each', () => {
    const reply = bdecode(ascii('d6:result2:ok3:sdp3:v=07:warning4:slowe'));
    expect(reply).to.deep.equal({ result: 'ok', sdp: 'v=0', warning: 'slow' });
    expect(bdecode(ascii('d6:result5:error12:error-reason12:Unknown calle'))).to.deep.equal({
      result: 'error',
      'error-reason': 'Unknown call',
    });
  });

  it('decodes a string holding bencode bytes as plain text, not as structure', () => {
    expect(bdecode(ascii('10:d3:fooi1ee'))).to.equal('d3:fooi1ee');
  });

  it('decodes from a Buffer view into a larger allocation', () => {
    const pool = Buffer.from('XXXX d6:result4:ponge', 'ascii');
    expect(bdecode(pool.subarray(5))).to.deep.equal({ result: 'pong' });
  });

  const malformed: [string, string | Uint8Array, RegExp][] = [
    ['empty input', '', /ends where a value was expected at byte 0/],
    ['unknown type byte', 'x', /unexpected byte 0x78 at byte 0/],
    ['unterminated integer', 'i42', /ends inside a number/],
    ['integer without digits', 'ie', /expected digits/],
    ['integer of a bare minus', 'i-e', /expected digits/],
    ['leading zero', 'i03e', /not a canonical integer/],
    ['negative zero', 'i-0e', /not a canonical integer/],
    ['integer past 2^53', 'i9007199254740993e', /not a safe integer/],
    ['string longer than the input', '10:abc', /10-byte string runs past the end of the input at byte 0/],
    ['string length without a colon', '3abc', /expected ":" after digits/],
    ['unterminated list', 'li1e', /ends inside a list or dictionary/],
    ['unterminated dictionary', 'd1:ai1e', /ends inside a list or dictionary/],
    ['dictionary key that is not a string', 'di1ei2ee', /key must be a byte string at byte 1/],
    ['duplicate key', 'd1:ai1e1:ai2ee', /duplicate dictionary key "a" at byte 7/],
    ['dictionary key without a value', 'd1:ae', /unexpected byte 0x65/],
    ['trailing bytes', 'i1ei2e', /trailing bytes after the value at byte 3/],
    ['a stray end', 'e', /unexpected byte 0x65 at byte 0/],
    ['nesting past the bound', 'l'.repeat(100) + 'e'.repeat(100), /nested deeper than 64/],
  ];
  for (const [what, input, message] of malformed) {
    it(`refuses ${what} with the offset it failed at`, () => {
      const bytes = typeof input === 'string' ? ascii(input) : input;
      expect(() => bdecode(bytes))
        .to.throw(BencodeError, message)
        .with.property('offset')
        .that.is.a('number');
    });
  }

  it('never throws anything but a BencodeError on random bytes', () => {
    // Seeded, so a failure names its input on every run.
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const alphabet = ascii('0123456789:ilde-x');
    for (let n = 0; n < 5000; n++) {
      const bytes = Uint8Array.from({ length: 1 + (next() % 24) }, () => alphabet[next() % alphabet.length] as number);
      try {
        bdecode(bytes);
      } catch (error) {
        expect(error, Buffer.from(bytes).toString('ascii')).to.be.instanceOf(BencodeError);
      }
    }
  });
});
