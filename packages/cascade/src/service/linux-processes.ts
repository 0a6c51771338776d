import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * What Linux's /proc tells about processes: who listens on a TCP port (the listening socket's
 * inode in /proc/net/tcp{,6}, the processes whose file descriptors point at it), command lines,
 * parents and start times. Everything here answers "cannot tell" (null) rather than throw: it
 * only enriches an error message or double-checks a pid, and /proc may be missing (macOS),
 * hidden (hardened containers) or show other users' processes without their descriptors.
 */

export interface ProcOptions {
  /** Where procfs is mounted; tests point it elsewhere to see the unreadable case. */
  procRoot?: string;
}

/** A process that holds a port, and the `spacelift-cascade` it belongs to, if any. */
export interface PortHolder {
  pid: number;
  /** Its command line, arguments joined by spaces (shortened when very long). */
  command: string;
  /** The holder itself or its nearest ancestor that is a `spacelift-cascade` process; null if none. */
  cascade: { pid: number; command: string } | null;
}

const MAX_COMMAND_CHARS = 300;
/** Parent links followed at most (a loop in /proc cannot happen, a very deep tree can). */
const MAX_ANCESTORS = 64;
/** The socket state LISTEN in /proc/net/tcp. */
const TCP_LISTEN = '0A';

/**
 * Whether a command line is the `spacelift-cascade` CLI: the installed bin, the built CLI, or
 * the sources run through tsx (how the repository's scripts and tests run it).
 */
export function isCascadeCommand(argv: readonly string[]): boolean {
  return argv.some(
    (arg) =>
      /(^|\/)spacelift-cascade(\.js)?$/.test(arg) ||
      arg.endsWith('packages/cascade/src/cli.ts') ||
      arg.endsWith('packages/cascade/dist/cli.js'),
  );
}

/** Inodes of the sockets listening on `port` (any address, IPv4 or IPv6); null if unreadable. */
async function listeningSocketInodes(port: number, options: ProcOptions = {}): Promise<Set<string> | null> {
  const root = options.procRoot ?? '/proc';
  const inodes = new Set<string>();
  let readAny = false;
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`${root}/net/${table}`, 'utf8').catch(() => null);
    if (text === null) continue;
    readAny = true;
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (!local || !inode || fields[3] !== TCP_LISTEN) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(inode);
    }
  }
  return readAny ? inodes : null;
}

/** Pids whose open file descriptors include one of `inodes` (only processes we may inspect). */
async function pidsHoldingSockets(inodes: Set<string>, options: ProcOptions = {}): Promise<number[]> {
  const root = options.procRoot ?? '/proc';
  if (inodes.size === 0) return [];
  const entries = await readdir(root).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`${root}/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`${root}/${entry}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/** A process's arguments; null when it is gone or hidden. */
async function commandLineOf(pid: number, options: ProcOptions = {}): Promise<string[] | null> {
  const raw = await readFile(`${options.procRoot ?? '/proc'}/${pid}/cmdline`, 'utf8').catch(() => null);
  if (raw === null || raw === '') return null;
  return raw.split('\0').filter((arg) => arg !== '');
}

/** Fields of /proc/<pid>/stat from the state on (field 3 is index 0); null when unreadable. */
async function statFieldsOf(pid: number, options: ProcOptions): Promise<string[] | null> {
  const stat = await readFile(`${options.procRoot ?? '/proc'}/${pid}/stat`, 'utf8').catch(() => null);
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
  return stat === null
    ? null
    : stat
        .slice(stat.lastIndexOf(')') + 1)
        .trim()
        .split(/\s+/);
}

/** A process's parent pid; null when it is gone, hidden or has none. */
async function parentPidOf(pid: number, options: ProcOptions = {}): Promise<number | null> {
  const ppid = Number((await statFieldsOf(pid, options))?.[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
}

/**
 * When a process started (ms since the epoch, to about 10 ms); null when /proc cannot tell.
 * Tells a pid that was reused by another process from the one that wrote a lock.
 */
export async function startTimeOf(pid: number, options: ProcOptions = {}): Promise<number | null> {
  const root = options.procRoot ?? '/proc';
  const ticks = Number((await statFieldsOf(pid, options))?.[19]);
  const stat = await readFile(`${root}/stat`, 'utf8').catch(() => '');
  const bootSeconds = Number(/^btime (\d+)$/m.exec(stat)?.[1]);
  if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return null;
  // Clock ticks of USER_HZ, 100 on every Linux architecture Node runs on.
  return bootSeconds * 1000 + ticks * 10;
}

/** `pid` followed by its parent, grandparent, ... as far as /proc tells. */
async function lineageOf(pid: number, options: ProcOptions = {}): Promise<number[]> {
  const lineage = [pid];
  for (let i = 0; i < MAX_ANCESTORS; i++) {
    const parent = await parentPidOf(lineage[lineage.length - 1]!, options);
    if (parent === null || lineage.includes(parent)) break;
    lineage.push(parent);
  }
  return lineage;
}

/** The process listening on `port`, with the `spacelift-cascade` it belongs to; null if unknown. */
export async function findPortHolder(port: number, options: ProcOptions = {}): Promise<PortHolder | null> {
  const inodes = await listeningSocketInodes(port, options);
  if (inodes === null) return null;
  const [pid] = await pidsHoldingSockets(inodes, options);
  if (pid === undefined) return null;
  const argv = await commandLineOf(pid, options);
  let cascade: PortHolder['cascade'] = null;
  for (const ancestor of await lineageOf(pid, options)) {
    const ancestorArgv = ancestor === pid ? argv : await commandLineOf(ancestor, options);
    if (ancestorArgv && isCascadeCommand(ancestorArgv)) {
      cascade = { pid: ancestor, command: shorten(ancestorArgv) };
      break;
    }
  }
  return { pid, command: argv ? shorten(argv) : '(command line hidden)', cascade };
}

/**
 * Whether the socket listening on `port` belongs to `pid` or one of its descendants (a wrapper
 * script may run the real server as its child). null when /proc cannot tell.
 */
export async function isPortHeldByProcessTree(
  port: number,
  pid: number,
  options: ProcOptions = {},
): Promise<boolean | null> {
  const inodes = await listeningSocketInodes(port, options);
  if (inodes === null || inodes.size === 0) return null;
  const holders = await pidsHoldingSockets(inodes, options);
  // Our own children's descriptors are always readable where /proc is: a listener we cannot
  // attribute belongs to someone else, unless /proc hides even ours.
  if (holders.length === 0)
    return (await readdir(`${options.procRoot ?? '/proc'}/self/fd`).catch(() => null)) ? false : null;
  for (const holder of holders) if ((await lineageOf(holder, options)).includes(pid)) return true;
  return false;
}

/** Keeps both ends of a long command line: the program first, what it was asked to do last. */
function shorten(argv: readonly string[]): string {
  // One line: an argument may hold newlines (`python3 -c "..."`), and this ends up in log lines.
  const command = argv.join(' ').replace(/\s+/g, ' ');
  if (command.length <= MAX_COMMAND_CHARS) return command;
  const half = Math.floor((MAX_COMMAND_CHARS - 1) / 2);
  return `${command.slice(0, half)}…${command.slice(-half)}`;
}
