import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ConflictError, Engine, exportVolume, importVolume, networkOverview, networkOverviews, NotFoundError, volumeFiles, volumeOverviews } from '../engine/index.js';
import type { Handlers } from './dispatch.js';

type StorageMethods = 'volumes.list' | 'volumes.inspect' | 'volumes.files' | 'volumes.create' | 'volumes.remove' | 'volumes.prune' | 'volumes.import' | 'volumes.export' | 'volumes.download'
  | 'networks.list' | 'networks.inspect' | 'networks.create' | 'networks.remove' | 'networks.connect' | 'networks.disconnect';

const who = (cs: { name: string; state: string }[]) => cs.map((c) => `${c.name} (${c.state})`).join(', ');

/** The Volumes and Networks pages' half of the handler table (handlers.ts spreads it in). */
export function storageHandlers(engine: Engine): Pick<Handlers, StorageMethods> {
  const volume = async (name: string) => {
    const v = (await volumeOverviews(engine)).find((x) => x.name === name);
    if (!v) throw new NotFoundError(`No such volume: ${name}`);
    return v;
  };
  return {
    'volumes.list': () => volumeOverviews(engine),
    'volumes.inspect': ({ name }) => volume(name),
    'volumes.files': ({ name, limit }) => volumeFiles(engine, name, limit),
    'volumes.create': ({ name, labels }) => {
      if (name && engine.volumes.has(name)) throw new ConflictError(`a volume named ${name} exists already`);
      const v = engine.volumes.create({ ...(name ? { Name: name } : {}), ...(Object.keys(labels).length ? { Labels: labels } : {}) });
      return volume(v.Name);
    },
    'volumes.remove': async ({ name }) => {
      const v = await volume(name);
      // the engine's words name container ids; the page names the containers as the user knows them
      if (v.containers.length) throw new ConflictError(`volume ${name} is in use by ${who(v.containers)}: remove ${v.containers.length === 1 ? 'that container' : 'those containers'} first`);
      engine.volumes.remove(name);
      return null;
    },
    'volumes.prune': ({ all }) => {
      const r = engine.volumes.prune({ all });
      return { deleted: r.VolumesDeleted, reclaimed: r.SpaceReclaimed };
    },
    'volumes.import': async ({ name, path }) => {
      if (!existsSync(path)) throw new NotFoundError(`no such file: ${path}`);
      try {
        await importVolume(engine, name, createReadStream(path));
      } finally {
        // a browser's upload (http-server.ts) was only a stepping stone, as for images.load
        if (dirname(path) === engine.store.paths.tmp && basename(path).startsWith('upload-')) await rm(path, { force: true });
      }
      return null;
    },
    'volumes.export': async ({ name, path }) => {
      await pipeline(exportVolume(engine, name), createWriteStream(path, { mode: 0o644 }));
      return { path };
    },
    // the desktop app replaces this with a save dialog (app/volume-download.ts)
    'volumes.download': () => ({ saved: null }),

    'networks.list': () => networkOverviews(engine),
    'networks.inspect': ({ ref }) => networkOverview(engine, ref),
    'networks.create': ({ name, subnet, internal }) => {
      const r = engine.networks.create({ Name: name, Internal: internal, ...(subnet ? { IPAM: { Config: [{ Subnet: subnet }] } } : {}) });
      return networkOverview(engine, r.Id);
    },
    'networks.remove': ({ ref }) => {
      const n = networkOverview(engine, ref);
      // stricter than docker (which lets stopped containers go): the page never drops an attachment unasked
      if (n.containers.length) throw new ConflictError(`network ${n.name} has containers attached: ${who(n.containers)}; disconnect them first`);
      engine.networks.remove(n.id);
      return null;
    },
    'networks.connect': async ({ network, container, aliases }) => {
      await engine.networks.connect(network, container, { aliases });
      return null;
    },
    'networks.disconnect': async ({ network, container }) => {
      await engine.networks.disconnect(network, container);
      return null;
    },
  };
}
