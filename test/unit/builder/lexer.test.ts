import { describe, expect, it } from 'vitest';
import { processWord, processWords, splitRawWords } from '../../../main/engine/builder/lexer.js';

const env = new Map([
  ['A', 'apple'],
  ['EMPTY', ''],
  ['SP', 'two words'],
  ['PATHV', '/usr/local/bin/tool.tar.gz'],
]);

describe('Dockerfile word processing (BuildKit shell lexer)', () => {
  it('substitutes $v and ${v}; unset is empty', () => {
    expect(processWord('$A-${A}-$NOPE-${NOPE}x', env)).toBe('apple-apple--x');
  });
  it('${v:-d} and ${v-d}: colon also treats empty as unset', () => {
    expect(processWord('${NOPE:-def}', env)).toBe('def');
    expect(processWord('${EMPTY:-def}', env)).toBe('def');
    expect(processWord('${EMPTY-def}', env)).toBe('');
    expect(processWord('${A:-def}', env)).toBe('apple');
  });
  it('${v:+alt} and ${v+alt}', () => {
    expect(processWord('${A:+set-$A}', env)).toBe('set-apple');
    expect(processWord('${NOPE:+x}', env)).toBe('');
    expect(processWord('${EMPTY:+x}', env)).toBe('');
    expect(processWord('${EMPTY+x}', env)).toBe('x');
  });
  it('${v:?msg} fails with the message when unset', () => {
    expect(() => processWord('${NOPE:?must be set}', env)).toThrow('NOPE: must be set');
    expect(processWord('${A:?x}', env)).toBe('apple');
  });
  it('prefix and suffix removal', () => {
    expect(processWord('${PATHV##*/}', env)).toBe('tool.tar.gz');
    expect(processWord('${PATHV#*/}', env)).toBe('usr/local/bin/tool.tar.gz');
    expect(processWord('${PATHV%.*}', env)).toBe('/usr/local/bin/tool.tar');
    expect(processWord('${PATHV%%.*}', env)).toBe('/usr/local/bin/tool');
  });
  it('single quotes are literal, double quotes substitute, escapes keep a literal $', () => {
    expect(processWord(`'$A'`, env)).toBe('$A');
    expect(processWord(`"$A b"`, env)).toBe('apple b');
    expect(processWord('\\$A', env)).toBe('$A');
    expect(processWord('"a\\"b"', env)).toBe('a"b');
    expect(processWord('"\\n"', env)).toBe('\\n');
  });
  it('honours another escape character (# escape=`)', () => {
    expect(processWord('`$A', env, '`')).toBe('$A');
    expect(processWord('C:\\dir', env, '`')).toBe('C:\\dir');
  });
  it('splits on unquoted whitespace, including whitespace from unquoted substitution', () => {
    expect(processWords('a "b c" $SP', env)).toEqual(['a', 'b c', 'two', 'words']);
    expect(processWords('"$SP"', env)).toEqual(['two words']);
  });
  it('reports unterminated quotes and bad substitutions', () => {
    expect(() => processWord('"abc', env)).toThrow(/double-quote/);
    expect(() => processWord("'abc", env)).toThrow(/single-quote/);
    expect(() => processWord('${A', env)).toThrow(/missing '}'/);
    expect(() => processWord('${}', env)).toThrow(/bad substitution/);
  });
  it('raw splitting keeps quotes for name=value lists', () => {
    expect(splitRawWords('A=1 B="two words" C=a\\ b')).toEqual(['A=1', 'B="two words"', 'C=a\\ b']);
  });
});
