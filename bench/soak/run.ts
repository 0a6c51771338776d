/**
 * `node --conditions=source --import tsx bench/soak/run.ts`: the randomized fault soak (see
 * soak.ts). SOAK_SECONDS (default 600), SOAK_SEED (default: random, printed so a failure
 * replays exactly), SOAK_MAX_OUTAGE_SECONDS (default 60), SOAK_LAST_FAULT (a fault kind injected
 * once more after the last push), SOAK_BUILT=1 (the built bin, after `npm run build`, instead of
 * the source through tsx). Writes bench/results/soak.json, or soak-<SOAK_RESULT_NAME>.json.
 * Its baseline: the same estate and schedule's start, the service's memory and handles at the
 * start of each process lifetime against their end.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULT_KINDS, runSoak, type FaultKind } from './soak.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);

/** SOAK_LAST_FAULT: a fault kind injected once more after the last push (see `SoakOptions.lastFault`). */
function lastFaultOf(value: string | undefined): FaultKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(FAULT_KINDS as readonly string[]).includes(value))
    throw new Error(`SOAK_LAST_FAULT: unknown fault ${value} (one of ${FAULT_KINDS.join(', ')})`);
  return value as FaultKind;
}
const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const maxOutageMs = Number(process.env.SOAK_MAX_OUTAGE_SECONDS ?? 60) * 1000;
console.log(`soak: seed ${seed} (replay with SOAK_SEED=${seed}), ${seconds} s`);
const dataDir = await mkdtemp(join(tmpdir(), 'soak-'));
try {
  const report = await runSoak({
    seed,
    durationMs: seconds * 1000,
    maxOutageMs,
    dataDir,
    lastFault: lastFaultOf(process.env.SOAK_LAST_FAULT),
    built: process.env.SOAK_BUILT === '1',
    log: (l) => console.log(l),
  });
  const out = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(out, { recursive: true });
  const name = process.env.SOAK_RESULT_NAME ? `soak-${process.env.SOAK_RESULT_NAME}` : 'soak';
  const built = process.env.SOAK_BUILT === '1';
  await writeFile(
    join(out, `${name}.json`),
    `${JSON.stringify({ benchmark: 'soak', service: built ? 'built bin' : 'source (tsx)', report }, null, 2)}\n`,
  );
  console.log(
    `changes ${report.changes}, runs ${report.runs} (${report.ownRuns} by the cascade), pushes ${report.pushes}, ` +
      `faults ${JSON.stringify(report.faults)}; duplicates ${report.duplicates} (reruns after runs it could not know yet: ${report.rerunsAfterUnknowableRuns}), lost ${report.lost.length}, ` +
      `out-of-order ${report.outOfOrder} (${report.outOfOrderAny} counting upstream runs whose deliveries were just dropped), ` +
      `stuck ${report.stuck.length}, webhook disabled ${report.webhookDisabled}, blocked ${report.blocked} (all with a reason: ${report.blockedWithoutReason.length === 0}), ` +
      `time to quiet ${(report.timeToQuietMs / 1000).toFixed(1)} s after the last fault (${report.lastFault?.kind ?? 'none'}, ` +
      `${report.lastFault?.ownPart ? 'one of our own parts' : "Spacelift's"}), ` +
      `${(report.timeToQuietAfterLastPushMs / 1000).toFixed(1)} s after the last push`,
  );
  // One line per process lifetime (the soak kills and restarts the whole service).
  for (const pid of new Set(report.samples.map((s) => s.pid))) {
    const own = report.samples.filter((s) => s.pid === pid);
    const first = own[0]!;
    const last = own.at(-1)!;
    console.log(
      `  pid ${pid}, ${((last.at - first.at) / 1000).toFixed(0)} s, ${own.length} samples: ` +
        `RSS ${first.rssMb} -> ${last.rssMb} MB (max ${Math.max(...own.map((s) => s.rssMb))}), ` +
        `open handles ${first.openHandles} -> ${last.openHandles} (max ${Math.max(...own.map((s) => s.openHandles))})`,
    );
  }
  const failed =
    report.duplicates +
    report.lost.length +
    report.outOfOrder +
    report.stuck.length +
    report.blockedWithoutReason.length;
  process.exitCode = failed === 0 ? 0 : 1;
} finally {
  // A failure keeps the service's log and Temporal's SQLite file (the coordinator's history).
  if (process.exitCode === 0) await rm(dataDir, { recursive: true, force: true });
  else console.log(`kept ${dataDir} (service.log, temporal/temporal.sqlite) to look into`);
}
