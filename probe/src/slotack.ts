// Acknowledges active-span slot registrations (sdk/MARKERS.md "Active span", the handshake): writes a nonzero u32
// into the registering process's probe-ack word through /proc/<pid>/mem, so its SDK knows a probe reads the slot and
// keeps the async hook that maintains it on (with no probe it keeps it off and pays nothing). Used by the live Probe
// only: a replay of a capture must never touch processes. Runs ~once a second per registered thread; never throws.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { CONSTANTS as C, OFFSETS as O, SIZES } from './layout.generated.js';

/** open /proc/<pid>/mem files kept; the oldest is closed beyond this */
const MAX_OPEN = 64;
const TWO_32 = 4294967296;

export interface SlotAckStats {
  /** ack words written */
  acked: number;
  /** registrations not acknowledged: the process was gone or its memory could not be opened, read or written */
  failed: number;
  /** addresses that no longer held a slot (magic gone, reserved bytes not zero): left untouched */
  rejected: number;
  /** registrations the owner's predicate (ProbeOptions.acknowledge) declined: the process is not traced */
  declined: number;
  /** of the failed ones, those whose memory this process may not open (it lacks CAP_SYS_PTRACE over them) */
  denied: number;
}

export class SlotAcker {
  /** pid → fd of its /proc/<pid>/mem, in opening order (the first is the oldest) */
  readonly #fds = new Map<number, number>();
  readonly #ack = Buffer.alloc(4);
  readonly #slot = Buffer.alloc(C.NS_SLOT_SIZE);
  readonly #stats: SlotAckStats = { acked: 0, failed: 0, rejected: 0, declined: 0, denied: 0 };

  /** `value`: the nonzero u32 written (this probe's pid, so a reader can tell which probe acknowledged);
   * `wanted`: whether a registration of that pid may be acknowledged (ProbeOptions.acknowledge);
   * `onDenied`: called at the first process whose memory may not be opened (a missing capability, said once). */
  constructor(
    value: number = process.pid,
    private readonly wanted?: (pid: number) => boolean,
    private readonly onDenied?: (pid: number) => void,
  ) {
    this.#ack.writeUInt32LE(value >>> 0 || 1);
  }

  /** Acts on a batch's slot records (acknowledge) and exit records (forget the process), given their offsets. */
  onBatch(bytes: Uint8Array, offsets: Uint32Array): void {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const o of offsets) {
      if (o + SIZES.ns_hdr > bytes.length) continue;
      const kind = dv.getUint16(o + O.ns_hdr_kind, true);
      const pid = dv.getUint32(o + O.ns_hdr_pid, true);
      if (kind === C.NS_KIND_SLOT && o + SIZES.ns_slot <= bytes.length) {
        if (!this.#wants(pid)) {
          this.#stats.declined++;
          continue;
        }
        this.acknowledge(
          pid,
          dv.getUint32(o + O.ns_slot_addr + 4, true) * TWO_32 + dv.getUint32(o + O.ns_slot_addr, true),
        );
      } else if (
        kind === C.NS_KIND_EXIT &&
        o + SIZES.ns_exit <= bytes.length &&
        dv.getUint32(o + O.ns_exit_group_dead, true) !== 0
      ) {
        this.#forget(pid);
      }
    }
  }

  /** Writes the ack word of the slot whose span id is at `addr` in process `pid`, if a slot is still there. */
  acknowledge(pid: number, addr: number): void {
    const start = addr - C.NS_SLOT_MAGIC_LEN;
    if (start < 0) {
      this.#stats.rejected++;
      return;
    }
    // twice: a cached fd may belong to an address space that is gone (exec, or the pid was reused)
    for (let attempt = 0; attempt < 2; attempt++) {
      const fd = this.#open(pid);
      if (fd < 0) break;
      try {
        if (readSync(fd, this.#slot, 0, this.#slot.length, start) === this.#slot.length) {
          // the address came from an arbitrary process: write only where a slot with an ack word still is
          if (!this.#isSlot()) {
            this.#stats.rejected++;
            return;
          }
          if (writeSync(fd, this.#ack, 0, this.#ack.length, start + C.NS_SLOT_ACK_OFF) === this.#ack.length) {
            this.#stats.acked++;
            return;
          }
        }
      } catch {
        // EIO (unmapped), ESRCH/EACCES (gone, or not ours to write): retried once on a fresh fd, then counted
      }
      this.#forget(pid);
    }
    this.#stats.failed++;
  }

  #wants(pid: number): boolean {
    if (this.wanted === undefined) return true;
    try {
      return this.wanted(pid);
    } catch {
      return false; // an owner that cannot tell does not make an untraced process pay for the hook
    }
  }

  stats(): SlotAckStats {
    return { ...this.#stats };
  }

  close(): void {
    for (const pid of [...this.#fds.keys()]) this.#forget(pid);
  }

  #isSlot(): boolean {
    const s = this.#slot;
    return (
      s.readUInt32LE(0) === C.NS_SLOT_MAGIC_LO &&
      s.readUInt32LE(4) === C.NS_SLOT_MAGIC_HI &&
      s.readUInt32LE(C.NS_SLOT_ACK_OFF + 4) === 0
    );
  }

  #open(pid: number): number {
    const cached = this.#fds.get(pid);
    if (cached !== undefined) return cached;
    let fd: number;
    try {
      fd = openSync(`/proc/${pid}/mem`, 'r+');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        if (this.#stats.denied++ === 0) this.onDenied?.(pid);
      }
      return -1;
    }
    if (this.#fds.size >= MAX_OPEN) this.#forget(this.#fds.keys().next().value as number);
    this.#fds.set(pid, fd);
    return fd;
  }

  #forget(pid: number): void {
    const fd = this.#fds.get(pid);
    if (fd === undefined) return;
    this.#fds.delete(pid);
    try {
      closeSync(fd);
    } catch {
      // nothing to do about a close that fails
    }
  }
}
