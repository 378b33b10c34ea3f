// /proc/PID/cgroup as each container runtime leaves it, cgroup v2 and v1, and what cgroupIdentity reads from it;
// and the agent's selection on those identities.

import { describe, expect, it } from 'vitest';
import { cgroupIdentity, cgroupUnder } from '../src/state/cgroup.js';
import { EVERY_PROCESS, selectionFromOptions, selects } from '../src/cli/selection.js';
import { parseCommandLine } from '../src/cli/options.js';
import { UsageError } from '../src/cli/errors.js';

const ID = '3f4ae8b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4';
const UID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const UID_ = UID.replace(/-/g, '_');

/** v1 files list every hierarchy; the container's path repeats in each. */
function v1(path: string): string {
  return `${['12:pids:', '11:memory:', '4:cpu,cpuacct:', '1:name=systemd:'].map((h) => `${h}${path}`).join('\n')}\n`;
}

const FIXTURES: { form: string; text: string; containerId?: string; runtime?: string; podUid?: string }[] = [
  {
    form: 'docker, v2, systemd driver',
    text: `0::/system.slice/docker-${ID}.scope\n`,
    containerId: ID,
    runtime: 'docker',
  },
  { form: 'docker, v2, cgroupfs driver', text: `0::/docker/${ID}\n`, containerId: ID, runtime: 'docker' },
  { form: 'docker, v1', text: v1(`/docker/${ID}`), containerId: ID, runtime: 'docker' },
  {
    form: 'containerd (Kubernetes), v2, systemd driver',
    text: `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope\n`,
    containerId: ID,
    runtime: 'containerd',
    podUid: UID,
  },
  {
    form: 'containerd (Kubernetes), v1, cgroupfs driver',
    text: v1(`/kubepods/burstable/pod${UID}/${ID}`),
    containerId: ID,
    podUid: UID,
  },
  {
    form: 'containerd (Kubernetes), guaranteed QoS, v2 cgroupfs',
    text: `0::/kubepods/pod${UID}/${ID}\n`,
    containerId: ID,
    podUid: UID,
  },
  {
    form: 'CRI-O, v2',
    text: `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${ID}.scope\n`,
    containerId: ID,
    runtime: 'cri-o',
    podUid: UID,
  },
  {
    form: 'CRI-O, v1',
    text: v1(`/kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`),
    containerId: ID,
    runtime: 'cri-o',
    podUid: UID,
  },
  {
    form: "CRI-O's conmon (beside the container, not in it)",
    text: `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-conmon-${ID}.scope\n`,
    podUid: UID,
  },
  {
    form: 'podman rootless, v2',
    text: `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope\n`,
    containerId: ID,
    runtime: 'podman',
  },
  {
    form: 'podman with a nested container group, v2',
    text: `0::/machine.slice/libpod-${ID}.scope/container\n`,
    containerId: ID,
    runtime: 'podman',
  },
  { form: 'podman, v1', text: v1(`/machine.slice/libpod-${ID}.scope`), containerId: ID, runtime: 'podman' },
  { form: "podman's conmon", text: `0::/machine.slice/libpod-conmon-${ID}.scope\n` },
  { form: 'a systemd service', text: '0::/system.slice/nginx.service\n' },
  { form: 'a login session', text: '0::/user.slice/user-0.slice/session-1.scope\n' },
];

describe('cgroupIdentity', () => {
  for (const f of FIXTURES) {
    it(f.form, () => {
      const got = cgroupIdentity(f.text);
      expect(got.containerId).toBe(f.containerId);
      expect(got.runtime).toBe(f.runtime);
      expect(got.podUid).toBe(f.podUid);
    });
  }

  it('prefers the v2 path and falls back to the first v1 one', () => {
    expect(cgroupIdentity(`1:name=systemd:/a\n0::/b/c\n`).path).toBe('/b/c');
    expect(cgroupIdentity(`2:cpu:/x\n1:name=systemd:/y\n`).path).toBe('/x');
    expect(cgroupIdentity('').path).toBe('');
  });

  it('takes an id only as a whole path component', () => {
    expect(cgroupIdentity(`0::/system.slice/app-${ID}x.service\n`).containerId).toBeUndefined();
    expect(cgroupIdentity(`0::/system.slice/docker-${ID.toUpperCase()}.scope\n`).containerId).toBeUndefined();
  });
});

describe('cgroupUnder', () => {
  it('compares whole components', () => {
    expect(cgroupUnder('/system.slice/app.service', '/system.slice')).toBe(true);
    expect(cgroupUnder('/system.slice/app.service', '/system.slice/')).toBe(true);
    expect(cgroupUnder('/system.slice', '/system.slice')).toBe(true);
    expect(cgroupUnder('/system.slicex/app.service', '/system.slice')).toBe(false);
    expect(cgroupUnder('/anything', '/')).toBe(true);
  });
});

describe('selection', () => {
  const none = EVERY_PROCESS;
  const node = { exe: 'node', cgroup: `/system.slice/docker-${ID}.scope`, containerId: ID };
  const bash = { exe: 'bash', cgroup: '/user.slice/user-0.slice/session-1.scope' };

  it('traces everything without options', () => {
    expect(selects(none, node)).toBe(true);
    expect(selects(none, { exe: '?' })).toBe(true);
  });

  it('with includes, traces only what matches one of them', () => {
    expect(selects({ ...none, includeExe: ['node'] }, node)).toBe(true);
    expect(selects({ ...none, includeExe: ['node'] }, bash)).toBe(false);
    expect(selects({ ...none, includeCgroup: ['/user.slice'] }, bash)).toBe(true);
    expect(selects({ ...none, includeCgroup: ['/user.slice'], includeExe: ['node'] }, node)).toBe(true);
    expect(selects({ ...none, includeContainer: [ID.slice(0, 12)] }, node)).toBe(true);
    expect(selects({ ...none, includeContainer: [ID.slice(0, 12)] }, bash)).toBe(false);
    // nothing to match an include against: not traced
    expect(selects({ ...none, includeExe: ['node'] }, { exe: '?' })).toBe(false);
  });

  it('lets excludes win over includes', () => {
    expect(selects({ ...none, includeExe: ['node'], excludeContainer: [ID] }, node)).toBe(false);
    expect(selects({ ...none, excludeCgroup: ['/system.slice'] }, node)).toBe(false);
    expect(selects({ ...none, excludeCgroup: ['/system.slice'] }, bash)).toBe(true);
    expect(selects({ ...none, excludeExe: ['bash'] }, bash)).toBe(false);
  });
});

describe('selection options', () => {
  it('are repeatable, for the agent only', () => {
    const cl = parseCommandLine([
      'agent',
      '--include-exe',
      'node',
      '--include-exe',
      'java',
      '--exclude-container',
      'ABC',
    ]);
    const sel = selectionFromOptions(cl.options);
    expect(sel.includeExe).toEqual(['node', 'java']);
    expect(sel.excludeContainer).toEqual(['abc']);
    expect(() => parseCommandLine(['run', '--include-exe', 'node', '--', 'ls'])).toThrow(UsageError);
    expect(() => parseCommandLine(['agent', '--write', 'x.nscap'])).toThrow(/does not apply to `nullspan agent`/);
  });
});
