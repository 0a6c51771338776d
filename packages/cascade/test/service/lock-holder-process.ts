/**
 * A process that holds a data folder's lock, as a `start` does: prints `locked <pid>` once it
 * holds it and releases it on SIGTERM. Argument: the data folder.
 */
import { acquireDataDirLock } from '../../src/service/data-dir-lock.js';

const lock = await acquireDataDirLock(process.argv[2]!);
process.once('SIGTERM', () => void lock.release().then(() => process.exit(0)));
// Only now: the test may send SIGTERM as soon as it reads this.
console.log(`locked ${process.pid}`);
// Alive until told otherwise.
setInterval(() => undefined, 1 << 30);
