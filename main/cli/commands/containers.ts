import { Command, Option } from 'commander';
import { trace } from '../../engine/index.js';
import { collect } from '../program.js';

const act = () => trace('load the verb\'s code', () => import('../actions/containers.js'));
const life = () => trace('load the verb\'s code', () => import('../actions/container-life.js'));

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`invalid number: ${v}`);
  return n;
};

/** The flags create and run share (docker's names; -h is --hostname, so help is --help only). */
function createFlags(c: Command): Command {
  return c
    .helpOption('--help', 'display help for command')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions()
    .option('--name <name>', 'assign a name to the container')
    .option('-e, --env <KEY=VALUE>', 'set environment variables', collect, [])
    .option('--env-file <file>', 'read in a file of environment variables', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container (created if missing)')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('-h, --hostname <name>', 'container host name')
    .option('--entrypoint <cmd>', 'overwrite the default ENTRYPOINT of the image')
    .option('-v, --volume <[SRC:]CTR[:OPTS]>', 'bind mount a host path or mount a volume (a name is created if missing; a bare path is an anonymous volume)', collect, [])
    .option('--mount <mount>', 'attach a filesystem mount: type=volume|bind|tmpfs,src=,dst=,readonly,volume-opt=,volume-nocopy,tmpfs-size=,tmpfs-mode=,bind-propagation=', collect, [])
    .option('--tmpfs <path[:opts]>', 'mount a tmpfs directory', collect, [])
    .option('--volumes-from <container[:ro|rw]>', 'mount volumes from the specified container(s)', collect, [])
    .option('--network <network>', 'connect a container to a network: a network\'s name (network create; bridge is the default bridge), none, host, or the default (pasta: own network namespace with outbound access)')
    .option('--network-alias <alias>', 'add a network-scoped alias for the container (its name on the network\'s DNS)', collect, [])
    .option('--ip <address>', 'IPv4 address on the network (e.g., 172.30.100.104)')
    .option('-p, --publish <[IP:][HOST:]CTR[/PROTO]>', 'publish a container\'s port to the host (binds 127.0.0.1 unless an IP is given)', collect, [])
    .option('-P, --publish-all', 'publish every exposed port to a free host port')
    .option('--add-host <NAME:IP>', 'add a custom host-to-IP mapping (IP may be host-gateway)', collect, [])
    .option('--dns <IP>', 'set custom DNS servers', collect, [])
    .option('--dns-search <domain>', 'set custom DNS search domains', collect, [])
    .option('--dns-option <option>', 'set DNS options', collect, [])
    .addOption(new Option('--net <mode>').hideHelp())
    .option('-m, --memory <bytes>', 'memory limit (e.g. 512m)')
    .option('--cpus <n>', 'number of CPUs')
    .option('--pids-limit <n>', 'tune container pids limit (-1 for unlimited)', int)
    .option('-l, --label <KEY=VALUE>', 'set meta data on a container', collect, [])
    .option('--stop-signal <signal>', 'signal to stop the container')
    .option('--stop-timeout <seconds>', 'timeout (in seconds) to stop a container', int)
    .option('--rm', 'automatically remove the container when it exits')
    .option('--restart <policy>', 'restart policy to apply when a container exits (no, on-failure[:max-retries], always, unless-stopped)')
    .option('-i, --interactive', 'keep STDIN open even if not attached')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-a, --attach <stream>', 'attach to STDIN, STDOUT or STDERR (repeatable)', collect, [])
    .option('--security-opt <option>', 'security options: no-new-privileges[=bool], seccomp=unconfined|FILE.json, apparmor=..., label=...', collect, [])
    .option('--cap-add <cap>', 'add Linux capabilities (NET_ADMIN, CAP_SYS_TIME, ALL)', collect, [])
    .option('--cap-drop <cap>', 'drop Linux capabilities', collect, [])
    .option('--privileged', 'give extended privileges: all capabilities and host devices, no seccomp or masked paths')
    .option('--read-only', "mount the container's root filesystem as read only")
    .option('--group-add <group>', 'add additional groups to join', collect, [])
    .option('--init', 'run an init inside the container that forwards signals and reaps processes')
    .option('--ulimit <name=soft[:hard]>', 'ulimit options (lowering only, unless this process may raise them)', collect, [])
    .option('--device <host[:ctr][:rwm]>', "add a host device to the container", collect, [])
    .option('--shm-size <bytes>', 'size of /dev/shm (default 64m)')
    .option('--sysctl <KEY=VALUE>', 'namespaced kernel parameters (net.*, kernel.msg*/sem/shm*, fs.mqueue.*)', collect, [])
    .option('--ipc <mode>', 'IPC mode: private, shareable, none, host, container:NAME')
    .option('--pid <mode>', 'PID namespace: host or container:NAME')
    .option('--uts <mode>', 'UTS namespace: host or container:NAME')
    .option('--cidfile <file>', 'write the container ID to the file')
    .option('--expose <port>', 'expose a port or a range of ports', collect, [])
    .option('--pull <policy>', 'pull image before running: always, missing, never', 'missing')
    .option('--platform <platform>', 'platform (only this host\'s, e.g. linux/amd64)')
    .option('-c, --cpu-shares <n>', 'CPU shares (relative weight)', int)
    .option('--cpuset-cpus <cpus>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--memory-swap <bytes>', "swap limit equal to memory plus swap: -1 for unlimited swap")
    .option('--memory-reservation <bytes>', 'memory soft limit')
    .option('--log-opt <KEY=VALUE>', 'log driver options: max-size (max-file 1)', collect, [])
    .option('--health-cmd <command>', 'command to run to check health (run with /bin/sh -c)')
    .option('--health-interval <duration>', 'time between running the check (ms|s|m|h) (default 30s)')
    .option('--health-timeout <duration>', 'maximum time to allow one check to run (ms|s|m|h) (default 30s)')
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy', int)
    .option('--health-start-period <duration>', 'start period for the container to initialize before failures count (ms|s|m|h) (default 0s)')
    .option('--health-start-interval <duration>', 'time between running the check during the start period (ms|s|m|h) (default 5s)')
    .option('--no-healthcheck', 'disable any container-specified HEALTHCHECK');
}

/** docker's container verbs, top-level and under `container`. */
export function registerContainerCommands(program: Command): void {
  const container = program.command('container').description('Manage containers');
  const both = (name: string, define: (c: Command) => void, alias?: string): void => {
    define(program.command(name));
    const sub = container.command(name);
    if (alias) sub.alias(alias);
    define(sub);
  };

  both('create', (c) =>
    createFlags(c.description('Create a new container'))
      .action(async (image: string, cmd: string[], o) => (await life()).create(image, cmd, o)),
  );
  both('run', (c) =>
    createFlags(c.description('Create and run a new container from an image'))
      .option('-d, --detach', 'run container in background and print container ID')
      .option('--sig-proxy [bool]', 'proxy received signals to the process (not with a tty)')
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container (default "ctrl-p,ctrl-q")')
      .action(async (image: string, cmd: string[], o) => (await life()).run(image, cmd, o)),
  );
  both('start', (c) =>
    c.description('Start one or more stopped containers')
      .argument('<container...>')
      .option('-a, --attach', "attach STDOUT/STDERR and forward signals")
      .option('-i, --interactive', "attach container's STDIN")
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
      .action(async (names: string[], o) => (await life()).start(names, o)),
  );
  both('attach', (c) =>
    c.description('Attach local standard input, output, and error streams to a running container')
      .argument('<container>')
      .option('--no-stdin', 'do not attach STDIN')
      .option('--sig-proxy [bool]', 'proxy all received signals to the process (not with a tty)')
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
      .action(async (name: string, o) => (await life()).attach(name, o)),
  );
  both('stop', (c) =>
    c.description('Stop one or more running containers')
      .argument('<container...>')
      .option('-t, --time <seconds>', 'seconds to wait before killing the container', int)
      .option('-s, --signal <signal>', 'signal to send to the container')
      .action(async (names: string[], o) => (await life()).stop(names, o)),
  );
  both('kill', (c) =>
    c.description('Kill one or more running containers')
      .argument('<container...>')
      .option('-s, --signal <signal>', 'signal to send to the container', 'KILL')
      .action(async (names: string[], o) => (await life()).kill(names, o)),
  );
  both('restart', (c) =>
    c.description('Restart one or more containers')
      .argument('<container...>')
      .option('-t, --time <seconds>', 'seconds to wait before killing the container', int)
      .action(async (names: string[], o) => (await life()).restart(names, o)),
  );
  both('wait', (c) =>
    c.description('Block until one or more containers stop, then print their exit codes')
      .argument('<container...>')
      .action(async (names: string[]) => (await life()).wait(names)),
  );
  both('update', (c) =>
    c.description('Update configuration of one or more containers')
      .argument('<container...>')
      .option('--cpus <n>', 'number of CPUs')
      .option('-c, --cpu-shares <n>', 'CPU shares (relative weight)', int)
      .option('--cpu-period <us>', 'limit CPU CFS (Completely Fair Scheduler) period', int)
      .option('--cpu-quota <us>', 'limit CPU CFS (Completely Fair Scheduler) quota', int)
      .option('--cpuset-cpus <cpus>', 'CPUs in which to allow execution (0-3, 0,1)')
      .option('-m, --memory <bytes>', 'memory limit')
      .option('--memory-swap <bytes>', 'swap limit equal to memory plus swap: -1 for unlimited swap')
      .option('--memory-reservation <bytes>', 'memory soft limit')
      .option('--pids-limit <n>', 'tune container pids limit (-1 for unlimited)', int)
      .option('--restart <policy>', 'restart policy to apply when a container exits')
      .action(async (names: string[], o) => (await life()).update(names, o)),
  );
  both('pause', (c) =>
    c.description('Pause all processes within one or more containers')
      .argument('<container...>')
      .action(async (names: string[]) => (await life()).pause(names, true)),
  );
  both('unpause', (c) =>
    c.description('Unpause all processes within one or more containers')
      .argument('<container...>')
      .action(async (names: string[]) => (await life()).pause(names, false)),
  );
  both('rm', (c) =>
    c.description('Remove one or more containers')
      .argument('<container...>')
      .option('-f, --force', 'force the removal of a running container (uses SIGKILL)')
      .option('-v, --volumes', 'remove anonymous volumes associated with the container')
      .action(async (names: string[], o) => (await life()).rm(names, o)),
  'remove');
  both('ps', (c) =>
    c.description('List containers')
      .option('-a, --all', 'show all containers (default shows just running)')
      .option('-q, --quiet', 'only display container IDs')
      .option('--no-trunc', "don't truncate output")
      .option('-f, --filter <filter>', 'filter output based on conditions provided', collect, [])
      .option('--format <format>', 'format output using a Go template, "table", or "json"')
      .option('-n, --last <n>', 'show n last created containers (includes all states)', int)
      .option('-l, --latest', 'show the latest created container (includes all states)')
      .action(async (o) => (await act()).ps({ ...o, noTrunc: o.trunc === false })),
  'ls');
  container.commands.find((c) => c.name() === 'ps')?.alias('list');
  both('logs', (c) =>
    c.description('Fetch the logs of a container')
      .argument('<container>')
      .option('-f, --follow', 'follow log output')
      .option('-t, --timestamps', 'show timestamps')
      .option('-n, --tail <n>', 'number of lines to show from the end of the logs', 'all')
      .option('--since <time>', 'show logs since a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
      .option('--until <time>', 'show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
      .action(async (name: string, o) => (await act()).logs(name, o)),
  );
  both('exec', (c) =>
    c.description('Execute a command in a running container')
      .argument('<container>')
      .argument('<command...>')
      .passThroughOptions()
      .option('-i, --interactive', 'keep STDIN open')
      .option('-t, --tty', 'allocate a pseudo-TTY')
      .option('-d, --detach', 'detached mode: run command in the background')
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
      .option('-e, --env <KEY=VALUE>', 'set environment variables', collect, [])
      .option('-w, --workdir <dir>', 'working directory inside the container')
      .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
      .action(async (name: string, cmd: string[], o) => (await act()).exec(name, cmd, o)),
  );
  both('top', (c) =>
    c.description('Display the running processes of a container')
      .argument('<container>')
      .argument('[ps options...]')
      .passThroughOptions()
      .allowUnknownOption()
      .action(async (name: string, ps: string[]) => (await act()).top(name, ps)),
  );
  both('stats', (c) =>
    c.description('Display a live stream of container(s) resource usage statistics')
      .argument('[container...]')
      .option('-a, --all', 'show all containers (default shows just running)')
      .option('--no-stream', 'disable streaming stats and only pull the first result')
      .option('--no-trunc', 'do not truncate output')
      .option('--format <format>', "format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
      .action(async (names: string[], o: { all?: boolean; stream?: boolean; trunc?: boolean; format?: string }) =>
        (await import('../actions/stats.js')).stats(names, { all: o.all, stream: o.stream, noTrunc: o.trunc === false, format: o.format })),
  );
  both('rename', (c) =>
    c.description('Rename a container')
      .argument('<container>')
      .argument('<new name>')
      .action(async (name: string, to: string) => (await act()).rename(name, to)),
  );
  both('diff', (c) =>
    c.description("Inspect changes to files or directories on a container's filesystem")
      .argument('<container>')
      .action(async (name: string) => (await act()).diff(name)),
  );
  both('cp', (c) =>
    c.description("Copy files/folders between a container and the local filesystem ('-' is a tar stream on stdin or stdout)")
      .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       slipway cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
      .argument('<src>')
      .argument('<dest>')
      .option('-a, --archive', 'archive mode (copy all uid/gid information)')
      .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
      .option('-q, --quiet', 'suppress progress output during copy (it is only shown on a terminal)')
      .action(async (src: string, dest: string, o) => (await import('../actions/cp.js')).cp(src, dest, o)),
  );
  both('export', (c) =>
    c.description("Export a container's filesystem as a tar archive")
      .argument('<container>')
      .option('-o, --output <file>', 'write to a file, instead of STDOUT')
      .action(async (name: string, o) => (await act()).exportFs(name, o)),
  );
  both('commit', (c) =>
    c.description("Create a new image from a container's changes")
      .argument('<container>')
      .argument('[repository]', 'REPOSITORY[:TAG]')
      .option('-m, --message <message>', 'commit message')
      .option('-a, --author <author>', 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
      .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image', collect, [])
      .option('-p, --pause [bool]', 'pause container during commit', 'true')
      .action(async (name: string, repo: string | undefined, o) => (await act()).commit(name, repo, o)),
  );
  container
    .command('inspect')
    .description('Display detailed information on one or more containers')
    .argument('<container...>')
    .option('-f, --format <format>', 'format output using a Go template')
    .action(async (names: string[], o) => (await act()).inspect(names, o));
  container
    .command('prune')
    .description('Remove all stopped containers')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. "until=<timestamp>", "label=<key>=<value>")', collect, [])
    .action(async (o) => (await act()).prune(o));
  program
    .command('events')
    .description('Get real time events from the store')
    .option('--since <time>', 'show all events created since timestamp')
    .option('--until <time>', 'stream events until this timestamp')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect, [])
    .option('--format <format>', 'format output using a Go template')
    .action(async (o) => (await act()).events(o));
  program
    .addCommand(
      new Command('container-cleanup')
        .description("record a container's exit (run by conmon as its exit command)")
        .argument('<id>')
        .addOption(new Option('--store <root>', 'the store root').hideHelp())
        .action(async (id: string, o: { store?: string }) => (await life()).cleanup(id, o.store)),
      { hidden: true },
    )
    .addCommand(
      new Command('container-health')
        .description("run the store's healthchecks while containers with one run (started detached by start)")
        .addOption(new Option('--store <root>', 'the store root').hideHelp())
        .action(async (o: { store?: string }) => (await life()).healthRunner(o.store)),
      { hidden: true },
    );
}
