import { InvalidArgumentError } from '../../engine/index.js';

/** `slipway system service [ADDRESS] [--socket PATH] [--time SECONDS]`. */
export async function serviceAction(address: string | undefined, o: { socket?: string; time: string }): Promise<void> {
  if (address && o.socket) throw new InvalidArgumentError('give either an address or --socket, not both');
  if (!/^\d+$/.test(o.time.trim())) throw new InvalidArgumentError(`invalid --time ${o.time}: give whole seconds (0 = never exit)`);
  const { runService } = await import('../../api/service.js');
  await runService({ address: address ?? o.socket, idleSeconds: Number(o.time) });
}
