import { describe, expect, it } from 'vitest';
import { parseGitSource } from '../../../main/engine/builder/git.js';

describe('Git sources (BuildKit\'s ParseGitRef rules)', () => {
  it('https URLs ending in .git, with #ref:subdir', () => {
    expect(parseGitSource('https://github.com/moby/buildkit.git#v0.14.1:docs')).toEqual({ remote: 'https://github.com/moby/buildkit.git', ref: 'v0.14.1', subdir: 'docs', ssh: false });
    expect(parseGitSource('https://example.com/file.tar.gz')).toBeUndefined();
    expect(parseGitSource('http://127.0.0.1:8080/repo.git')).toEqual({ remote: 'http://127.0.0.1:8080/repo.git', ssh: false });
  });
  it('scp-style and ssh:// are ssh remotes; git:// is git', () => {
    expect(parseGitSource('git@github.com:moby/buildkit.git#main')).toEqual({ remote: 'git@github.com:moby/buildkit.git', ref: 'main', ssh: true });
    expect(parseGitSource('ssh://git@host:2222/r.git#:sub/../dir')).toEqual({ remote: 'ssh://git@host:2222/r.git', subdir: 'dir', ssh: true });
    expect(parseGitSource('git://127.0.0.1:9418/repo.git#v1')).toEqual({ remote: 'git://127.0.0.1:9418/repo.git', ref: 'v1', ssh: false });
  });
  it('query options and things that are not Git', () => {
    expect(parseGitSource('https://h/r.git?ref=v2&keep-git-dir=1&checksum=abc')).toEqual({ remote: 'https://h/r.git', ref: 'v2', keepGitDir: true, checksum: 'abc', ssh: false });
    expect(parseGitSource('./local/dir')).toBeUndefined();
    expect(parseGitSource('ftp://h/r.git')).toBeUndefined();
  });
});
