import { MediaTypes, hostArch, type Descriptor, type OCIIndex, type OCIManifest } from '../image/types.js';
import { InvalidArgumentError, NotFoundError, EngineError, ErrorCode } from '../model/errors.js';
import { isDigest } from '../util/digest.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: OCIIndex }
  | { kind: 'image'; mediaType: string; manifest: OCIManifest };

const INDEX_TYPES: string[] = [MediaTypes.ociIndex, MediaTypes.dockerManifestList];
const IMAGE_TYPES: string[] = [MediaTypes.ociManifest, MediaTypes.dockerManifest];
export const LAYER_TYPES: string[] = [
  MediaTypes.ociLayer, MediaTypes.ociLayerGzip, MediaTypes.ociLayerZstd, MediaTypes.dockerLayer, MediaTypes.dockerLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
];

/**
 * Classify manifest bytes: the body's mediaType wins, then the Content-Type, then the shape
 * (OCI allows manifests without mediaType). Anything else is refused here, before a single
 * blob is fetched.
 */
export function parseManifest(bytes: Buffer, contentType: string, where: string): ParsedManifest {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new EngineError(ErrorCode.INVALID, `${where} answered with something that is not a manifest (not JSON)`);
  }
  if (!j || typeof j !== 'object') throw new EngineError(ErrorCode.INVALID, `${where} answered with something that is not a manifest`);
  if (j.schemaVersion === 1) throw new EngineError(ErrorCode.INVALID, `${where} has only a Docker schema 1 manifest, which Slipway does not support; push it again with a current tool`);
  if (j.schemaVersion !== 2) throw new EngineError(ErrorCode.INVALID, `${where} answered with something that is not a manifest (schemaVersion ${String(j.schemaVersion)})`);
  const mt = typeof j.mediaType === 'string' ? j.mediaType : contentType;
  const isIndex = INDEX_TYPES.includes(mt) || (!IMAGE_TYPES.includes(mt) && Array.isArray(j.manifests));
  if (isIndex) {
    if (!Array.isArray(j.manifests)) throw new EngineError(ErrorCode.INVALID, `${where}: index has no manifests list`);
    for (const d of j.manifests as Descriptor[]) checkDescriptor(d, where);
    return { kind: 'index', mediaType: INDEX_TYPES.includes(mt) ? mt : MediaTypes.ociIndex, index: j as unknown as OCIIndex };
  }
  const m = j as unknown as OCIManifest;
  if (!m.config || !Array.isArray(m.layers)) throw new EngineError(ErrorCode.INVALID, `${where}: manifest has no config or layers`);
  checkDescriptor(m.config, where);
  for (const l of m.layers) {
    checkDescriptor(l, where);
    if (!LAYER_TYPES.includes(l.mediaType)) throw new EngineError(ErrorCode.INVALID, `${where}: layer ${l.digest} has media type ${l.mediaType}, which is not a container image layer`);
  }
  return { kind: 'image', mediaType: IMAGE_TYPES.includes(mt) ? mt : MediaTypes.ociManifest, manifest: m };
}

function checkDescriptor(d: Descriptor, where: string): void {
  if (!d || typeof d.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number' || d.size < 0) {
    throw new EngineError(ErrorCode.INVALID, `${where}: manifest has a malformed descriptor (${JSON.stringify(d)?.slice(0, 120)})`);
  }
}

/** `os/arch[/variant]`, as docker's --platform takes it. */
export function parsePlatform(s: string | undefined): Platform {
  if (!s) return defaultPlatform();
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new InvalidArgumentError(`invalid platform "${s}": expected os/arch or os/arch/variant, e.g. linux/arm64`);
  }
  let arch = parts[1]!;
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'aarch64') arch = 'arm64';
  return { os: parts[0]!, architecture: arch, variant: parts[2] };
}

export function defaultPlatform(): Platform {
  const architecture = hostArch();
  return { os: 'linux', architecture, variant: architecture === 'arm' ? 'v7' : undefined };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The index entry for a platform; arm64's variant v8 is the same as none. */
export function selectPlatform(index: OCIIndex, want: Platform, where: string): Descriptor {
  const norm = (p: Platform): string | undefined => (p.architecture === 'arm64' && (p.variant === 'v8' || !p.variant) ? undefined : p.variant);
  const candidates = index.manifests.filter((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture);
  const exact = candidates.find((d) => norm(d.platform!) === norm(want));
  const chosen = exact ?? (want.variant ? undefined : candidates[0]);
  if (chosen) return chosen;
  const have = index.manifests
    .filter((d) => d.platform && d.platform.os !== 'unknown')
    .map((d) => formatPlatform(d.platform!));
  throw new NotFoundError(`no image for platform ${formatPlatform(want)} in ${where} (it has: ${have.join(', ') || 'none'}); choose one with --platform`);
}

/** gzip media types: what we push for layers we keep uncompressed. */
export function gzipLayerType(manifestMediaType: string): string {
  return manifestMediaType === MediaTypes.dockerManifest ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip;
}

export function isUncompressedLayer(mediaType: string): boolean {
  return mediaType === MediaTypes.ociLayer || mediaType === MediaTypes.dockerLayer;
}

export function isZstdLayer(mediaType: string): boolean {
  return mediaType.endsWith('+zstd');
}

export function isGzipLayer(mediaType: string): boolean {
  return mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip');
}
