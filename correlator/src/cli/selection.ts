// Which processes `nullspan agent` traces: --include-*/--exclude-* by executable name, cgroup path prefix and
// container id. Pure: a process's identity in, a yes or no out.

import { cgroupUnder } from '../state/cgroup.js';
import type { CliOptions } from './options.js';

export interface Selection {
  includeExe: readonly string[];
  excludeExe: readonly string[];
  includeCgroup: readonly string[];
  excludeCgroup: readonly string[];
  includeContainer: readonly string[];
  excludeContainer: readonly string[];
}

/** What selection looks at; a field is undefined when it could not be read (the process was gone). */
export interface ProcessIdentity {
  exe: string;
  cgroup?: string;
  containerId?: string;
}

/** No include or exclude option given: every process is traced. */
export const EVERY_PROCESS: Selection = {
  includeExe: [],
  excludeExe: [],
  includeCgroup: [],
  excludeCgroup: [],
  includeContainer: [],
  excludeContainer: [],
};

export function selectionFromOptions(o: CliOptions): Selection {
  return {
    includeExe: o.includeExe,
    excludeExe: o.excludeExe,
    includeCgroup: o.includeCgroup,
    excludeCgroup: o.excludeCgroup,
    includeContainer: o.includeContainer.map((id) => id.toLowerCase()),
    excludeContainer: o.excludeContainer.map((id) => id.toLowerCase()),
  };
}

function hasIncludes(s: Selection): boolean {
  return s.includeExe.length + s.includeCgroup.length + s.includeContainer.length > 0;
}

/** A container id given on the command line may be the short form docker prints (a prefix). */
function containerMatches(id: string | undefined, given: readonly string[]): boolean {
  return id !== undefined && given.some((g) => id.startsWith(g));
}

function cgroupMatches(path: string | undefined, given: readonly string[]): boolean {
  return path !== undefined && given.some((prefix) => cgroupUnder(path, prefix));
}

/** Excludes win; with any include given, a process must match one of them. */
export function selects(s: Selection, p: ProcessIdentity): boolean {
  if (
    s.excludeExe.includes(p.exe) ||
    cgroupMatches(p.cgroup, s.excludeCgroup) ||
    containerMatches(p.containerId, s.excludeContainer)
  )
    return false;
  if (!hasIncludes(s)) return true;
  return (
    s.includeExe.includes(p.exe) ||
    cgroupMatches(p.cgroup, s.includeCgroup) ||
    containerMatches(p.containerId, s.includeContainer)
  );
}
