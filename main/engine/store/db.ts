import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type DB = Database.Database;

/**
 * Schema migrations, applied in order inside one transaction each. Append only: a released
 * store must open with newer code. user_version records how many have run.
 */
const migrations: string[] = [
  `
  CREATE TABLE images (
    id              TEXT PRIMARY KEY,      -- sha256:<hex of config JSON>
    manifest_digest TEXT NOT NULL,
    config_digest   TEXT NOT NULL,
    created         TEXT NOT NULL,         -- config.created (ISO 8601)
    size            INTEGER NOT NULL,      -- sum of uncompressed layer sizes
    added_at        INTEGER NOT NULL       -- ms since epoch when it entered this store
  );
  CREATE TABLE layers (
    chain_id        TEXT PRIMARY KEY,      -- OCI chainID: names the snapshot directory
    diff_id         TEXT NOT NULL,         -- digest of the uncompressed tar
    parent_chain_id TEXT,
    size            INTEGER NOT NULL       -- uncompressed tar size
  );
  CREATE TABLE image_layers (
    image_id     TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    chain_id     TEXT NOT NULL REFERENCES layers(chain_id),
    blob_digest  TEXT NOT NULL,            -- the blob in oci/ (may be gzip)
    media_type   TEXT NOT NULL,
    blob_size    INTEGER NOT NULL,
    PRIMARY KEY (image_id, idx)
  );
  CREATE INDEX image_layers_chain ON image_layers(chain_id);
  -- How many images stand on each layer; a layer (and its snapshot) goes when this is 0.
  CREATE VIEW layer_refs AS
    SELECT l.chain_id, l.diff_id, l.size,
           (SELECT COUNT(*) FROM image_layers il WHERE il.chain_id = l.chain_id) AS refcount
      FROM layers l;
  CREATE TABLE tags (
    name     TEXT PRIMARY KEY,             -- normalized: docker.io/library/busybox:latest
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tagged_at INTEGER NOT NULL
  );
  CREATE INDEX tags_image ON tags(image_id);
  -- Where an image came from. kind: load | import | seed | build | commit | pull | tag
  CREATE TABLE lineage (
    image_id        TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    parent_image_id TEXT,                  -- base image (build FROM, commit's container image)
    container_id    TEXT,                  -- commit: the container; kept even after rm
    container_name  TEXT,
    build_id        TEXT,
    detail          TEXT NOT NULL DEFAULT '{}',  -- JSON: archive path, Dockerfile path, message...
    created_at      INTEGER NOT NULL
  );
  CREATE TABLE containers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    image_id    TEXT NOT NULL REFERENCES images(id),
    image_ref   TEXT NOT NULL,             -- what the user typed (docker's Config.Image)
    created     TEXT NOT NULL,
    spec        TEXT NOT NULL,             -- JSON ContainerSpec: everything create was told
    state       TEXT NOT NULL,             -- created | running | paused | exited | dead
    pid         INTEGER NOT NULL DEFAULT 0,
    exit_code   INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    finished_at TEXT NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    stopped_by_user INTEGER NOT NULL DEFAULT 0,
    oom_killed  INTEGER NOT NULL DEFAULT 0,
    restart_count INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX containers_image ON containers(image_id);
  CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    time_nano  INTEGER NOT NULL,
    type       TEXT NOT NULL,              -- container | image | build
    action     TEXT NOT NULL,              -- create, start, die, destroy, commit, tag, untag, delete, load, import...
    actor_id   TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}'
  );
  `,
  // registry (issue 5): which repositories on which registry hold a blob (cross-repository
  // mount sources on push), and the gzip blob we pushed for a locally uncompressed layer
  // (so the next push can ask "exists?" without compressing again).
  `
  CREATE TABLE registry_blobs (
    registry   TEXT NOT NULL,
    repository TEXT NOT NULL,
    digest     TEXT NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (registry, digest, repository)
  );
  CREATE TABLE layer_compressions (
    diff_id    TEXT NOT NULL,
    media_type TEXT NOT NULL,              -- the compressed blob's type (tar+gzip)
    digest     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (diff_id, media_type)
  );
  `,
  // Builder (issue 3): one row per build step state; the stat-keyed file hash cache; builds.
  `
  CREATE TABLE build_cache (
    key         TEXT PRIMARY KEY,          -- sha256 of parent key + expanded instruction + inputs
    parent_key  TEXT NOT NULL,
    instruction TEXT NOT NULL,             -- expanded, as shown in progress
    inputs      TEXT NOT NULL DEFAULT '',  -- digest of the step's extra inputs (COPY sources, RUN env)
    sources     TEXT,                      -- JSON {path: digest} of COPY/ADD sources, to explain misses
    created     TEXT NOT NULL,             -- history timestamp, reused on a hit
    diff_id     TEXT,                      -- the step's layer, NULL for config-only steps
    blob_digest TEXT,
    media_type  TEXT,
    blob_size   INTEGER,
    size        INTEGER,
    used_at     INTEGER NOT NULL
  );
  CREATE INDEX build_cache_parent ON build_cache(parent_key);
  CREATE TABLE build_file_hashes (
    path     TEXT PRIMARY KEY,             -- absolute host path of a context file
    stat_key TEXT NOT NULL,                -- size:mtime_ns:mode:ino:uid:gid
    digest   TEXT NOT NULL
  );
  CREATE TABLE builds (
    id         TEXT PRIMARY KEY,
    dockerfile TEXT NOT NULL,
    context    TEXT NOT NULL,
    args       TEXT NOT NULL DEFAULT '{}',
    target     TEXT,
    steps      TEXT NOT NULL DEFAULT '[]',  -- JSON [{n, stage, instruction, status, reason, ms}]
    status     TEXT NOT NULL,               -- running | succeeded | failed
    error      TEXT,
    started    INTEGER NOT NULL,
    duration   INTEGER,
    image_id   TEXT
  );
  `,
  // Builder: the snapshot (chainID) a cached step's layer sits on, so prune can find it.
  `ALTER TABLE build_cache ADD COLUMN chain_id TEXT;`,
  // registry: columns that name remote blobs must not be called *digest* (image/refs.ts reads
  // every *digest* / *chain_id* column as a local reference). pull_partials does hold local
  // content: the finished layers of a pull that failed, kept so a retry resumes.
  `
  ALTER TABLE registry_blobs RENAME COLUMN digest TO remote_blob;
  ALTER TABLE layer_compressions RENAME COLUMN digest TO remote_blob;
  CREATE TABLE pull_partials (
    blob_digest TEXT NOT NULL,
    chain_id    TEXT NOT NULL,
    reference   TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (blob_digest, chain_id)
  );
  `,
  // registry: what a registry calls an image we pulled or pushed (docker's RepoDigests), e.g.
  // docker.io/library/busybox@sha256:<index digest>, so name@digest resolves locally even when
  // the digest is a multi-platform index or another manifest of the same image.
  `
  CREATE TABLE repo_digests (
    reference TEXT PRIMARY KEY,
    image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  );
  CREATE INDEX repo_digests_image ON repo_digests(image_id);
  `,
  // Builder: parsed Dockerfiles by content digest, so a cached rebuild need not load the parser;
  // context file hashes are not store content, so their column must not be called *digest*.
  `
  CREATE TABLE build_parse_cache (key TEXT PRIMARY KEY, model TEXT NOT NULL, used_at INTEGER NOT NULL);
  ALTER TABLE build_file_hashes RENAME COLUMN digest TO content_sha;
  `,
  // Builder (issue 12): the directories RUN --mount=type=cache keeps between builds
  // (store/tables/build-cache-mounts.ts).
  `
  CREATE TABLE build_cache_mounts (
    dir      TEXT PRIMARY KEY,             -- directory name under cache-mounts/
    cache_id TEXT NOT NULL,                -- the mount's id (namespaced)
    instance INTEGER NOT NULL,             -- 0, or n: the nth private copy
    created  INTEGER NOT NULL,
    used_at  INTEGER NOT NULL,
    uses     INTEGER NOT NULL DEFAULT 0
  );
  `,
  // Networks (issue 10): user-defined bridge networks (netavark) and each container's endpoint
  // on them. An endpoint row is the container's attachment (made at create or `network
  // connect`); ip/mac/endpoint_id are set only while the container runs. network_id is not a
  // foreign key: as docker, `network rm` leaves stopped containers naming a network that is gone.
  `
  CREATE TABLE networks (
    id        TEXT PRIMARY KEY,             -- 64 hex, as docker's
    name      TEXT NOT NULL UNIQUE,
    driver    TEXT NOT NULL,                -- bridge
    created   TEXT NOT NULL,
    subnet    TEXT NOT NULL,                -- IPv4 CIDR
    gateway   TEXT NOT NULL,
    ip_range  TEXT,                         -- --ip-range: where container addresses come from
    internal  INTEGER NOT NULL DEFAULT 0,
    attachable INTEGER NOT NULL DEFAULT 0,
    dns       INTEGER NOT NULL DEFAULT 1,   -- names resolve through aardvark-dns (not on the default bridge)
    builtin   INTEGER NOT NULL DEFAULT 0,   -- the default network named bridge
    bridge    TEXT NOT NULL UNIQUE,         -- the Linux bridge's interface name
    labels    TEXT NOT NULL DEFAULT '{}',
    options   TEXT NOT NULL DEFAULT '{}'
  );
  CREATE TABLE network_endpoints (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    network_id   TEXT NOT NULL,
    network_name TEXT NOT NULL,            -- the name when attached, for "network X not found"
    seq          INTEGER NOT NULL,         -- attach order: eth0, eth1, ...
    aliases      TEXT NOT NULL DEFAULT '[]',
    static_ip    TEXT,                     -- --ip / connect --ip
    ip           TEXT,                     -- while running
    mac          TEXT,
    endpoint_id  TEXT,
    PRIMARY KEY (container_id, network_id)
  );
  CREATE UNIQUE INDEX network_endpoints_ip ON network_endpoints(network_id, ip);
  CREATE INDEX network_endpoints_network ON network_endpoints(network_id);
  -- Host ports published by running containers. On bridge networks they are DNAT rules that
  -- no process binds, so a second container asking for one is stopped by this table.
  CREATE TABLE published_ports (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    host_ip      TEXT NOT NULL,
    host_port    INTEGER NOT NULL,
    proto        TEXT NOT NULL,
    PRIMARY KEY (host_ip, host_port, proto)
  );
  CREATE INDEX published_ports_container ON published_ports(container_id);
  `,
  // Volumes (issue 10): docker's local volumes under volumes/<name>/_data (store/tables/volumes.ts).
  // Which containers use one is in the containers' specs, not here.
  `
  CREATE TABLE volumes (
    name    TEXT PRIMARY KEY,
    driver  TEXT NOT NULL,                 -- local
    created TEXT NOT NULL,                 -- RFC 3339
    labels  TEXT NOT NULL DEFAULT 'null',  -- JSON object or null
    options TEXT NOT NULL DEFAULT 'null'   -- JSON object or null (the driver's --opt)
  );
  `,
  // Healthchecks (issue 11): docker's State.Health of a container with a healthcheck
  // (store/tables/container-health.ts). Kept across runs as docker keeps it; a start resets
  // status and streak. run = the StartedAt of the run whose probes are recorded, so a runner
  // left over from an earlier run cannot write into this one.
  `
  CREATE TABLE container_health (
    container_id   TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
    status         TEXT NOT NULL,              -- starting | healthy | unhealthy
    failing_streak INTEGER NOT NULL DEFAULT 0,
    log            TEXT NOT NULL DEFAULT '[]', -- the last 5 results: [{Start, End, ExitCode, Output}]
    run            TEXT NOT NULL,
    runner_pid     INTEGER NOT NULL DEFAULT 0  -- the detached health runner of this run
  );
  `,
];

/**
 * Open the store's database: the connection's settings in one exec, then one pragma read to
 * see whether the schema is current, which it nearly always is (then nothing else runs).
 */
export function openDatabase(path: string): DB {
  const db = new Database(path, { timeout: 15000, nativeBinding: sqliteAddon() });
  db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON');
  if ((db.pragma('user_version', { simple: true }) as number) < migrations.length) {
    // WAL is a property of the file: set once, when the schema is made or upgraded.
    db.pragma('journal_mode = WAL');
    migrate(db);
  }
  return db;
}

let addonPath: string | undefined;
/**
 * better-sqlite3's compiled addon. Given its path, better-sqlite3 skips the `bindings`
 * package's search of a dozen candidate paths (which also cannot work from inside a bundle).
 */
function sqliteAddon(): string {
  return (addonPath ??= join(dirname(createRequire(import.meta.url).resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node'));
}

function migrate(db: DB): void {
  // IMMEDIATE: two processes opening a fresh store at once must not both migrate.
  const run = db.transaction(() => {
    const v = db.pragma('user_version', { simple: true }) as number;
    for (let i = v; i < migrations.length; i++) {
      db.exec(migrations[i]!);
      db.pragma(`user_version = ${i + 1}`);
    }
  });
  run.immediate();
}
