import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSeqpacket } from '../../../main/engine/util/seqpacket.js';

// A real SOCK_SEQPACKET server (python3's socket module, as conmon's attach socket is one):
// "echo" answers each packet with 0x02 + the packet and says "bye" after our EOF;
// "burst" sends N numbered packets of 8193 bytes (conmon's largest) and closes; "count"
// starts reading late, then answers with the packets and bytes it got before our EOF.
const SERVER = `
import socket, sys, os
path, mode = sys.argv[1], sys.argv[2]
d = os.open(os.path.dirname(path), os.O_PATH)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind('/proc/self/fd/%d/%s' % (d, os.path.basename(path)))
s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
if mode == 'echo':
    while True:
        p = c.recv(65536)
        if not p:
            c.send(b'bye'); break
        c.send(b'\\x02' + p)
elif mode == 'count':
    import time
    time.sleep(0.5)
    n = total = 0
    while True:
        p = c.recv(65536)
        if not p: break
        n += 1; total += len(p)
    c.send(b'%d %d' % (n, total))
else:
    for i in range(int(sys.argv[3])):
        c.send(bytes([2]) + i.to_bytes(4, 'big') + b'x' * 8188)
c.close()
`;

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A socket path longer than sun_path's 108 bytes, as a store's containers/<id>/attach is. */
function longPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'slipway-seqpacket-'));
  dirs.push(d);
  const deep = join(d, 'a'.repeat(60), 'b'.repeat(60));
  mkdirSync(deep, { recursive: true });
  return join(deep, 'attach');
}

async function server(path: string, ...args: string[]): Promise<void> {
  const p = spawn('python3', ['-c', SERVER, path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(p);
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
}

describe('SeqpacketSocket', () => {
  it('keeps packet boundaries both ways, shuts down only its side on end(), and reads EOF', async () => {
    const path = longPath();
    expect(path.length).toBeGreaterThan(108);
    await server(path, 'echo');
    const s = connectSeqpacket(path);
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    const closed = new Promise((r) => s.on('close', r));
    s.write(Buffer.from('one'));
    s.write(Buffer.from('two'));
    s.end();
    await closed;
    expect(got.map((b) => b.toString('latin1'))).toEqual(['\x02one', '\x02two', 'bye']);
  });

  it('delivers a burst in order when the reader is slow (no packet lost or merged)', async () => {
    const path = longPath();
    await server(path, 'burst', '2000');
    const s = connectSeqpacket(path);
    const seen: number[] = [];
    for await (const p of s as AsyncIterable<Buffer>) {
      expect(p.length).toBe(8193);
      seen.push(p.readUInt32BE(1));
      if (seen.length % 200 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('waits for room when the peer reads late, sending every packet whole', async () => {
    const path = longPath();
    await server(path, 'count');
    const s = connectSeqpacket(path);
    // 4 MB is far more than a unix socket buffers: sends hit EAGAIN and wait for "writable".
    const packet = Buffer.alloc(8192, 7);
    for (let i = 0; i < 500; i++) s.write(packet);
    s.end();
    const answer: Buffer[] = [];
    for await (const p of s as AsyncIterable<Buffer>) answer.push(p);
    expect(answer.map(String)).toEqual([`500 ${500 * 8192}`]);
  });

  it('names the socket in a connect error', () => {
    const path = longPath();
    expect(existsSync(path)).toBe(false);
    expect(() => connectSeqpacket(path)).toThrow(/connect .*attach: No such file/);
  });
});
