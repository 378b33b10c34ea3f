// Raw struct sockaddr bytes (as the application passed or received them) -> SockAddr.
import type { SockAddr } from './events.js';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const utf8 = new TextDecoder();

function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  // RFC 5952: compress the longest run (>= 2) of zero groups
  let bestStart = -1,
    bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function decodeSockaddr(b: Uint8Array): SockAddr | null {
  if (b.length < 2) return null;
  const family = b[0] | (b[1] << 8);
  if (family === AF_INET && b.length >= 8)
    return { family: 'inet', address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: (b[2] << 8) | b[3] };
  if (family === AF_INET6 && b.length >= 24)
    return { family: 'inet6', address: ipv6Text(b.subarray(8, 24)), port: (b[2] << 8) | b[3] };
  if (family === AF_UNIX) {
    const path = b.subarray(2);
    if (path.length > 0 && path[0] === 0)
      return { family: 'unix', address: `@${utf8.decode(path.subarray(1))}`, port: 0 };
    const end = path.indexOf(0);
    return { family: 'unix', address: utf8.decode(end < 0 ? path : path.subarray(0, end)), port: 0 };
  }
  return { family: 'other', address: '', port: 0 };
}
