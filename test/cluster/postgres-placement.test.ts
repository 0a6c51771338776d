import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterError, LocalCluster } from '../../deploy/cluster/local-cluster.js';
import {
  placePostgres,
  postgresBaseFor,
  postgresBaseProblem,
  PostgresPlacementError,
} from '../../deploy/cluster/postgres-placement.js';

/**
 * Where the local cluster keeps PostgreSQL's files. As root PostgreSQL runs as `postgres`, who
 * cannot enter a clone in a `mktemp -d` folder or a 0700 home: its files and working folder
 * must be elsewhere ("initdb failed: could not change directory to <clone>: Permission denied").
 */
const CLONE_DATA = '/root/work/clone/.data/cluster';
const POSTGRES = { uid: 101, gid: 103 };

describe('where PostgreSQL runs (pure)', () => {
  it('as a user other than root: as that user, its files in the cluster data folder', () => {
    expect(placePostgres({ clusterDataDir: CLONE_DATA, uid: 1000, postgresUser: POSTGRES })).toEqual({
      runAs: null,
      base: CLONE_DATA,
      dataDir: `${CLONE_DATA}/postgresql`,
      logFile: `${CLONE_DATA}/logs/postgresql.log`,
      cwd: CLONE_DATA,
    });
  });

  it('as root: as postgres, every file and the working folder outside the clone, one folder per clone', () => {
    const placed = placePostgres({ clusterDataDir: CLONE_DATA, uid: 0, postgresUser: POSTGRES });
    expect(placed.runAs).toEqual({ name: 'postgres', ...POSTGRES });
    expect(placed.base).toMatch(/^\/var\/tmp\/spacelift-cascade-cluster-[0-9a-f]{12}$/);
    expect(placed.base).toBe(postgresBaseFor(CLONE_DATA));
    for (const path of [placed.dataDir, placed.logFile, placed.cwd]) {
      expect(path.startsWith(`${placed.base}`), path).toBe(true);
      expect(path.startsWith('/root/'), path).toBe(false);
    }
    // Stable for a clone, distinct between clones (two clones never share a database).
    expect(placePostgres({ clusterDataDir: CLONE_DATA, uid: 0, postgresUser: POSTGRES }).base).toBe(
      placed.base,
    );
    expect(postgresBaseFor('/tmp/tmp.x1/repo/.data/cluster')).not.toBe(placed.base);
    expect(postgresBaseFor(CLONE_DATA, '/srv/pg')).toMatch(/^\/srv\/pg\/spacelift-cascade-cluster-/);
  });

  it('as root with no postgres user: says what to do', () => {
    const place = () => placePostgres({ clusterDataDir: CLONE_DATA, uid: 0, postgresUser: null });
    expect(place).toThrow(PostgresPlacementError);
    expect(place).toThrow(/apt-get install -y postgresql-15/);
    expect(place).toThrow(/useradd --system/);
    expect(place).toThrow(/as a user other than root/);
  });

  it("refuses a folder in the shared /var/tmp that is not postgres's own", () => {
    const base = '/var/tmp/spacelift-cascade-cluster-0123456789ab';
    const folder = { isDirectory: true, isSymbolicLink: false, uid: POSTGRES.uid, mode: 0o40700 };
    expect(postgresBaseProblem(base, folder, POSTGRES.uid)).toBeNull();
    expect(postgresBaseProblem(base, { ...folder, isSymbolicLink: true }, POSTGRES.uid)).toMatch(
      /is not a folder \(a link or a file\): remove it \(`rm -rf \/var\/tmp\/spacelift-cascade-cluster-0123456789ab`\)/,
    );
    expect(postgresBaseProblem(base, { ...folder, uid: 1000 }, POSTGRES.uid)).toMatch(
      /belongs to uid 1000, not to the postgres user \(uid 101\)/,
    );
    expect(postgresBaseProblem(base, { ...folder, mode: 0o40755 }, POSTGRES.uid)).toMatch(
      /open to other users \(mode 755, PostgreSQL wants 700\)/,
    );
  });
});

const isRoot = process.getuid?.() === 0;
const hasInitdb = ['17', '16', '15', '14', '13', '12'].some((v) =>
  existsSync(`/usr/lib/postgresql/${v}/bin/initdb`),
);

// Without PostgreSQL the cluster suite fails and says what to install; this one has nothing to run.
describe.skipIf(!hasInitdb)(
  'from a clone in a 0700 mktemp -d folder (a real initdb, no server started)',
  () => {
    const made: string[] = [];
    const cwd = process.cwd();
    afterEach(async () => {
      process.chdir(cwd);
      for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
    });

    /** A root of our own for PostgreSQL's folder (the real default is /var/tmp), open as /var/tmp is. */
    async function sharedRoot(): Promise<string> {
      const root = await mkdtemp('/var/tmp/cascade-pg-root-');
      made.push(root);
      await chmod(root, 0o1777);
      return root;
    }

    it("initdb runs in a folder PostgreSQL's user owns, whatever the working folder", async () => {
      const clone = await mkdtemp(join(tmpdir(), 'cascade-closed-clone-'));
      made.push(clone);
      expect(statSync(clone).mode & 0o777).toBe(0o700);
      const cluster = new LocalCluster({
        dataDir: join(clone, '.data', 'cluster'),
        postgresRoot: await sharedRoot(),
      });
      // The command runs from inside the clone, as `npm run cluster` would.
      process.chdir(clone);
      await cluster.initPostgres();
      const { base, dataDir, runAs } = cluster.postgres;
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      expect(
        (await readdir(base)).filter((f) => f.startsWith('.pw-')),
        'the password file is gone',
      ).toEqual([]);
      if (isRoot) {
        // As postgres, in its own 0700 folder; nothing of PostgreSQL's in the clone.
        expect(runAs?.name).toBe('postgres');
        expect(statSync(base).uid).toBe(runAs?.uid);
        expect(statSync(base).mode & 0o777).toBe(0o700);
        expect(statSync(dataDir).uid).toBe(runAs?.uid);
        expect(existsSync(join(clone, '.data', 'cluster', 'postgresql'))).toBe(false);
      } else {
        // As the invoking user, in the clone's data folder.
        expect(runAs).toBeNull();
        expect(dataDir).toBe(join(clone, '.data', 'cluster', 'postgresql'));
      }
      // Again: the database is there, nothing to do.
      await cluster.initPostgres();
      process.chdir(cwd);
      await cluster.remove();
      expect(existsSync(base)).toBe(false);
    });

    it('as root, a folder planted in the shared root is refused, saying how to clear it', async () => {
      const cluster = new LocalCluster({
        dataDir: '/nonexistent/clone/.data/cluster',
        postgresRoot: await sharedRoot(),
      });
      if (!isRoot) {
        // Not root: PostgreSQL's files stay in the data folder; nothing goes to the shared root.
        expect(cluster.postgres.base).toBe('/nonexistent/clone/.data/cluster');
        return;
      }
      // Someone else's folder where ours should be (root's, 0755).
      const { base } = cluster.postgres;
      spawnSync('mkdir', ['-m', '755', base]);
      const init = cluster.initPostgres();
      await expect(init).rejects.toThrow(ClusterError);
      await expect(init).rejects.toThrow(`rm -rf ${base}`);
    });
  },
);
