import type { Command } from 'commander';
import { trace } from '../../engine/index.js';
import { collect } from '../program.js';

const act = () => trace('load the verb\'s code', () => import('../actions/images.js'));

/** docker's image verbs, top-level and under `image`. */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('Manage images');

  const defineLoad = (c: Command): void => {
    c.description('Load an image from a tar archive (docker-archive or OCI layout, plain or gzip) or STDIN')
      .option('-i, --input <file>', 'read from tar archive file, instead of STDIN')
      .option('-q, --quiet', 'suppress the load output')
      .action(async (o) => (await act()).load(o));
  };
  defineLoad(program.command('load'));
  defineLoad(image.command('load'));

  const defineSave = (c: Command): void => {
    c.description('Save one or more images to a tar archive (streamed to STDOUT by default)')
      .argument('<image...>')
      .option('-o, --output <file>', 'write to a file, instead of STDOUT')
      .option('--format <format>', 'docker-archive or oci-archive', 'docker-archive')
      .action(async (imgs: string[], o) => (await act()).save(imgs, o));
  };
  defineSave(program.command('save'));
  defineSave(image.command('save'));

  const defineImport = (c: Command): void => {
    c.description('Import the contents from a tarball to create a filesystem image')
      .argument('<file>', 'a root filesystem tar (plain or gzip), or - for STDIN')
      .argument('[repository]', 'REPOSITORY[:TAG] for the new image')
      .option('-c, --change <instruction>', 'apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)', collect, [])
      .option('-m, --message <message>', 'set commit message for imported image')
      .action(async (file: string, repo: string | undefined, o) => (await act()).importImage(file, repo, o));
  };
  defineImport(program.command('import'));
  defineImport(image.command('import'));

  image
    .command('seed')
    .description("Make busybox:latest from the host's busybox-static (no network needed)")
    .action(async () => (await act()).seed());

  const defineImages = (c: Command): void => {
    c.description('List images')
      .argument('[repository]', 'only images of this REPOSITORY[:TAG]')
      .option('-a, --all', 'show all images (default hides intermediate images)')
      .option('-q, --quiet', 'only show image IDs')
      .option('--no-trunc', "don't truncate output")
      .option('--digests', 'show digests')
      .option('-f, --filter <filter>', 'filter output based on conditions provided (dangling, label, reference, before, since, until)', collect, [])
      .option('--format <format>', 'format output using a Go template, "table", or "json"')
      .action(async (repo: string | undefined, o) => (await act()).images(repo, { ...o, noTrunc: o.trunc === false }));
  };
  defineImages(program.command('images'));
  defineImages(image.command('ls').alias('list'));

  const defineInspect = (c: Command, imageOnly: boolean): void => {
    c.description(imageOnly ? 'Display detailed information on one or more images' : 'Return low-level information on images or containers')
      .argument('<name...>')
      .option('-f, --format <format>', 'format output using a Go template')
      .option('-s, --size', 'display total file sizes (ignored: sizes are always shown)');
    if (!imageOnly) c.option('--type <type>', 'only inspect objects of this type (image, container or volume)');
    else c.option('--efficiency', 'show wasted bytes, the efficiency score and the largest files (--format table or json)');
    c.action(async (names: string[], o) =>
      o.efficiency ? (await import('../actions/efficiency.js')).efficiency(names, o) : (await act()).inspect(names, { ...o, imageOnly }));
  };
  defineInspect(program.command('inspect'), false);
  defineInspect(image.command('inspect'), true);
  image.command('why-size')
    .description('Show why an image is this big: wasted bytes, efficiency, largest files, the Dockerfile line of each layer')
    .argument('<image...>')
    .option('--format <format>', 'table (default) or json')
    .action(async (names: string[], o) => (await import('../actions/efficiency.js')).efficiency(names, o));

  const defineHistory = (c: Command): void => {
    c.description('Show the history of an image')
      .argument('<image>')
      .option('-H, --human [bool]', 'print sizes and dates in human readable format (-H=false for raw)', true)
      .option('-q, --quiet', 'only show image IDs')
      .option('--no-trunc', "don't truncate output")
      .option('--format <format>', 'format output using a Go template')
      .action(async (img: string, o) => (await act()).history(img, { ...o, noTrunc: o.trunc === false }));
  };
  defineHistory(program.command('history'));
  defineHistory(image.command('history'));

  const defineTag = (c: Command): void => {
    c.description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
      .argument('<source>')
      .argument('<target>')
      .action(async (s: string, t: string) => (await act()).tag(s, t));
  };
  defineTag(program.command('tag'));
  defineTag(image.command('tag'));

  const defineRmi = (c: Command): void => {
    c.description('Remove one or more images')
      .argument('<image...>')
      .option('-f, --force', 'force removal of the image')
      .option('--no-prune', 'do not delete untagged parents (accepted for compatibility)')
      .action(async (imgs: string[], o) => (await act()).rmi(imgs, o));
  };
  defineRmi(program.command('rmi'));
  defineRmi(image.command('rm').alias('remove'));

  image
    .command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'remove all unused images, not just dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. "until=<timestamp>", "label=k=v")', collect, [])
    .action(async (o) => (await act()).imagePrune(o));
}
