import { copyFromContainer, copyToContainer, humanSize, InvalidArgumentError, splitCpArg } from '../../engine/index.js';
import { withEngine } from './with-engine.js';

/** docker cp: CONTAINER:SRC DEST|-, or SRC|- CONTAINER:DEST (cli/command/container/cp.go). */
export async function cp(src: string, dest: string, o: { archive?: boolean; followLink?: boolean; quiet?: boolean }): Promise<void> {
  if (src === '') throw new InvalidArgumentError('source can not be empty');
  if (dest === '') throw new InvalidArgumentError('destination can not be empty');
  const from = splitCpArg(src);
  const to = splitCpArg(dest);
  if (from.container !== undefined && to.container !== undefined) throw new InvalidArgumentError('copying between containers is not supported');
  if (from.container === undefined && to.container === undefined) throw new InvalidArgumentError('must specify at least one container source');
  // docker reports what it copied only to a terminal
  const report = !o.quiet && process.stdout.isTTY && dest !== '-';
  await withEngine(async (engine) => {
    if (from.container !== undefined) {
      const n = await copyFromContainer(engine, from.container, from.path, to.path, { followLink: o.followLink });
      if (report) process.stderr.write(`Successfully copied ${humanSize(n)} to ${to.path}\n`);
    } else {
      const n = await copyToContainer(engine, to.container!, from.path, to.path, { followLink: o.followLink, copyUIDGID: o.archive });
      if (report) process.stderr.write(`Successfully copied ${humanSize(n)} to ${to.container}:${to.path}\n`);
    }
  });
}
