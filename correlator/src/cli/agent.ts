// `nullspan agent`: host-wide tracing until SIGINT/SIGTERM. The probe adopts every process that writes a marker
// (`markers: 'all'`), children followed; admission.ts reads each new process's identity from /proc and applies
// the --include-*/--exclude-* selection; the outputs are those of `run`. Nothing is snapshotted at start: a process
// that was running (or had /dev/null open) before the agent is picked up at its next marker.

import { Admission, selectedNow, type AdmissionCounts } from './admission.js';
import { LiveTrace, openProbe, probeOptions } from './live.js';
import type { CliOptions } from './options.js';
import { selectionFromOptions, type Selection } from './selection.js';
import { loadProbe } from './setup-check.js';
import { nextStopSignal } from './signals.js';
import { isRunning } from '../state/snapshot.js';
import { Terminal } from './terminal.js';

export async function agentCommand(o: CliOptions): Promise<number> {
  const mod = await loadProbe();
  const selection = selectionFromOptions(o);
  const adoptCgroups = kernelAdoptCgroups(mod, selection);
  let admission: Admission | undefined;
  const probe = openProbe(mod, {
    ...probeOptions(o, []),
    markers: 'all',
    ...(adoptCgroups ? { adoptCgroups } : {}),
    // an SDK whose slot is acknowledged writes markers and runs its async hook: only processes the agent traces
    acknowledge: (pid) => admission?.acknowledges(pid) ?? selectedNow(selection, pid, process.pid),
  });
  const term = new Terminal();
  if (adoptCgroups === undefined && selection.includeCgroup.length > 0)
    term.notice(
      'agent: --include-cgroup is applied after adoption only (the kernel can check up to ' +
        `${mod.ADOPT_CGROUPS_MAX} existing cgroup v2 directories when they are the only includes), so a process ` +
        'gone before its identity is read is not traced.',
    );
  const live = new LiveTrace(
    mod,
    probe,
    o,
    term,
    { version: 1, processes: [] },
    { command: 'agent' },
    {
      // the OTLP file is read while the agent runs: spans reach it within a second, as they reach the endpoint
      fileDelayMs: 1000,
      admission: (session) =>
        (admission = new Admission(
          selection,
          {
            knows: (pid) => session.correlator.knowsProcess(pid),
            seed: (snapshot) => {
              session.correlator.seed({ version: 1, processes: [snapshot] });
              live.noteProcesses([snapshot]);
            },
            exclude: (pid) => {
              try {
                probe.excludePid(pid);
              } catch {
                // gone already: the kernel forgets it at its exit
              }
            },
            discovered: (snapshot) => {
              // a node process found running: its libuv uprobes, as `attach` gives them (worker-thread attribution)
              if (!mod.isNodeBinary(snapshot.exePath)) return;
              const why = probe.attachLibuv(snapshot.exePath, snapshot.pid);
              // a process that was gone already (a short-lived one, or a zombie) needs no sentence; its state, not
              // its `exe` link, which needs ptrace access the capability set lacks for some processes
              if (why !== null && isRunning(snapshot.pid))
                term.notice(`libuv worker attribution is off for ${snapshot.exePath}: ${why}`);
            },
          },
          process.pid,
          adoptCgroups !== undefined,
        )),
    },
  );

  const stop = nextStopSignal();
  let reason = 'tracing stopped';
  try {
    await live.start();
    term.notice('agent: tracing every process that writes a marker from now on; stop with SIGTERM or Ctrl-C.');
    await Promise.race([
      stop.signal.then((signal) => {
        reason = `tracing stopped by ${signal}`;
      }),
      live.pumped,
    ]);
  } finally {
    await live.stop(reason);
    stop.dispose();
    if (admission) term.notice(admissionText(admission.counts));
  }
  await live.session.closeUi();
  return 0;
}

type ProbeModule = typeof import('@nullspan/probe');

/** The --include-cgroup directories the kernel can check at adoption: only when they are the only includes (an
 * executable or container include admits processes anywhere), each is a cgroup v2 directory now, and they fit.
 * Ids are read now: a directory removed and made again later (a restarted unit) is a new cgroup the kernel does
 * not know — include its parent to follow such a cgroup. */
function kernelAdoptCgroups(mod: ProbeModule, s: Selection): string[] | undefined {
  const paths = s.includeCgroup;
  if (paths.length === 0 || paths.length > mod.ADOPT_CGROUPS_MAX) return undefined;
  if (s.includeExe.length + s.includeContainer.length > 0) return undefined;
  return paths.every((p) => mod.isCgroupV2(p)) ? [...paths] : undefined;
}

function admissionText(c: AdmissionCounts): string {
  return (
    `agent: ${c.discovered} processes discovered, ${c.excluded} excluded, ${c.unidentified} gone before their ` +
    `identity could be read` +
    (c.evicted > 0 ? `, ${c.evicted} decisions forgotten over the table's bound` : '') +
    '.'
  );
}
