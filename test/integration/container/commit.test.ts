import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { BUSYBOX, containerStore, fullId } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

const historyLines = (ref: string) => s.sw('history', '-q', '--no-trunc', ref).stdout.split('\n').filter(Boolean).length;

describe('commit and diff', () => {
  it('commits added, changed and deleted files into one new layer of a new image', () => {
    const r = s.sw('run', '--name', 'work', BUSYBOX, 'sh', '-c',
      'echo new > /added; echo more >> /etc/group; rm /bin/vi; mkdir /d; echo in > /d/f');
    expect(r.code).toBe(0);
    expect(s.sw('diff', 'work').stdout).toBe('C /bin\nD /bin/vi\nA /d\nA /d/f\nC /etc\nC /etc/group\nA /added\n'.split('\n').filter(Boolean).sort(byPath).join('\n') + '\n');

    const parentLayers = JSON.parse(s.sw('inspect', '-f', '{{json .RootFS.Layers}}', BUSYBOX).stdout) as string[];
    const before = historyLines(BUSYBOX);
    const c = s.sw('commit', '-m', 'my change', '-a', 'Ada <ada@example.com>', '-c', 'ENV ADDED=1', '-c', 'CMD ["cat", "/added"]', 'work', 'me/committed:v1');
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    const id = c.stdout.trim();

    const img = JSON.parse(s.sw('inspect', 'me/committed:v1').stdout)[0];
    expect(img.Id).toBe(id);
    expect(img.Comment).toBe('my change');
    expect(img.Author).toBe('Ada <ada@example.com>');
    expect(img.Config.Cmd).toEqual(['cat', '/added']);
    expect(img.Config.Env).toContain('ADDED=1');
    expect(img.RootFS.Layers.slice(0, -1)).toEqual(parentLayers);
    expect(img.RootFS.Layers).toHaveLength(parentLayers.length + 1);
    expect(historyLines('me/committed:v1')).toBe(before + 1);
    const hist = s.sw('history', '--no-trunc', '--format', '{{.Comment}}|{{.CreatedBy}}', 'me/committed:v1').stdout.split('\n')[0];
    expect(hist).toBe('my change|sh -c echo new > /added; echo more >> /etc/group; rm /bin/vi; mkdir /d; echo in > /d/f');

    // a container of the new image sees the changes, including the deletion
    expect(s.sw('run', '--rm', 'me/committed:v1').stdout).toBe('new\n');
    const check = s.sw('run', '--rm', 'me/committed:v1', 'sh', '-c', 'ls /bin/vi 2>&1; tail -1 /etc/group; cat /d/f; echo $ADDED');
    expect(check.stdout).toBe('ls: /bin/vi: No such file or directory\nmore\nin\n1\n');
    // the parent image is unchanged
    expect(s.sw('run', '--rm', BUSYBOX, 'ls', '/bin/vi').stdout).toBe('/bin/vi\n');
    expect(s.sw('run', '--rm', BUSYBOX, 'ls', '/added').code).toBe(1);

    // lineage: commit, parent image, container id and name
    const db = new Database(join(s.root, 'slipway.db'), { readonly: true });
    const row = db.prepare(`SELECT * FROM lineage WHERE image_id = ?`).get(id) as Record<string, string>;
    db.close();
    expect(row.kind).toBe('commit');
    expect(row.parent_image_id).toBe(JSON.parse(s.sw('inspect', BUSYBOX).stdout)[0].Id);
    expect(row.container_id).toBe(fullId(s.sw, 'work'));
    expect(row.container_name).toBe('work');
  });

  it('commits a running container (paused while its layer is read) and the new image runs', () => {
    s.sw('run', '-d', '--name', 'live', BUSYBOX, 'sh', '-c', 'echo live > /state; sleep 1000');
    const c = s.sw('commit', 'live');
    expect(c.code).toBe(0);
    expect(s.sw('ps', '--filter', 'name=live', '--format', '{{.State}}').stdout).toBe('running\n');
    expect(s.sw('run', '--rm', c.stdout.trim(), 'cat', '/state').stdout).toBe('live\n');
    s.sw('rm', '-f', 'live');
  });

  it('commits a commit: the layers stack', () => {
    const second = s.sw('run', '--name', 'second', 'me/committed:v1', 'sh', '-c', 'rm /added; echo two > /two');
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(s.sw('diff', 'second').stdout).toBe('D /added\nA /two\n');
    const c = s.sw('commit', 'second', 'me/committed:v2');
    expect(c.code).toBe(0);
    const r = s.sw('run', '--rm', 'me/committed:v2', 'sh', '-c', 'ls /added 2>/dev/null; cat /two /d/f');
    expect(r.stdout).toBe('two\nin\n');
    expect(historyLines('me/committed:v2')).toBe(historyLines('me/committed:v1') + 1);
  });

  it('refuses an unknown container', () => {
    const r = s.sw('commit', 'nosuch');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: No such container: nosuch\n');
  });
});

function byPath(a: string, b: string): number {
  const pa = a.slice(2);
  const pb = b.slice(2);
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
