// What a process's cgroup path (/proc/PID/cgroup) says about its container: the container id and, under
// Kubernetes, the pod uid. Pure: the text in, the identity out (fixtures of each runtime's forms in
// correlator/test/cgroup.test.ts).
//
// Forms recognised, by the path component that names the container:
//   docker      `docker-<64 hex>.scope` (systemd driver), `/docker/<64 hex>` (cgroupfs driver, v1 and v2)
//   containerd  `cri-containerd-<64 hex>.scope` (systemd driver), `/kubepods/<qos>/pod<uid>/<64 hex>` (cgroupfs)
//   CRI-O       `crio-<64 hex>.scope` (`crio-conmon-<id>.scope` is the monitor beside the container, not in it)
//   podman      `libpod-<64 hex>.scope` (also with a nested `/container` group; `libpod-conmon-` is the monitor)
// The pod uid is in a component `pod<uid>` (cgroupfs: dashes) or `kubepods-<qos>-pod<uid>.slice` (systemd:
// underscores for the dashes). No form carries the container's or the pod's name: the OpenTelemetry Collector's
// k8sattributes processor adds those from k8s.pod.uid and container.id.

export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman';

export interface CgroupIdentity {
  /** the cgroup v2 path (`0::` line), else the first v1 path */
  path: string;
  containerId?: string;
  runtime?: ContainerRuntime;
  podUid?: string;
}

const SCOPE = /^(docker|cri-containerd|crio|libpod)-([0-9a-f]{64})\.scope$/;
const BARE_ID = /^[0-9a-f]{64}$/;
const POD = /(?:^|-)pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;
const SCOPE_RUNTIME: Record<string, ContainerRuntime> = {
  docker: 'docker',
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  libpod: 'podman',
};

/** The path of each line of /proc/PID/cgroup (`hierarchy:controllers:path`), the v2 line first. */
function cgroupPaths(text: string): string[] {
  const v2: string[] = [];
  const v1: string[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const path = line.slice(second + 1);
    if (line.startsWith('0::')) v2.push(path);
    else v1.push(path);
  }
  return [...v2, ...v1];
}

/** The container and pod named by one cgroup path, innermost container component first. */
function identityOfPath(path: string): Omit<CgroupIdentity, 'path'> {
  const parts = path.split('/');
  const out: Omit<CgroupIdentity, 'path'> = {};
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    if (out.containerId === undefined) {
      const scope = SCOPE.exec(part);
      if (scope) {
        out.containerId = scope[2];
        out.runtime = SCOPE_RUNTIME[scope[1]];
        continue;
      }
      if (BARE_ID.test(part)) {
        out.containerId = part;
        // cgroupfs drivers: docker puts containers under /docker, the kubelet under /kubepods
        if (parts[i - 1] === 'docker') out.runtime = 'docker';
        continue;
      }
    }
    const pod = POD.exec(part);
    if (pod && out.podUid === undefined) out.podUid = pod[1].replace(/_/g, '-');
  }
  return out;
}

export function cgroupIdentity(text: string): CgroupIdentity {
  const paths = cgroupPaths(text);
  for (const path of paths) {
    const id = identityOfPath(path);
    if (id.containerId !== undefined || id.podUid !== undefined) return { path, ...id };
  }
  return { path: paths[0] ?? '' };
}

/** Whether `path` is `prefix` or lies under it (component-wise: `/a/b` is under `/a`, `/ab` is not). */
export function cgroupUnder(path: string, prefix: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || p === '/' || path.startsWith(`${p}/`);
}
