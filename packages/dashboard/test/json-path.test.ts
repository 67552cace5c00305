import { expect } from 'chai';

interface Located {
  start: number;
  end: number;
  line: number;
  exact: boolean;
}
// The browser module itself (plain ES, no DOM): the editor selects what this returns.
const { locateField } = (await import(new URL('../public/json-path.js', import.meta.url).href)) as {
  locateField: (text: string, field: string) => Located | undefined;
};

const slice = (text: string, where: Located | undefined): string | undefined =>
  where && text.slice(where.start, where.end);

describe('dashboard json-path: where an API field is in the JSON the operator typed', () => {
  const pretty = JSON.stringify({ agent: { kind: 'scripted', answers: [{ keyword: ' ', text: 'x' }] } }, null, 2);

  it('finds a member by the API path, from its key, with its line', () => {
    const where = locateField(pretty, 'agent.answers[0].keyword');
    expect(slice(pretty, where)).to.equal('"keyword": " "');
    expect(where).to.deep.include({ line: 6, exact: true });
  });

  it('a field that is not there points at the deepest part of its path that is', () => {
    const where = locateField(pretty, 'agent.answers[3].text');
    expect(slice(pretty, where)?.startsWith('"answers": [')).to.equal(true);
    expect(where?.exact).to.equal(false);
  });

  it('reads minified JSON with escapes, arrays of scalars and literals', () => {
    const text = '{"a":[1,2,{"b":"x\\"}y"}],"c":true,"d":null}';
    expect(slice(text, locateField(text, 'a[2].b'))).to.equal('"b":"x\\"}y"');
    expect(slice(text, locateField(text, 'a[1]'))).to.equal('2');
    expect(slice(text, locateField(text, 'd'))).to.equal('"d":null');
  });

  it('text that is not the JSON it expects gives undefined or a bounded answer, never a hang', () => {
    for (const text of ['', '{"a"', '{"a":', '[1,', '{"a":1,,}', '{{{{', '"open']) {
      const where = locateField(text, 'a.b');
      if (where) expect(where.start).to.be.within(0, text.length);
    }
  });
});
