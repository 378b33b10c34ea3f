// Reading the files under deploy/ the way the tests check them: YAML documents (strictly: duplicate keys and
// anything the parser warns about are errors), and the capability set the systemd unit and the DaemonSet grant.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './cli.js';

export const DEPLOY = join(REPO, 'deploy');
export const UNIT = join(DEPLOY, 'systemd/nullspan-agent.service');
export const AGENT_MANIFEST = join(DEPLOY, 'kubernetes/agent.yaml');

/** Every document of a YAML file (or text) as plain data; throws one message naming the file on any error. */
export function yamlDocuments(path: string, text = readFileSync(path, 'utf8')): unknown[] {
  return parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true }).map((doc) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${path}: ${problems.map((p) => p.message).join('; ')}`);
    return doc.toJS({ maxAliasCount: 0 }) as unknown;
  });
}

/** `KEY=value` settings of a systemd unit section, in order (a key may repeat). */
export function unitSettings(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1];
    else if (current === section) {
      const eq = line.indexOf('=');
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}

/** The capabilities the unit gives the agent (AmbientCapabilities=), as `CAP_*` names. */
export function unitCapabilities(text = readFileSync(UNIT, 'utf8')): string[] {
  return unitSettings(text, 'Service')
    .filter(([k]) => k === 'AmbientCapabilities')
    .flatMap(([, v]) => v.split(/\s+/).filter(Boolean));
}

interface Manifest {
  kind?: string;
  spec?: { template?: { spec?: { containers?: { securityContext?: { capabilities?: { add?: string[] } } }[] } } };
}

/** The capabilities the DaemonSet's agent container adds, as `CAP_*` names. */
export function daemonSetCapabilities(path = AGENT_MANIFEST): string[] {
  const ds = (yamlDocuments(path) as Manifest[]).find((d) => d?.kind === 'DaemonSet');
  const add = ds?.spec?.template?.spec?.containers?.[0]?.securityContext?.capabilities?.add ?? [];
  return add.map((c) => `CAP_${c}`);
}
