// The deployment files under deploy/ checked without running them (no container engine, Kubernetes, Collector or
// Jaeger here; systemd is installed but is not PID 1): each file parses, fits its format's schema, and the pieces
// agree with each other (ports, service names, config file names, the capability set). Every check has a negative
// case showing it rejects a typo. What each check can and cannot catch: deploy/README.md "What was tested".

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from './helpers/cli.js';
import { DEPLOY, UNIT, unitCapabilities, unitSettings, yamlDocuments } from './helpers/deploy-files.js';
import { schemaProblem, strictFieldProblems } from './helpers/k8s-manifests.js';
import { collectorConfigProblems } from './helpers/otelcol-config.js';
import { UsageError } from '../correlator/src/cli/errors.js';
import { parseCommandLine } from '../correlator/src/cli/options.js';

const tmp = tempDir('nullspan-deploy-');
afterAll(() => tmp.remove());

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const yamlFile = (rel: string) => yamlDocuments(join(DEPLOY, rel)) as Obj[];
const yamlOne = (rel: string) => yamlFile(rel)[0];
const portOf = (hostPort: string) => Number(hostPort.split(':').pop());

describe('systemd unit', () => {
  const verify = (path: string) => spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });

  it('passes `systemd-analyze verify` without a warning', () => {
    const r = verify(UNIT);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a typo in a directive is caught (negative case)', () => {
    const typo = join(tmp.dir, 'nullspan-agent.service');
    writeFileSync(typo, readFileSync(UNIT, 'utf8').replace('ProtectSystem=', 'ProtectSystm='));
    expect(verify(typo).stderr).toMatch(/Unknown key 'ProtectSystm'/);
  });

  it('bounds the capabilities to the granted set, and sets nothing that hides /proc or breaks Node', () => {
    const settings = unitSettings(readFileSync(UNIT, 'utf8'), 'Service');
    const get = (k: string) => settings.filter(([key]) => key === k).map(([, v]) => v);
    const caps = unitCapabilities();
    expect(get('CapabilityBoundingSet').flatMap((v) => v.split(/\s+/))).toEqual(caps);
    expect(get('NoNewPrivileges')).toEqual(['yes']);
    expect(get('Restart')).toEqual(['on-failure']);
    expect(get('ExecStart')[0]).toMatch(/ agent .*--log-format json/);
    // each of these would break tracing: other users' /proc entries hidden, or no JIT for Node
    for (const [k, bad] of [
      ['ProtectProc', /invisible|noaccess/],
      ['ProcSubset', /pid/],
      ['MemoryDenyWriteExecute', /yes|true/],
      ['PrivateNetwork', /yes|true/],
      ['PrivateUsers', /yes|true/],
    ] as const)
      for (const v of get(k)) expect(v, k).not.toMatch(bad);
  });
});

describe('Kubernetes manifests', () => {
  const kustomization = yamlOne('kubernetes/kustomization.yaml');
  const files: string[] = kustomization.resources;
  const objects = files.flatMap((f) => yamlFile(`kubernetes/${f}`).map((doc) => ({ file: f, doc })));
  const find = (kind: string, name?: string) =>
    objects.find((o) => o.doc.kind === kind && (name === undefined || o.doc.metadata.name === name))?.doc as Obj;

  it('every object fits the Kubernetes OpenAPI schema, with no unknown field', async () => {
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of objects) {
      expect(schemaProblem(doc), `${file} ${doc.kind}`).toBeUndefined();
      expect(strictFieldProblems(doc), `${file} ${doc.kind}`).toEqual([]);
      if (doc.kind !== 'Namespace' && doc.kind !== 'ClusterRole' && doc.kind !== 'ClusterRoleBinding')
        expect(doc.metadata.namespace, `${file} ${doc.kind}`).toBe(kustomization.namespace);
    }
  });

  it("rejects a typo'd field, a wrong type and a missing required field (negative cases)", async () => {
    const ds = structuredClone(find('DaemonSet'));
    ds.spec.template.spec.hostPid = true;
    expect(strictFieldProblems(ds)).toEqual(['/spec/template/spec/hostPid: unknown field of V1PodSpec']);
    const wrongType = structuredClone(find('DaemonSet'));
    wrongType.spec.template.spec.containers[0].securityContext.runAsUser = '0';
    expect(schemaProblem(wrongType)).toMatch(/runAsUser must be integer/);
    const noSelector = structuredClone(find('DaemonSet'));
    delete noSelector.spec.selector;
    expect(schemaProblem(noSelector)).toMatch(/required property selector/);
  });

  it('kustomization: its resources and generated files exist, and the Collector mounts the generated config', () => {
    for (const f of files) expect(existsSync(join(DEPLOY, 'kubernetes', f)), f).toBe(true);
    const generator = kustomization.configMapGenerator[0];
    for (const f of generator.files) expect(existsSync(join(DEPLOY, 'kubernetes', f)), f).toBe(true);
    const volume = find('Deployment', 'nullspan-collector').spec.template.spec.volumes.find((v: Obj) => v.configMap);
    expect(volume.configMap.name).toBe(generator.name);
    expect(generator.files).toContain(volume.configMap.items[0].key);
  });

  it('the DaemonSet: host pids, BTF and cgroup mounts, probes on the metrics port, endpoint at the Collector', () => {
    const ds = find('DaemonSet');
    const pod = ds.spec.template.spec;
    const agent = pod.containers[0];
    expect(pod.hostPID).toBe(true);
    expect(agent.securityContext.privileged).toBe(false);
    expect(agent.securityContext.capabilities.drop).toEqual(['ALL']);
    const mounts = new Map(agent.volumeMounts.map((m: Obj) => [m.mountPath, m]));
    for (const path of ['/sys/kernel/btf', '/sys/fs/cgroup']) {
      const mount = mounts.get(path) as Obj;
      expect(mount?.readOnly, path).toBe(true);
      expect(pod.volumes.find((v: Obj) => v.name === mount.name).hostPath.path).toBe(path);
    }
    const args: string[] = agent.args;
    expect(args[0]).toBe('agent');
    const metricsPort = portOf(args[args.indexOf('--metrics-address') + 1]);
    const named = agent.ports.find((p: Obj) => p.name === 'metrics');
    expect(named.containerPort).toBe(metricsPort);
    for (const probe of [agent.livenessProbe, agent.readinessProbe]) {
      expect(probe.httpGet.path).toBe('/healthz');
      expect(probe.httpGet.port).toBe('metrics');
    }
    // the endpoint is the Collector's Service, on the port that reaches its OTLP/HTTP receiver
    const endpoint = new URL(agent.env.find((e: Obj) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT').value);
    const service = find('Service', 'nullspan-collector');
    expect(endpoint.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    const servicePort = service.spec.ports.find((p: Obj) => p.port === Number(endpoint.port));
    const collector = find('Deployment', 'nullspan-collector').spec.template.spec.containers[0];
    const target = collector.ports.find((p: Obj) => p.name === servicePort.targetPort);
    const config = yamlOne('kubernetes/otel-collector.yaml');
    expect(portOf(config.receivers.otlp.protocols.http.endpoint)).toBe(target.containerPort);
    expect(agent.resources.limits.memory).toBe('512Mi');
  });
});

describe('OpenTelemetry Collector and Jaeger configurations', () => {
  const configs = [
    ['kubernetes/otel-collector.yaml', 'contrib'],
    ['compose/otel-collector.yaml', 'contrib'],
    ['compose/jaeger.yaml', 'jaeger'],
  ] as const;

  it.each(configs)('%s: every component defined, used, known, with known keys', (file, distribution) => {
    expect(collectorConfigProblems(yamlOne(file), distribution)).toEqual([]);
  });

  it('the Kubernetes pipeline is otlp -> memory_limiter -> k8sattributes -> tail_sampling -> batch -> Jaeger', () => {
    const config = yamlOne('kubernetes/otel-collector.yaml');
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'k8sattributes', 'tail_sampling', 'batch'],
      exporters: ['otlp/jaeger'],
    });
    const sources = config.processors.k8sattributes.pod_association.flatMap((a: Obj) =>
      a.sources.map((s: Obj) => s.name),
    );
    expect(sources).toEqual(['container.id', 'k8s.pod.uid']);
  });

  it('rejects typos (negative cases)', () => {
    const base = yamlOne('kubernetes/otel-collector.yaml');
    const variant = (change: (c: Obj) => void) => {
      const c = structuredClone(base);
      change(c);
      return collectorConfigProblems(c, 'contrib');
    };
    expect(variant((c) => (c.service.pipelines.traces.processors[2] = 'tailsampling'))).toContain(
      'pipeline traces names processor "tailsampling", which is not defined',
    );
    expect(variant((c) => (c.processors.batch.send_batch_sise = 1))).toContain('batch: unknown key "send_batch_sise"');
    expect(variant((c) => (c.processors.tail_sampling.policies[0].type = 'status'))).toContain(
      'tail_sampling: policy 0 has unknown type "status"',
    );
    expect(variant((c) => (c.processors.k8sattributes.extract.metadata = ['k8s.pod.name']))).toEqual([
      'k8sattributes: association on container.id needs a container attribute in extract.metadata',
      'k8sattributes: association 1 on "k8s.pod.uid", which extract.metadata does not extract',
    ]);
    expect(variant((c) => (c.exporters['otlp/unused'] = { endpoint: 'x:4317' }))).toContain(
      'exporter "otlp/unused" is defined but no pipeline uses it',
    );
  });
});

describe('docker compose', () => {
  const file = join(DEPLOY, 'compose/compose.yaml');
  const compose = yamlOne('compose/compose.yaml');
  const schema = JSON.parse(readFileSync(join(REPO, 'test/fixtures/deploy-schemas/compose-spec.json'), 'utf8'));
  // the schema names its draft-07 meta-schema by an https URL Ajv does not alias; draft-07 is Ajv's default
  delete schema.$schema;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('fits the Compose Specification schema', () => {
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
  });

  it("rejects a typo'd field (negative case)", () => {
    const typo = structuredClone(compose);
    typo.services.agent.cap_ad = typo.services.agent.cap_add;
    expect(validate(typo)).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ params: { additionalProperty: 'cap_ad' } });
  });

  it('mounts files that exist, builds from the Dockerfile, and wires agent -> Collector -> Jaeger', () => {
    const dir = dirname(file);
    for (const service of Object.values(compose.services) as Obj[])
      for (const v of service.volumes ?? [])
        if (typeof v === 'string' && v.startsWith('./')) expect(existsSync(join(dir, v.split(':')[0])), v).toBe(true);
    const build = compose.services.agent.build;
    expect(existsSync(join(dir, build.context, build.dockerfile))).toBe(true);
    expect(compose.services.agent.pid).toBe('host');
    expect(compose.services.agent.cap_add.map((c: string) => `CAP_${c}`)).toEqual(unitCapabilities());
    // the agent (host network) reaches the Collector's port published on the host
    const endpoint = new URL(compose.services.agent.environment.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(compose.services.collector.ports).toContain(`127.0.0.1:${endpoint.port}:${endpoint.port}`);
    const collector = yamlOne('compose/otel-collector.yaml');
    expect(portOf(collector.receivers.otlp.protocols.http.endpoint)).toBe(Number(endpoint.port));
    // the Collector exports to the jaeger service, on the port Jaeger's OTLP/gRPC receiver listens on
    const [host, port] = collector.exporters['otlp/jaeger'].endpoint.split(':');
    expect(Object.keys(compose.services)).toContain(host);
    const jaeger = yamlOne('compose/jaeger.yaml');
    expect(portOf(jaeger.receivers.otlp.protocols.grpc.endpoint)).toBe(Number(port));
    const es = new URL(jaeger.extensions.jaeger_storage.backends.main.elasticsearch.server_urls[0]);
    expect(Object.keys(compose.services)).toContain(es.hostname);
  });
});

describe('the agent command lines', () => {
  // systemd expands $NULLSPAN_AGENT_ARGS (empty by default) and Kubernetes $(POD_IP) before the CLI sees them
  const lines: [string, string[]][] = [
    [
      'systemd unit',
      (unitSettings(readFileSync(UNIT, 'utf8'), 'Service').find(([k]) => k === 'ExecStart')?.[1] ?? '')
        .split(/\s+/)
        .slice(2)
        .filter((a) => a !== '$NULLSPAN_AGENT_ARGS'),
    ],
    [
      'DaemonSet',
      (
        yamlFile('kubernetes/agent.yaml').find((d) => d.kind === 'DaemonSet')!.spec.template.spec.containers[0]
          .args as string[]
      ).map((a) => a.replace('$(POD_IP)', '10.1.2.3')),
    ],
    ['compose', yamlOne('compose/compose.yaml').services.agent.command],
  ];

  it.each(lines)('%s: the CLI parses it as `agent` with the options it has', (_, args) => {
    const parsed = parseCommandLine(args, {});
    expect(parsed.command).toBe('agent');
  });

  it('an option the CLI does not have is refused (negative case)', () => {
    expect(() => parseCommandLine(['agent', '--metrics-adress', '127.0.0.1:9464'], {})).toThrow(UsageError);
  });
});

describe('Dockerfile', () => {
  it('runs the CLI at the path the systemd unit uses', () => {
    const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const entry = /^ENTRYPOINT \["node", "([^"]+)"\]$/m.exec(text)?.[1];
    const exec = unitSettings(readFileSync(UNIT, 'utf8'), 'Service').find(([k]) => k === 'ExecStart')?.[1] ?? '';
    expect(entry).toBeDefined();
    expect(exec.split(' ')[1]).toBe(entry);
  });
});
