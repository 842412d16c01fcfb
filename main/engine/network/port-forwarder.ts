/**
 * The rootless port forwarder (podman's rootlessport, in Node): one detached process per
 * container with published ports on a bridge network. It runs inside the store's rootless
 * network namespace, where the container addresses are; its listening sockets were bound in
 * the host's namespace by the CLI and handed over the IPC channel (a socket keeps the
 * namespace it was made in). Each TCP connection, and each UDP client, is relayed to
 * CONTAINER_IP:PORT. It exits when the CLI that starts it says "stop" or is SIGTERMed.
 *
 * Started as `node port-forwarder.cjs` (an entry of its own in the bundle), never imported.
 */
import { connect, type Server, type Socket } from 'node:net';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';

interface Listen {
  proto: 'tcp' | 'udp';
  /** where the container answers: its address on the network and the container port */
  target: { ip: string; port: number };
}

const UDP_IDLE_MS = 60_000;

function relayTcp(server: Server, target: Listen['target']): void {
  server.on('connection', (client: Socket) => {
    const upstream = connect({ host: target.ip, port: target.port });
    const done = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done);
    upstream.on('error', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
}

/** Every UDP client gets its own upstream socket, so the container's answers find their way back. */
function relayUdp(sock: UdpSocket, target: Listen['target']): void {
  const sessions = new Map<string, { up: UdpSocket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg: Buffer, from: RemoteInfo) => {
    const key = `${from.address}|${from.port}`;
    let s = sessions.get(key);
    if (!s) {
      const up = createSocket('udp4');
      up.on('message', (reply) => sock.send(reply, from.port, from.address));
      up.on('error', () => up.close());
      s = { up, timer: setTimeout(() => {}, 0) };
      sessions.set(key, s);
    }
    clearTimeout(s.timer);
    const session = s;
    session.timer = setTimeout(() => {
      session.up.close();
      sessions.delete(key);
    }, UDP_IDLE_MS);
    session.up.send(msg, target.port, target.ip);
  });
}

const listens: Listen[] = JSON.parse(process.env.SLIPWAY_FORWARD ?? '[]') as Listen[];
let received = 0;
process.on('message', (msg: { index: number }, handle: Server | UdpSocket | undefined) => {
  const l = listens[msg.index];
  if (!l || !handle) return;
  if (l.proto === 'tcp') relayTcp(handle as Server, l.target);
  else relayUdp(handle as UdpSocket, l.target);
  if (++received === listens.length) process.send?.('ready');
});
process.on('disconnect', () => {
  // the CLI that started us is done with the channel; the sockets are ours now
});
process.on('SIGTERM', () => process.exit(0));
