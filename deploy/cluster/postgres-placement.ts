/**
 * Where the local cluster's PostgreSQL keeps its files and as whom it runs. PostgreSQL refuses
 * to run as root, so as root it runs as the `postgres` user, who may not be able to enter the
 * clone (a `mktemp -d` folder, a 0700 home): then its data, log and working folder cannot be in
 * the clone. Pure (the caller reads the user and the file system), so a unit test covers it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The user PostgreSQL runs as when the cluster is started by root. */
export const POSTGRES_USER = 'postgres';
/** As root, PostgreSQL's folders go under this one (kept across reboots, unlike /tmp). */
export const DEFAULT_POSTGRES_ROOT = '/var/tmp';

/** The local cluster's PostgreSQL cannot run here; the message says what to do. */
export class PostgresPlacementError extends Error {
  override readonly name = 'PostgresPlacementError';
}

export interface PostgresPlacement {
  /** The user to run initdb, pg_ctl and the server as, and its ids (to own its files); null: the invoking user. */
  runAs: { name: string; uid: number; gid: number } | null;
  /** The folder holding what PostgreSQL writes: created for it, its own (as root: owned by `postgres`, 0700). */
  base: string;
  /** The data folder (`initdb -D`), also the unix socket folder. */
  dataDir: string;
  /** The server log (`pg_ctl -l`). */
  logFile: string;
  /** The working folder initdb and pg_ctl run in: one the user can enter (initdb goes back to it). */
  cwd: string;
}

export interface PlacementInput {
  /** The cluster's data folder (absolute), in the clone by default. */
  clusterDataDir: string;
  /** The invoking user's id. */
  uid: number;
  /** The `postgres` user, when there is one. */
  postgresUser: { uid: number; gid: number } | null;
  /** Where PostgreSQL's folder goes as root (default /var/tmp, or CASCADE_CLUSTER_POSTGRES_ROOT). */
  postgresRoot?: string;
}

/**
 * PostgreSQL's folder for a cluster data folder run as root:
 * `<root>/spacelift-cascade-cluster-<hash of the data folder>`, one per clone and data folder.
 */
export function postgresBaseFor(clusterDataDir: string, postgresRoot = DEFAULT_POSTGRES_ROOT): string {
  const hash = createHash('sha256').update(clusterDataDir).digest('hex').slice(0, 12);
  return join(postgresRoot, `spacelift-cascade-cluster-${hash}`);
}

/**
 * As a user other than root: PostgreSQL runs as that user, its files in the cluster's data folder
 * (`postgresql/`, `logs/postgresql.log`), as before. As root: as `postgres`, its files in a
 * folder of its own outside the clone ({@link postgresBaseFor}), run from that folder.
 */
export function placePostgres(input: PlacementInput): PostgresPlacement {
  if (input.uid !== 0) {
    return {
      runAs: null,
      base: input.clusterDataDir,
      dataDir: join(input.clusterDataDir, 'postgresql'),
      logFile: join(input.clusterDataDir, 'logs', 'postgresql.log'),
      cwd: input.clusterDataDir,
    };
  }
  if (input.postgresUser === null) {
    throw new PostgresPlacementError(
      `running as root, but there is no \`${POSTGRES_USER}\` user to run PostgreSQL as (PostgreSQL refuses root): ` +
        'install PostgreSQL from your distribution (`apt-get install -y postgresql-15` creates the user), ' +
        `or create it (\`useradd --system --home-dir /var/lib/postgresql ${POSTGRES_USER}\`), ` +
        'or run `npm run cluster -- up` as a user other than root',
    );
  }
  const base = postgresBaseFor(input.clusterDataDir, input.postgresRoot);
  return {
    runAs: { name: POSTGRES_USER, ...input.postgresUser },
    base,
    dataDir: join(base, 'postgresql'),
    logFile: join(base, 'postgresql.log'),
    cwd: base,
  };
}

/** What a check of an existing folder needs of its `lstat`. */
export interface FolderStat {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

/**
 * Why an existing PostgreSQL base cannot be used as root, or null when it can: it must be a
 * real folder (not a link someone planted in the shared /var/tmp), the `postgres` user's, and
 * closed to everybody else.
 */
export function postgresBaseProblem(base: string, stat: FolderStat, postgresUid: number): string | null {
  const fix = `remove it (\`rm -rf ${base}\`) and run \`npm run cluster -- up\` again`;
  if (stat.isSymbolicLink || !stat.isDirectory)
    return `${base} exists but is not a folder (a link or a file): ${fix}`;
  if (stat.uid !== postgresUid)
    return `${base} belongs to uid ${stat.uid}, not to the ${POSTGRES_USER} user (uid ${postgresUid}): ${fix}`;
  if ((stat.mode & 0o077) !== 0)
    return `${base} is open to other users (mode ${(stat.mode & 0o777).toString(8)}, PostgreSQL wants 700): ${fix}`;
  return null;
}
