import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempEngine, FIXTURES } from '../../helpers/tmp-store.js';
import { startRegistry, skopeoDigest, skopeoRawManifest, nonLoopbackIPv4, type RunningRegistry } from './registry-server.js';
import { pull, push, ensureImage, type TransferEvent } from '../../../main/engine/registry/index.js';
import { RegistryClient } from '../../../main/engine/registry/client.js';
import { loadArchive } from '../../../main/engine/image/load.js';
import { removeImage } from '../../../main/engine/image/remove.js';
import { MediaTypes, hostArch } from '../../../main/engine/image/types.js';
import type { Engine } from '../../../main/engine/engine.js';
import { checkStore } from '../../../main/engine/store/check.js';

let reg: RunningRegistry;
let env: ReturnType<typeof tempEngine>;
let engine: Engine;
/** A store that never saw the docker-archive: busybox-oci.tar is the same image (same config). */
let env2: ReturnType<typeof tempEngine>;
let fresh: Engine;

function statuses(events: TransferEvent[]): string[] {
  const last = new Map<string, string>();
  for (const e of events) if (e.kind === 'layer') last.set(e.layer.id, e.layer.status);
  return [...last.values()];
}

/** Nothing half-written: no temp blobs, no half-unpacked snapshots. */
function assertNoLeftovers(e: Engine): void {
  expect(readdirSync(e.store.paths.tmp)).toEqual([]);
  expect(readdirSync(e.store.paths.snapshots).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
}

beforeAll(async () => {
  reg = await startRegistry();
  env = tempEngine();
  engine = env.engine;
  env2 = tempEngine();
  fresh = env2.engine;
});

afterAll(async () => {
  env?.cleanup();
  env2?.cleanup();
  await reg?.stop();
});

describe('push and pull against docker-registry', () => {
  it('pushes a loaded image, skopeo sees the same digest, and it pulls back as the same image', async () => {
    const [loaded] = await loadArchive(engine, join(FIXTURES, 'busybox-docker.tar'));
    const name = `${reg.addr}/slipway/busybox:v1`;
    engine.images.tag(loaded!.id, name);
    const events: TransferEvent[] = [];
    const res = await push(engine, name, {}, (e) => events.push(e));
    expect(statuses(events)).toEqual(['pushed']);
    // The registry's own view, through a tool that is not ours.
    expect(skopeoDigest(`${reg.addr}/slipway/busybox:v1`)).toBe(res.digest);
    const raw = skopeoRawManifest(`${reg.addr}/slipway/busybox:v1`);
    expect(raw.config.digest).toBe(loaded!.id);
    // Our store keeps this layer uncompressed; what went up is gzip.
    expect(raw.layers.map((l) => l.mediaType)).toEqual([expect.stringMatching(/gzip$/)]);

    // A second push finds everything there without compressing again.
    const again: TransferEvent[] = [];
    const res2 = await push(engine, name, {}, (e) => again.push(e));
    expect(res2.digest).toBe(res.digest);
    expect(statuses(again)).toEqual(['exists']);

    // To another repository: the gzip blob made on the first push is mounted, not re-sent.
    engine.images.tag(loaded!.id, `${reg.addr}/elsewhere/busybox:v1`);
    const moved: TransferEvent[] = [];
    const res3 = await push(engine, `${reg.addr}/elsewhere/busybox:v1`, {}, (e) => moved.push(e));
    expect(statuses(moved)).toEqual(['mounted']);
    expect(res3.digest).toBe(res.digest);

    // rmi, then pull back: the same image ID.
    for (const t of engine.images.get(loaded!.id)!.tags) removeImage(engine.images, t);
    expect(engine.images.get(loaded!.id)).toBeUndefined();
    const back = await pull(engine, name);
    expect(back.image.id).toBe(loaded!.id);
    expect(back.downloaded).toBe(true);

    // And into a second, empty store: nothing local can stand in for the download.
    const other = tempEngine();
    try {
      await pullBack(other.engine);
    } finally {
      other.cleanup();
    }
    async function pullBack(engine: Engine): Promise<void> {
    expect(engine.images.find(name)).toBeUndefined();
    const pulled = await pull(engine, name);
    expect(pulled.image.id).toBe(loaded!.id);
    expect(pulled.digest).toBe(res.digest);
    expect(pulled.image.manifestDigest).toBe(res.digest);
    expect(pulled.image.tags).toContain(`${reg.addr}/slipway/busybox:v1`);
    const snap = engine.images.snapshots.path(pulled.image.layers[0]!.chainId);
    expect(existsSync(join(snap, 'bin', 'busybox'))).toBe(true);
    // The runtime-visible result: busybox from the pulled snapshot runs.
    expect(execFileSync(join(snap, 'bin', 'busybox'), ['echo', 'pulled'], { encoding: 'utf8' }).trim()).toBe('pulled');
    assertNoLeftovers(engine);
    expect((await checkStore(engine.store)).problems).toEqual([]);

    // Pulling what is already here downloads nothing.
    const up: TransferEvent[] = [];
    const same = await pull(engine, name, {}, (e) => up.push(e));
    expect(same.downloaded).toBe(false);
    expect(statuses(up)).toEqual(['exists']);
    }
  });

  it('pulls an image that skopeo pushed (OCI manifest, gzip layer) with the digests skopeo reports', async () => {
    const ref = `${reg.addr}/other/busybox-oci:1`;
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci-archive:${join(FIXTURES, 'busybox-oci.tar')}`, `docker://${ref}`]);
    const raw = skopeoRawManifest(ref);
    const res = await pull(fresh, ref);
    expect(res.digest).toBe(skopeoDigest(ref));
    expect(res.image.configDigest).toBe(raw.config.digest);
    expect(res.image.layers.map((l) => l.blobDigest)).toEqual(raw.layers.map((l) => l.digest));
    expect(res.image.layers[0]!.mediaType).toBe(MediaTypes.ociLayerGzip);
    // Kept as it came, so the manifest digest survives and skopeo can read our layout.
    const ours = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${fresh.store.paths.oci}:${ref}`], { encoding: 'utf8' })) as { Digest: string };
    expect(ours.Digest).toBe(res.digest);
  });

  it('mounts blobs across repositories instead of uploading them again', async () => {
    const src = `${reg.addr}/other/busybox-oci:1`;
    const dst = `${reg.addr}/mounted/copy:1`;
    fresh.images.tag(src, dst);
    const events: TransferEvent[] = [];
    const res = await push(fresh, dst, {}, (e) => events.push(e));
    const layerEvents = events.filter((e) => e.kind === 'layer').map((e) => (e as { layer: { status: string; from?: string } }).layer);
    expect(layerEvents.at(-1)).toMatchObject({ status: 'mounted', from: 'other/busybox-oci' });
    expect(res.digest).toBe(skopeoDigest(src));
  });

  it('picks the host platform from an index, and names the platforms it has when asked for a missing one', async () => {
    const manifest = await (async () => {
      const c = new RegistryClient(reg.addr);
      try {
        const m = await c.getManifest('other/busybox-oci', '1');
        const index = {
          schemaVersion: 2,
          mediaType: MediaTypes.ociIndex,
          manifests: [
            { mediaType: MediaTypes.ociManifest, digest: m.digest, size: m.bytes.length, platform: { os: 'linux', architecture: hostArch() } },
            { mediaType: MediaTypes.ociManifest, digest: m.digest, size: m.bytes.length, platform: { os: 'linux', architecture: 'riscv64' } },
          ],
        };
        await c.putManifest('other/busybox-oci', 'multi', Buffer.from(JSON.stringify(index)), MediaTypes.ociIndex);
        return m;
      } finally {
        c.close();
      }
    })();
    const res = await pull(fresh, `${reg.addr}/other/busybox-oci:multi`);
    expect(res.image.manifestDigest).toBe(manifest.digest);
    expect(res.digest).toBe(skopeoDigest(`${reg.addr}/other/busybox-oci:multi`));
    await expect(pull(fresh, `${reg.addr}/other/busybox-oci:multi`, { platform: 'linux/s390x' })).rejects.toThrow(
      `no image for platform linux/s390x in ${reg.addr}/other/busybox-oci:multi (it has: linux/${hostArch()}, linux/riscv64)`,
    );
    // The riscv64 entry points at an amd64/arm64 image: the config check refuses it.
    await expect(pull(fresh, `${reg.addr}/other/busybox-oci:multi`, { platform: 'linux/riscv64' })).rejects.toThrow(/not the linux\/riscv64 asked for/);
    // name@<index digest> is found locally afterwards (no second trip to the registry).
    const viaIndex = await ensureImage(fresh, `${reg.addr}/other/busybox-oci@${res.digest}`, { tlsVerify: true });
    expect(viaIndex.id).toBe(res.image.id);
  });

  it('pulls by digest, and ensureImage pulls only what is missing', async () => {
    const digest = skopeoDigest(`${reg.addr}/other/busybox-oci:1`);
    const byDigest = await pull(fresh, `${reg.addr}/other/busybox-oci@${digest}`);
    expect(byDigest.image.manifestDigest).toBe(digest);
    const ref = `${reg.addr}/other/busybox-oci:2`;
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.addr}/other/busybox-oci:1`, `docker://${ref}`]);
    expect(fresh.images.find(ref)).toBeUndefined();
    const img = await ensureImage(fresh, ref);
    expect(img.tags).toContain(ref);
    const again = await ensureImage(fresh, ref);
    expect(again.id).toBe(img.id);
  });

  it('speaks plain http to a non-loopback registry only when told to', async (ctx) => {
    const ip = nonLoopbackIPv4();
    if (!ip) return ctx.skip();
    const lan = await startRegistry({ host: ip });
    const saved = process.env.SLIPWAY_INSECURE_REGISTRIES;
    try {
      const ref = `${lan.addr}/lan/busybox:1`;
      execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.addr}/other/busybox-oci:1`, `docker://${ref}`]);
      await expect(pull(fresh, ref)).rejects.toThrow(`registry ${lan.addr} does not speak https here (TLS handshake failed: is it plain http?); use --tls-verify=false if you trust it`);
      expect((await pull(fresh, ref, { tlsVerify: false })).digest).toBe(skopeoDigest(ref));
      process.env.SLIPWAY_INSECURE_REGISTRIES = lan.addr;
      expect((await pull(fresh, ref)).downloaded).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.SLIPWAY_INSECURE_REGISTRIES;
      else process.env.SLIPWAY_INSECURE_REGISTRIES = saved;
      await lan.stop();
    }
  });

  it('says what is wrong for an unknown tag and an unreachable registry', async () => {
    await expect(pull(fresh, `${reg.addr}/nope/nothing:1`)).rejects.toThrow(`manifest for ${reg.addr}/nope/nothing:1 not found: manifest unknown`);
    await expect(pull(fresh, '127.0.0.1:1/x/y:1')).rejects.toThrow(/cannot reach registry 127\.0\.0\.1:1: connection refused/);
    await expect(push(fresh, `${reg.addr}/not/here:1`)).rejects.toThrow(`An image does not exist locally with the tag: ${reg.addr}/not/here:1`);
  });
});
