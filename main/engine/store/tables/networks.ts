import type { DB } from '../db.js';

/**
 * The `networks`, `network_endpoints` and `published_ports` tables: the only SQL for them.
 * None holds store content (no blobs, no snapshots), so `refs()` is empty.
 */

export interface NetworkRow {
  id: string;
  name: string;
  driver: 'bridge';
  created: string;
  subnet: string;
  gateway: string;
  ipRange: string | null;
  internal: boolean;
  attachable: boolean;
  dns: boolean;
  builtin: boolean;
  bridge: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export interface EndpointRow {
  containerId: string;
  networkId: string;
  networkName: string;
  seq: number;
  aliases: string[];
  staticIp: string | null;
  /** set while the container runs */
  ip: string | null;
  mac: string | null;
  endpointId: string | null;
}

interface RawNetwork {
  id: string;
  name: string;
  driver: string;
  created: string;
  subnet: string;
  gateway: string;
  ip_range: string | null;
  internal: number;
  attachable: number;
  dns: number;
  builtin: number;
  bridge: string;
  labels: string;
  options: string;
}

interface RawEndpoint {
  container_id: string;
  network_id: string;
  network_name: string;
  seq: number;
  aliases: string;
  static_ip: string | null;
  ip: string | null;
  mac: string | null;
  endpoint_id: string | null;
}

const network = (r: RawNetwork): NetworkRow => ({
  id: r.id,
  name: r.name,
  driver: 'bridge',
  created: r.created,
  subnet: r.subnet,
  gateway: r.gateway,
  ipRange: r.ip_range,
  internal: !!r.internal,
  attachable: !!r.attachable,
  dns: !!r.dns,
  builtin: !!r.builtin,
  bridge: r.bridge,
  labels: JSON.parse(r.labels) as Record<string, string>,
  options: JSON.parse(r.options) as Record<string, string>,
});

const endpoint = (r: RawEndpoint): EndpointRow => ({
  containerId: r.container_id,
  networkId: r.network_id,
  networkName: r.network_name,
  seq: r.seq,
  aliases: JSON.parse(r.aliases) as string[],
  staticIp: r.static_ip,
  ip: r.ip,
  mac: r.mac,
  endpointId: r.endpoint_id,
});

export const networksTable = {
  insert(db: DB, n: NetworkRow): void {
    db.prepare(
      `INSERT INTO networks (id, name, driver, created, subnet, gateway, ip_range, internal, attachable, dns, builtin, bridge, labels, options)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(n.id, n.name, n.driver, n.created, n.subnet, n.gateway, n.ipRange, n.internal ? 1 : 0, n.attachable ? 1 : 0, n.dns ? 1 : 0, n.builtin ? 1 : 0, n.bridge, JSON.stringify(n.labels), JSON.stringify(n.options));
  },
  byId(db: DB, id: string): NetworkRow | undefined {
    const r = db.prepare(`SELECT * FROM networks WHERE id = ?`).get(id) as RawNetwork | undefined;
    return r && network(r);
  },
  byName(db: DB, name: string): NetworkRow | undefined {
    const r = db.prepare(`SELECT * FROM networks WHERE name = ?`).get(name) as RawNetwork | undefined;
    return r && network(r);
  },
  byIdPrefix(db: DB, prefix: string): NetworkRow[] {
    return (db.prepare(`SELECT * FROM networks WHERE id LIKE ? ORDER BY name`).all(`${prefix}%`) as RawNetwork[]).map(network);
  },
  all(db: DB): NetworkRow[] {
    return (db.prepare(`SELECT * FROM networks ORDER BY name`).all() as RawNetwork[]).map(network);
  },
  remove(db: DB, id: string): boolean {
    return db.prepare(`DELETE FROM networks WHERE id = ?`).run(id).changes > 0;
  },
  /** Nothing here keeps blobs or snapshots alive. */
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};

export const endpointsTable = {
  insert(db: DB, e: Pick<EndpointRow, 'containerId' | 'networkId' | 'networkName' | 'aliases' | 'staticIp'>): void {
    const next = db.prepare(`SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM network_endpoints WHERE container_id = ?`).get(e.containerId) as { n: number };
    db.prepare(`INSERT INTO network_endpoints (container_id, network_id, network_name, seq, aliases, static_ip) VALUES (?, ?, ?, ?, ?, ?)`).run(
      e.containerId, e.networkId, e.networkName, next.n, JSON.stringify(e.aliases), e.staticIp,
    );
  },
  /** A container's attachments in attach order. */
  ofContainer(db: DB, containerId: string): EndpointRow[] {
    return (db.prepare(`SELECT * FROM network_endpoints WHERE container_id = ? ORDER BY seq`).all(containerId) as RawEndpoint[]).map(endpoint);
  },
  ofNetwork(db: DB, networkId: string): EndpointRow[] {
    return (db.prepare(`SELECT * FROM network_endpoints WHERE network_id = ? ORDER BY container_id`).all(networkId) as RawEndpoint[]).map(endpoint);
  },
  /** Addresses held on a network right now (running endpoints). */
  usedAddresses(db: DB, networkId: string): string[] {
    return (db.prepare(`SELECT ip FROM network_endpoints WHERE network_id = ? AND ip IS NOT NULL`).all(networkId) as { ip: string }[]).map((r) => r.ip);
  },
  /** Which container holds `ip` on a network now, if any. */
  holderOf(db: DB, networkId: string, ip: string): string | undefined {
    return (db.prepare(`SELECT container_id FROM network_endpoints WHERE network_id = ? AND ip = ?`).get(networkId, ip) as { container_id: string } | undefined)?.container_id;
  },
  setRuntime(db: DB, containerId: string, networkId: string, r: { ip: string; mac: string; endpointId: string } | null): void {
    db.prepare(`UPDATE network_endpoints SET ip = ?, mac = ?, endpoint_id = ? WHERE container_id = ? AND network_id = ?`).run(
      r?.ip ?? null, r?.mac ?? null, r?.endpointId ?? null, containerId, networkId,
    );
  },
  remove(db: DB, containerId: string, networkId: string): boolean {
    return db.prepare(`DELETE FROM network_endpoints WHERE container_id = ? AND network_id = ?`).run(containerId, networkId).changes > 0;
  },
  /** Does any container (running or not) name this network? */
  countOfNetwork(db: DB, networkId: string): { attached: number; active: number } {
    const r = db.prepare(`SELECT COUNT(*) AS attached, COUNT(ip) AS active FROM network_endpoints WHERE network_id = ?`).get(networkId) as { attached: number; active: number };
    return r;
  },
};

export interface PublishedPort {
  containerId: string;
  ip: string;
  port: number;
  proto: 'tcp' | 'udp';
}

export const portsTable = {
  /** Host ports other running containers publish. */
  heldByOthers(db: DB, containerId: string): PublishedPort[] {
    return (db.prepare(`SELECT container_id, host_ip, host_port, proto FROM published_ports WHERE container_id != ?`).all(containerId) as {
      container_id: string;
      host_ip: string;
      host_port: number;
      proto: 'tcp' | 'udp';
    }[]).map((r) => ({ containerId: r.container_id, ip: r.host_ip, port: r.host_port, proto: r.proto }));
  },
  hold(db: DB, p: PublishedPort): void {
    db.prepare(`INSERT INTO published_ports (container_id, host_ip, host_port, proto) VALUES (?, ?, ?, ?)`).run(p.containerId, p.ip, p.port, p.proto);
  },
  release(db: DB, containerId: string): void {
    db.prepare(`DELETE FROM published_ports WHERE container_id = ?`).run(containerId);
  },
};
