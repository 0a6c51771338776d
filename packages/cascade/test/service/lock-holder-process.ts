/**
 * A process that holds a data folder's lock, as a `start` does: prints `locked <pid>` once it
 * holds it and releases it on SIGTERM. Argument: the data folder.
 */
import { acquireDataDirLock } from '../../src/service/data-dir-lock.js';

const lock = await acquireDataDirLock(process.argv[2]!);
console.log(`locked ${process.pid}`);
process.once('SIGTERM', () => void lock.release().then(() => process.exit(0)));
// Alive until told otherwise.
setInterval(() => undefined, 1 << 30);
