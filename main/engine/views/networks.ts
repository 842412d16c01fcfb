import type { Engine } from '../engine.js';
import type { NetworkResource } from '../services/networks.js';

/** A network as the app lists it, with every container attached (running or not). */
export interface NetworkOverview {
  id: string;
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  created: string;
  builtin: boolean;
  containers: NetworkMember[];
}

export interface NetworkMember {
  id: string;
  name: string;
  state: string;
  /** "10.89.0.2/24" while it runs, "" otherwise */
  address: string;
  mac: string;
  aliases: string[];
}

const BUILTIN = new Set(['bridge', 'host', 'none']);

function overview(engine: Engine, n: NetworkResource): NetworkOverview {
  const members: NetworkMember[] = [];
  for (const rec of engine.containers.records()) {
    const ep = Object.values(engine.networks.containerEndpoints(rec)).find((e) => e.NetworkID === n.Id);
    if (!ep) continue;
    members.push({
      id: rec.id,
      name: rec.name,
      state: rec.state,
      address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '',
      mac: ep.MacAddress,
      aliases: ep.Aliases ?? [],
    });
  }
  members.sort((a, b) => a.name.localeCompare(b.name));
  const cfg = n.IPAM.Config[0];
  return {
    id: n.Id, name: n.Name, driver: n.Driver, subnet: cfg?.Subnet ?? '', gateway: cfg?.Gateway ?? '', internal: n.Internal, created: n.Created,
    builtin: BUILTIN.has(n.Name), containers: members,
  };
}

export function networkOverviews(engine: Engine): NetworkOverview[] {
  return engine.networks.list().map((n) => overview(engine, n));
}

export function networkOverview(engine: Engine, ref: string): NetworkOverview {
  return overview(engine, engine.networks.inspect(ref));
}
