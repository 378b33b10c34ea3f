// Socket inode → tuple, from /proc/PID/net/{tcp,tcp6,udp,udp6,unix} (read per network namespace).
import { readFileSync } from 'node:fs';
import type { FdDesc, Transport } from './fdtable.js';
import { socketTarget } from './fdtable.js';

/** '0100007F' (little-endian u32 as the kernel prints it) → '127.0.0.1' */
function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${(n >>> 24) & 255}`;
}

/** 32 hex digits = four little-endian u32 words → canonical IPv6 text (IPv4-mapped shown as ::ffff:a.b.c.d). */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexGroups = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hexGroups.join(':');
  return `${hexGroups.slice(0, bestStart).join(':')}::${hexGroups.slice(bestStart + bestLen).join(':')}`;
}

function inetEndpoint(s: string, v6: boolean): { address: string; port: number } {
  const [addr, port] = s.split(':');
  return { address: v6 ? ipv6(addr) : ipv4(addr), port: parseInt(port, 16) };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // no such table in this kernel / namespace
  }
}

/** Parses one /proc/net/{tcp,udp}[6] table into `out` (inode → description). */
export function parseInetTable(text: string, transport: Transport, v6: boolean, out: Map<number, FdDesc>): void {
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const inode = Number(f[9]);
    if (!inode) continue;
    const local = inetEndpoint(f[1], v6);
    const remote = inetEndpoint(f[2], v6);
    const d: FdDesc = { kind: 'socket', target: '', transport, localAddress: local.address, localPort: local.port };
    if (remote.port !== 0) {
      d.peerAddress = remote.address;
      d.peerPort = remote.port;
    }
    d.target = socketTarget(d);
    out.set(inode, d);
  }
}

/** Parses /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`. */
export function parseUnixTable(text: string, out: Map<number, FdDesc>): void {
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    const inode = Number(f[6]);
    if (!inode) continue;
    const path = f.length > 7 ? f.slice(7).join(' ') : undefined;
    const d: FdDesc = { kind: 'socket', target: '', transport: 'unix' };
    if (path !== undefined) d.localAddress = path;
    d.target = socketTarget(d);
    out.set(inode, d);
  }
}

/** Every socket of one network namespace, read through a process living in it. */
export function readSocketTables(pid: number | 'self'): Map<number, FdDesc> {
  const out = new Map<number, FdDesc>();
  const base = `/proc/${pid}/net`;
  parseInetTable(readText(`${base}/tcp`), 'tcp', false, out);
  parseInetTable(readText(`${base}/tcp6`), 'tcp', true, out);
  parseInetTable(readText(`${base}/udp`), 'udp', false, out);
  parseInetTable(readText(`${base}/udp6`), 'udp', true, out);
  parseUnixTable(readText(`${base}/unix`), out);
  return out;
}
