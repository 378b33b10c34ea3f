// A structural check of an OpenTelemetry Collector configuration without a Collector: what `otelcol validate`
// would refuse among the things deploy/ writes. Every component a pipeline or `service.extensions` names is
// defined; every defined component is used; each component's type exists in the distribution and its top-level
// keys are ones it has; tail_sampling policies have a known type and its settings; k8sattributes associates on
// attributes it extracts. Values of the shared config packages (endpoints, TLS, queues) are not checked.
// The table: test/fixtures/deploy-schemas/otelcol-components.json.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';

type Kind = 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors';
const KINDS: Kind[] = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'];

interface Table {
  distributions: Record<string, Record<Kind, Record<string, string[]>>>;
  otlpReceiverProtocols: string[];
  tailSamplingPolicyTypes: string[];
  statusCodes: string[];
  k8sattributesMetadata: string[];
  k8sattributesDefaultMetadata: string[];
  k8sattributesContainerMetadata: string[];
}

export const COMPONENTS: Table = JSON.parse(
  readFileSync(join(REPO, 'test/fixtures/deploy-schemas/otelcol-components.json'), 'utf8'),
) as Table;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** `otlp/jaeger` → `otlp` */
const typeOf = (id: string) => id.split('/')[0];

/** Everything wrong with `config` for the named distribution, one sentence each (empty: nothing found). */
export function collectorConfigProblems(config: unknown, distribution: string): string[] {
  const known = COMPONENTS.distributions[distribution];
  const problems: string[] = [];
  const root = asObj(config);
  for (const key of Object.keys(root))
    if (![...KINDS, 'service'].includes(key)) problems.push(`unknown top-level section "${key}"`);

  const defined = new Map<Kind, Obj>(KINDS.map((k) => [k, asObj(root[k])]));
  const used = new Set<string>();
  const service = asObj(root.service);
  const reference = (kind: Kind, id: unknown, where: string) => {
    if (typeof id !== 'string' || !(id in (defined.get(kind) ?? {})))
      problems.push(`${where} names ${kind.slice(0, -1)} "${String(id)}", which is not defined`);
    else used.add(`${kind}:${id}`);
  };
  for (const id of asList(service.extensions)) reference('extensions', id, 'service.extensions');
  const pipelines = asObj(service.pipelines);
  if (Object.keys(pipelines).length === 0) problems.push('service.pipelines is empty');
  for (const [name, p] of Object.entries(pipelines)) {
    const pipeline = asObj(p);
    for (const key of Object.keys(pipeline))
      if (!['receivers', 'processors', 'exporters'].includes(key))
        problems.push(`pipeline ${name}: unknown key "${key}"`);
    if (asList(pipeline.receivers).length === 0) problems.push(`pipeline ${name} has no receivers`);
    if (asList(pipeline.exporters).length === 0) problems.push(`pipeline ${name} has no exporters`);
    for (const kind of ['receivers', 'processors', 'exporters'] as const)
      for (const id of asList(pipeline[kind])) reference(kind, id, `pipeline ${name}`);
  }

  for (const kind of KINDS)
    for (const [id, settings] of Object.entries(defined.get(kind) ?? {})) {
      if (!used.has(`${kind}:${id}`)) problems.push(`${kind.slice(0, -1)} "${id}" is defined but no pipeline uses it`);
      const keys = known[kind][typeOf(id)];
      if (!keys) {
        problems.push(`${kind.slice(0, -1)} type "${typeOf(id)}" is not in the ${distribution} distribution`);
        continue;
      }
      for (const key of Object.keys(asObj(settings)))
        if (!keys.includes(key)) problems.push(`${id}: unknown key "${key}"`);
    }

  for (const [id, settings] of Object.entries(defined.get('receivers') ?? {}))
    if (typeOf(id) === 'otlp')
      for (const p of Object.keys(asObj(asObj(settings).protocols)))
        if (!COMPONENTS.otlpReceiverProtocols.includes(p)) problems.push(`${id}: unknown protocol "${p}"`);
  for (const [id, settings] of Object.entries(defined.get('processors') ?? {})) {
    if (typeOf(id) === 'tail_sampling') problems.push(...tailSamplingProblems(id, asObj(settings)));
    if (typeOf(id) === 'k8sattributes') problems.push(...k8sattributesProblems(id, asObj(settings)));
  }
  return problems;
}

function tailSamplingProblems(id: string, settings: Obj): string[] {
  const problems: string[] = [];
  const policies = asList(settings.policies);
  if (policies.length === 0) problems.push(`${id}: no policies (it would drop every trace)`);
  for (const [i, p] of policies.entries()) {
    const policy = asObj(p);
    const type = policy.type;
    if (typeof type !== 'string' || !COMPONENTS.tailSamplingPolicyTypes.includes(type)) {
      problems.push(`${id}: policy ${i} has unknown type "${String(type)}"`);
      continue;
    }
    for (const key of Object.keys(policy))
      if (!['name', 'type', type].includes(key)) problems.push(`${id}: policy ${i} (${type}) has stray key "${key}"`);
    if (type === 'status_code')
      for (const code of asList(asObj(policy.status_code).status_codes))
        if (!COMPONENTS.statusCodes.includes(String(code)))
          problems.push(`${id}: unknown status code "${String(code)}"`);
  }
  return problems;
}

function k8sattributesProblems(id: string, settings: Obj): string[] {
  const problems: string[] = [];
  const extract = asObj(settings.extract);
  const metadata = asList(extract.metadata).map(String);
  for (const m of metadata)
    if (!COMPONENTS.k8sattributesMetadata.includes(m)) problems.push(`${id}: unknown metadata "${m}"`);
  const extracted = metadata.length > 0 ? metadata : COMPONENTS.k8sattributesDefaultMetadata;
  for (const [i, a] of asList(settings.pod_association).entries())
    for (const s of asList(asObj(a).sources)) {
      const source = asObj(s);
      if (source.from === 'connection') continue;
      if (source.from !== 'resource_attribute') {
        problems.push(`${id}: association ${i} has unknown source "${String(source.from)}"`);
        continue;
      }
      const name = String(source.name);
      // the processor matches only on attributes it extracts; container.id needs a container attribute extracted
      if (name === 'container.id') {
        if (!extracted.some((m) => COMPONENTS.k8sattributesContainerMetadata.includes(m)))
          problems.push(`${id}: association on container.id needs a container attribute in extract.metadata`);
      } else if (!extracted.includes(name))
        problems.push(`${id}: association ${i} on "${name}", which extract.metadata does not extract`);
    }
  return problems;
}
