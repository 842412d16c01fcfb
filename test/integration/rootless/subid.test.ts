import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { subIdsForCurrentUser, findRange } from '../../../main/engine/rootless/subid.js';
import { tempRoot } from '../../helpers/tmp-store.js';

const { root, cleanup } = tempRoot('slipway-subid-');
afterAll(cleanup);

describe('subordinate id ranges', () => {
  const me = userInfo();

  it('finds the user by name or by uid', () => {
    expect(findRange(`other:1:2\n${me.username}:300000:65536\n`, me.username, me.uid)).toEqual({ start: 300000, count: 65536 });
    expect(findRange(`# comment\n${me.uid}:400000:1000\n`, me.username, me.uid)).toEqual({ start: 400000, count: 1000 });
  });

  it('says in one line what to add when the user has no entry', () => {
    const subuid = join(root, 'subuid');
    const subgid = join(root, 'subgid');
    writeFileSync(subuid, 'someone-else:100000:65536\n');
    writeFileSync(subgid, `${me.username}:100000:65536\n`);
    let msg = '';
    try {
      subIdsForCurrentUser({ subuid, subgid });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain(`${subuid} has no entry for user ${me.username}`);
    expect(msg).toContain(`"${me.username}:100000:65536" to /etc/subuid and /etc/subgid`);
    expect(msg).not.toContain('\n');
  });
});
