// A HOST:PORT a server of nullspan listens on (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:0`).

import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  /** 0: any free port (the server reports the one it got) */
  port: number;
}

/** The address, or what is wrong with it (a phrase). */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return 'a host and a port joined by a colon, an IPv6 host in brackets';
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  // an empty host would mean every interface: that must be asked for by name (0.0.0.0 or [::])
  if (host === '') return 'the host is missing (0.0.0.0 listens on every interface)';
  if (m[1] !== undefined && isIP(host) !== 6) return `${host} is not an IPv6 address`;
  if (m[2] !== undefined && !/^[A-Za-z0-9.-]+$/.test(host)) return `${host} is not a host name or IPv4 address`;
  if (port > 65535) return `port ${port} is above 65535`;
  return { host, port };
}

/** `http://127.0.0.1:9464`, `http://[::1]:9464`. */
export function addressUrl(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
