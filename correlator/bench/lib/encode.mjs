// (In bench/lib/ so that `pnpm bench` does not run it as a benchmark.)
// Encodes ProbeEvent objects into the probe's binary record layout, for synthetic captures (benchmark, replay
// tests). The layout is not restated here: offsets, sizes and constants come from the probe's
// layout.generated.{ts,js}, generated from bpf/nullspan.h (the one source of truth); pass that module in.

const enc = new TextEncoder();
const TWO_32 = 4294967296;

/** @param {{ SIZES: Record<string, number>, OFFSETS: Record<string, number>, CONSTANTS: Record<string, number> }} layout
 *  @param {(name: string) => number | undefined} syscallNumber */
export function createEncoder(layout, syscallNumber) {
  const { SIZES: S, OFFSETS: O, CONSTANTS: C } = layout;
  const align = C.NS_RECORD_ALIGN;

  function u64(dv, o, v) {
    dv.setUint32(o, (v % TWO_32) >>> 0, true);
    dv.setUint32(o + 4, Math.floor(v / TWO_32) >>> 0, true);
  }
  function s64(dv, o, v) {
    const hi = Math.floor(v / TWO_32);
    dv.setUint32(o, (v - hi * TWO_32) >>> 0, true);
    dv.setInt32(o + 4, hi, true);
  }

  function sockaddr(a) {
    if (!a) return new Uint8Array(0);
    if (a.family === 'inet') {
      const b = new Uint8Array(16);
      b[0] = 2;
      b[2] = a.port >> 8;
      b[3] = a.port & 255;
      a.address.split('.').forEach((x, i) => {
        b[4 + i] = Number(x);
      });
      return b;
    }
    if (a.family === 'unix') {
      const p = enc.encode(a.address);
      const b = new Uint8Array(2 + p.length + 1);
      b[0] = 1;
      b.set(p, 2);
      return b;
    }
    throw new Error(`encoder: address family ${a.family} not supported`);
  }

  /** Bytes of one record (unpadded) for an event. */
  function record(ev) {
    let fixed, tails, kind;
    switch (ev.kind) {
      case 'syscall':
        kind = C.NS_KIND_SYSCALL;
        fixed = S.ns_syscall;
        tails = [
          ev.path ? enc.encode(ev.path) : new Uint8Array(0),
          ev.path2 ? enc.encode(ev.path2) : new Uint8Array(0),
          sockaddr(ev.addr),
        ];
        break;
      case 'marker':
        kind = C.NS_KIND_MARKER;
        fixed = S.ns_marker;
        tails = [ev.data];
        break;
      case 'fork':
        kind = C.NS_KIND_FORK;
        fixed = S.ns_fork;
        tails = [];
        break;
      case 'exec': {
        kind = C.NS_KIND_EXEC;
        fixed = S.ns_exec;
        tails = [enc.encode(ev.filename), enc.encode(ev.argv.map((a) => `${a}\0`).join(''))];
        break;
      }
      case 'exit':
        kind = C.NS_KIND_EXIT;
        fixed = S.ns_exit;
        tails = [];
        break;
      case 'drops':
        kind = C.NS_KIND_DROPS;
        fixed = S.ns_drops;
        tails = [];
        break;
      default:
        throw new Error(`encoder: unknown kind ${ev.kind}`);
    }
    const size = fixed + tails.reduce((n, t) => n + t.length, 0);
    const bytes = new Uint8Array(size);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(O.ns_hdr_size, size, true);
    dv.setUint16(O.ns_hdr_kind, kind, true);
    dv.setUint16(O.ns_hdr_cpu, ev.cpu, true);
    u64(dv, O.ns_hdr_ts, ev.ts);
    dv.setUint32(O.ns_hdr_tid, ev.tid, true);
    dv.setUint32(O.ns_hdr_pid, ev.pid, true);
    switch (ev.kind) {
      case 'syscall': {
        const nr = syscallNumber(ev.name);
        if (nr === undefined) throw new Error(`encoder: unknown syscall ${ev.name}`);
        u64(dv, O.ns_syscall_dur, ev.dur);
        s64(dv, O.ns_syscall_ret, ev.ret);
        ev.args.forEach((a, i) => {
          s64(dv, O.ns_syscall_args + 8 * i, a);
        });
        dv.setUint16(O.ns_syscall_nr, nr, true);
        dv.setUint16(
          O.ns_syscall_flags,
          (ev.unfinished ? C.NS_SYS_UNFINISHED : 0) | (ev.fds ? C.NS_SYS_HAS_FDS : 0),
          true,
        );
        dv.setUint16(O.ns_syscall_path_len, tails[0].length, true);
        dv.setUint16(O.ns_syscall_path2_len, tails[1].length, true);
        dv.setUint16(O.ns_syscall_addr_len, tails[2].length, true);
        if (ev.fds) {
          dv.setInt32(O.ns_syscall_fds, ev.fds[0], true);
          dv.setInt32(O.ns_syscall_fds + 4, ev.fds[1], true);
        }
        break;
      }
      case 'marker':
        dv.setInt32(O.ns_marker_fd, ev.fd, true);
        dv.setUint32(O.ns_marker_len, ev.len, true);
        dv.setUint32(O.ns_marker_data_len, ev.data.length, true);
        break;
      case 'fork':
        dv.setUint32(O.ns_fork_child_tid, ev.childTid, true);
        dv.setUint32(O.ns_fork_child_pid, ev.childPid, true);
        dv.setUint32(
          O.ns_fork_flags,
          (ev.isThread ? C.NS_FORK_THREAD : 0) | (ev.sharesFiles ? C.NS_FORK_SHARES_FILES : 0),
          true,
        );
        break;
      case 'exec':
        dv.setUint32(O.ns_exec_old_tid, ev.tid, true);
        dv.setUint16(O.ns_exec_filename_len, tails[0].length, true);
        dv.setUint32(O.ns_exec_argv_len, tails[1].length, true);
        break;
      case 'exit':
        dv.setInt32(O.ns_exit_code, ev.code, true);
        dv.setUint32(O.ns_exit_group_dead, ev.groupDead ? 1 : 0, true);
        break;
      case 'drops':
        u64(dv, O.ns_drops_counts + 8 * C.NS_DROP_SYSCALL, ev.syscall);
        u64(dv, O.ns_drops_counts + 8 * C.NS_DROP_MARKER, ev.marker);
        u64(dv, O.ns_drops_counts + 8 * C.NS_DROP_PROCESS, ev.process);
        break;
    }
    let off = fixed;
    for (const t of tails) {
      bytes.set(t, off);
      off += t.length;
    }
    return bytes;
  }

  /** One batch: the records back to back, each padded to the record alignment. */
  function encodeBatch(events) {
    const recs = events.map(record);
    const total = recs.reduce((n, r) => n + Math.ceil(r.length / align) * align, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const r of recs) {
      out.set(r, o);
      o += Math.ceil(r.length / align) * align;
    }
    return out;
  }

  return { record, encodeBatch };
}
