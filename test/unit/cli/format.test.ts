import { describe, it, expect } from 'vitest';
import { formatTemplate, formatEach, compileTemplate, tabwriter, goString } from '../../../main/cli/format.js';

const img = {
  Id: 'sha256:abc',
  RepoTags: ['busybox:latest', 'me/bb:1'],
  Config: { Env: ['PATH=/bin', 'A=b'], Cmd: ['sh'], Labels: { 'org.x': 'y', 'a.b': 'c' }, Entrypoint: null },
  RootFS: { Type: 'layers', Layers: ['sha256:1', 'sha256:2'] },
  Size: 2130432,
};
const run = (tpl: string, data: unknown = img): string => compileTemplate(tpl).execute(data);

describe('Go template subset', () => {
  it('fields, nested fields and dot', () => {
    expect(run('{{.Id}}')).toBe('sha256:abc');
    expect(run('{{.RootFS.Type}} {{.Size}}')).toBe('layers 2130432');
    expect(run('{{.}}', 'x')).toBe('x');
  });

  it('prints values the way Go does', () => {
    expect(run('{{.RepoTags}}')).toBe('[busybox:latest me/bb:1]');
    expect(run('{{.Config.Labels}}')).toBe('map[a.b:c org.x:y]');
    expect(run('{{.Config.Entrypoint}}')).toBe('<nil>');
    expect(run('{{.Config.Missing}}')).toBe('<no value>');
    expect(goString(true)).toBe('true');
  });

  it('json, with HTML characters escaped as Go does', () => {
    expect(run('{{json .Config.Cmd}}')).toBe('["sh"]');
    expect(run('{{json .RootFS}}')).toBe('{"Type":"layers","Layers":["sha256:1","sha256:2"]}');
    expect(run('{{json .}}', { a: '<&>' })).toBe('{"a":"\\u003c\\u0026\\u003e"}');
  });

  it('index, len, join, split, upper, lower, title, truncate, printf, println', () => {
    expect(run('{{index .Config.Labels "org.x"}}')).toBe('y');
    expect(run('{{index .RepoTags 1}}')).toBe('me/bb:1');
    expect(run('{{len .RootFS.Layers}}')).toBe('2');
    expect(run('{{join .RepoTags ","}}')).toBe('busybox:latest,me/bb:1');
    expect(run('{{split "a:b" ":"}}')).toBe('[a b]');
    expect(run('{{upper .RootFS.Type}}|{{lower "AB"}}|{{title "hello world"}}')).toBe('LAYERS|ab|Hello World');
    expect(run('{{truncate .Id 6}}')).toBe('sha256');
    expect(run('{{printf "%s=%d" "n" 5}}')).toBe('n=5');
    expect(run('{{printf "%-6s|" "ab"}}')).toBe('ab    |');
    expect(run('{{println "a" "b"}}')).toBe('a b\n');
  });

  it('pipelines and parentheses', () => {
    expect(run('{{.RootFS.Type | upper}}')).toBe('LAYERS');
    expect(run('{{(index .RepoTags 0) | upper}}')).toBe('BUSYBOX:LATEST');
    expect(run('{{len (index .Config.Env 0)}}')).toBe('9');
  });

  it('range over lists and maps, with variables, else, break', () => {
    expect(run('{{range .Config.Env}}[{{.}}]{{end}}')).toBe('[PATH=/bin][A=b]');
    expect(run('{{range $i, $e := .RepoTags}}{{$i}}={{$e}};{{end}}')).toBe('0=busybox:latest;1=me/bb:1;');
    expect(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}')).toBe('a.b:c org.x:y ');
    expect(run('{{range .Nothing}}x{{else}}empty{{end}}', { Nothing: [] })).toBe('empty');
    expect(run('{{range .RepoTags}}{{.}}{{break}}{{end}}')).toBe('busybox:latest');
    expect(run('{{range .RepoTags}}{{$.Id}} {{end}}')).toBe('sha256:abc sha256:abc ');
  });

  it('if / else if / else, with, comparisons and logic', () => {
    expect(run('{{if .Config.Entrypoint}}ep{{else}}no ep{{end}}')).toBe('no ep');
    expect(run('{{if eq .RootFS.Type "layers"}}L{{end}}')).toBe('L');
    expect(run('{{if gt .Size 1000}}big{{else if gt .Size 10}}mid{{else}}small{{end}}')).toBe('big');
    expect(run('{{if and .RepoTags (not .Config.Entrypoint)}}ok{{end}}')).toBe('ok');
    expect(run('{{with .RootFS}}{{.Type}}{{end}}')).toBe('layers');
    expect(run('{{if ne 1 2}}ne{{end}}{{if or 0 ""}}x{{else}}y{{end}}')).toBe('ney');
  });

  it('trim markers and comments', () => {
    expect(run('a  {{- .RootFS.Type -}}  b{{/* note */}}')).toBe('alayersb');
  });

  it('errors name the problem', () => {
    expect(() => run('{{.Nope}}')).toThrow(/can't evaluate field Nope/);
    expect(() => run('{{nofunc .Id}}')).toThrow(/function "nofunc" not defined/);
    expect(() => run('{{if .Id}}x')).toThrow(/missing \{\{end\}\}|unexpected EOF/);
    expect(() => run('{{.Id')).toThrow(/unclosed action/);
  });
});

describe('formatTemplate', () => {
  const rows = [
    { ID: 'abc123', Repository: 'busybox', Tag: 'latest', Size: '2.13MB' },
    { ID: 'def456789012', Repository: 'localhost/some/long-name', Tag: 'v1', Size: '10MB' },
  ];

  it('one line per row', () => {
    expect(formatTemplate('{{.ID}}', rows)).toBe('abc123\ndef456789012\n');
    expect(formatTemplate('{{.Repository}}:{{.Tag}}', [])).toBe('');
  });

  it('json shorthand', () => {
    expect(formatTemplate('json', rows.slice(0, 1))).toBe('{"ID":"abc123","Repository":"busybox","Tag":"latest","Size":"2.13MB"}\n');
  });

  it('table: header from field names (or the given names), columns aligned like tabwriter', () => {
    const out = formatTemplate('table {{.ID}}\t{{.Repository}}\t{{.Size}}', rows, { headers: { ID: 'IMAGE ID' } });
    expect(out).toBe(
      [
        'IMAGE ID       REPOSITORY                 SIZE',
        'abc123         busybox                    2.13MB',
        'def456789012   localhost/some/long-name   10MB',
        '',
      ].join('\n'),
    );
  });

  it('a literal \\t typed in the shell means a tab', () => {
    expect(formatTemplate('table {{.Tag}}\\t{{.Size}}', rows.slice(0, 1))).toBe('TAG       SIZE\nlatest    2.13MB\n');
  });

  it('camel-case fields get spaced upper-case headers', () => {
    expect(formatTemplate('table {{.CreatedSince}}', [{ CreatedSince: '2 days ago' }])).toBe('CREATED SINCE\n2 days ago\n');
  });

  it('bare "table" uses the command default', () => {
    expect(formatTemplate('table', rows.slice(0, 1), { defaultTable: '{{.ID}}\t{{.Tag}}' })).toBe('ID        TAG\nabc123    latest\n');
  });

  it('tabwriter pads cells to at least 10 columns with 3 spaces of padding', () => {
    expect(tabwriter(['a\tb', 'longer-than-ten\tc'])).toBe(`a${' '.repeat(17)}b\nlonger-than-ten   c\n`);
  });

  it('formatEach renders inspect objects one per line', () => {
    expect(formatEach('{{.Id}} {{len .RepoTags}}', [img, { ...img, Id: 'x', RepoTags: [] }])).toBe('sha256:abc 2\nx 0\n');
  });
});
