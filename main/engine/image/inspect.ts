import { lineageTable } from '../store/tables/lineage.js';
import type { ImageStore, ImageRecord } from './images.js';
import type { ImageConfig } from './types.js';
import { familiarName } from './reference.js';

/** Docker's `docker image inspect` object (API 1.4x shape; Container/VirtualSize dropped as docker 25+). */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown>;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** The parent image docker would report: the one this image was built or committed from, if still here. */
export function parentOf(images: ImageStore, id: string): string {
  return lineageTable.presentParent(images.store.db, id) ?? '';
}

/** Docker's container-config shape for an image's Config: every field present, as docker prints it. */
export function dockerConfig(cfg: ImageConfig): Record<string, unknown> {
  const c = cfg.config ?? {};
  const out: Record<string, unknown> = {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  Object.assign(out, {
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
  });
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = c.ArgsEscaped;
  Object.assign(out, {
    Image: '',
    Volumes: c.Volumes && Object.keys(c.Volumes).length ? c.Volumes : null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels && Object.keys(c.Labels).length ? c.Labels : null,
  });
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Shell) out.Shell = c.Shell;
  return out;
}

export function inspectImage(images: ImageStore, img: ImageRecord): ImageInspect {
  const cfg = images.config(img);
  const lastTag = images.lastTagTime(img.id);
  const top = img.layers[img.layers.length - 1];
  const res: ImageInspect = {
    Id: img.id,
    RepoTags: img.tags.map(familiarName),
    RepoDigests: repoDigests(images, img),
    Parent: parentOf(images, img.id),
    Comment: typeof cfg.comment === 'string' ? cfg.comment : '',
    Created: cfg.created ?? img.created,
    DockerVersion: typeof cfg.docker_version === 'string' ? cfg.docker_version : '',
    Author: cfg.author ?? '',
    Config: dockerConfig(cfg),
    Architecture: cfg.architecture ?? '',
    Os: cfg.os ?? '',
    Size: img.size,
    GraphDriver: {
      Name: 'overlay',
      Data: top ? { LowerDir: img.layers.map((l) => images.snapshots.path(l.chainId)).reverse().join(':') } : null,
    },
    RootFS: { Type: 'layers', Layers: cfg.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: lastTag ? new Date(lastTag).toISOString() : '0001-01-01T00:00:00Z' },
  };
  if (cfg.variant) res.Variant = cfg.variant;
  return res;
}

/**
 * name@digest for images that came from a registry (docker shows none for loaded or built
 * images). Pulls record registry, repository and manifest digest in lineage.detail.
 */
export function repoDigests(images: ImageStore, img: ImageRecord): string[] {
  const row = lineageTable.get(images.store.db, img.id);
  if (!row || row.kind !== 'pull') return [];
  try {
    const d = row.detail as { registry?: string; repository?: string; digest?: string };
    if (!d.repository) return [];
    const repo = d.registry ? `${d.registry}/${d.repository}` : d.repository;
    return [`${familiarName(`${repo}:x`).replace(/:x$/, '')}@${d.digest ?? img.manifestDigest}`];
  } catch {
    return [];
  }
}
