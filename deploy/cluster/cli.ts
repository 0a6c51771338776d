/**
 * `npm run cluster -- up|down|status|build`: the production shape on this machine (PostgreSQL and the
 * four Temporal services as separate processes, all on 127.0.0.1). See README "Scaling out".
 */
import { ClusterError, LocalCluster, TEMPORAL_SERVER_VERSION } from './local-cluster.js';

const USAGE =
  'usage: npm run cluster -- up|down|status|remove|build   (data folder: ${CASCADE_DATA_DIR:-.data}/cluster)';

async function main(command: string | undefined): Promise<number> {
  const cluster = new LocalCluster({ log: (line) => console.log(line) });
  switch (command) {
    case 'build':
      // The server binaries only (CI runs this before the tests); reused when present.
      await cluster.ensureBinaries();
      console.log(
        `Temporal server ${TEMPORAL_SERVER_VERSION}: ${cluster.serverBin}, SQL tool: ${cluster.sqlToolBin}`,
      );
      return 0;
    case 'up':
      await cluster.up();
      console.log(`\nTemporal:   ${cluster.address} (namespace default)`);
      console.log(`Data:       ${cluster.dataDir} (logs/, pids/)`);
      console.log(
        `PostgreSQL: ${cluster.pgDataDir}${cluster.postgres.runAs ? ` (as ${cluster.postgres.runAs.name})` : ''}, log ${cluster.logFile('postgresql')}`,
      );
      console.log(
        'Next:       TEMPORAL_ADDRESS=' + cluster.address + ' spacelift-cascade worker (and webhook)',
      );
      console.log('Stop:       npm run cluster -- down (and delete its data: npm run cluster -- remove)');
      return 0;
    case 'down': {
      const stopped = await cluster.down();
      if (stopped.length === 0) console.log(`nothing of ${cluster.dataDir} was running`);
      return 0;
    }
    case 'remove':
      // Stops it and deletes its data, PostgreSQL's included: the next `up` starts from a fresh database.
      await cluster.remove();
      return 0;
    case 'status': {
      for (const [part, pid] of Object.entries(cluster.status()))
        console.log(`${part.padEnd(10)} ${pid === null ? 'stopped' : `running (pid ${pid})`}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv[2]);
} catch (err) {
  if (!(err instanceof ClusterError)) throw err;
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
}
