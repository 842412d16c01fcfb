import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore } from './helpers.js';
import { Engine, type AttachSession, type OutputChunk } from '../../../main/engine/index.js';

// The engine's attach session as the Engine API and the app use it: streams in, chunks with
// stream ids out, attach before start, detach keys caught in the engine.

let s: ReturnType<typeof containerStore>;
let engine: Engine;
beforeAll(() => {
  s = containerStore();
  engine = new Engine(s.root);
}, 600_000);
afterAll(() => {
  engine?.close();
  s?.cleanup();
});

async function collect(session: AttachSession): Promise<OutputChunk[]> {
  const out: OutputChunk[] = [];
  for await (const c of session.output as AsyncIterable<OutputChunk>) out.push(c);
  return out;
}

const text = (chunks: OutputChunk[], stream: 'stdout' | 'stderr') =>
  Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString();

describe('AttachSession', () => {
  it('attached before start: sees all the output, in order, with stream ids; stdin EOF closes a StdinOnce stdin', async () => {
    const id = s.sw('create', '-i', '--name', 'early', BUSYBOX, 'sh', '-c', 'echo first; read x; echo got-$x; echo oops >&2; cat; exit 2').stdout.trim();
    const session = await engine.containers.attach(id, { stdin: true }, { waitForStart: true });
    const chunks = collect(session);
    await engine.containers.start(id);
    session.input.write('v\n');
    session.input.end('rest\n');
    const got = await chunks;
    expect(text(got, 'stdout')).toBe('first\ngot-v\nrest\n');
    expect(text(got, 'stderr')).toBe('oops\n');
    expect(await session.ended).toBe('exited');
    expect(await engine.containers.waitExited(id)).toBe(2);
  });

  it('a waiting session connects when another process starts the container', async () => {
    const id = s.sw('create', '--name', 'elsewhere', BUSYBOX, 'sh', '-c', 'sleep 1; echo from-the-cli-start').stdout.trim();
    const session = await engine.containers.attach(id, {}, { waitForStart: true });
    const chunks = collect(session);
    expect(s.sw('start', 'elsewhere').code).toBe(0);
    expect(text(await chunks, 'stdout')).toBe('from-the-cli-start\n');
  });

  it('catches the detach keys in stdin (never passing them on) and leaves the container running', async () => {
    const id = s.sw('run', '-di', '--name', 'keys2', BUSYBOX, 'cat').stdout.trim();
    const session = await engine.containers.attach(id, { stdin: true, detachKeys: 'ctrl-x,y' });
    const chunks = collect(session);
    // a ctrl-x that is not followed by y is passed on, as docker's escape proxy does
    session.input.write('a\x18b\n');
    await new Promise((r) => setTimeout(r, 500));
    session.input.write('\x18y');
    expect(await session.ended).toBe('detached');
    expect(text(await chunks, 'stdout')).toBe('a\x18b\n');
    expect((await engine.containers.get(id)).state).toBe('running');
    // -di keeps stdin open (no StdinOnce): a later session still writes to cat
    const again = await engine.containers.attach(id, { stdin: true });
    const more = collect(again);
    again.input.write('later\n');
    await new Promise((r) => setTimeout(r, 500));
    again.detach();
    expect(text(await more, 'stdout')).toBe('later\n');
    s.sw('rm', '-f', id);
  });

  it('refuses bad detach keys with one line', async () => {
    const id = s.sw('run', '-d', '--name', 'badkeys', BUSYBOX, 'sleep', '60').stdout.trim();
    await expect(engine.containers.attach(id, { detachKeys: 'ctrl-1' })).rejects.toThrow('invalid detach keys "ctrl-1"');
    s.sw('rm', '-f', id);
  });
});
