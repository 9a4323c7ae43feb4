// "addr:port", "[v6]:port" or bare "addr" <-> {host, port}.
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string, defaultPort: number): HostPort | null {
  let host = text;
  let port = defaultPort;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(text) === 0) {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    // decimal digits only: Number() reads "" as 0 (a random port), "0x35" as 53 and " 53" as 53
    const digits = text.slice(colon + 1);
    if (!/^\d{1,5}$/.test(digits)) return null;
    port = Number(digits);
  }
  if (isIP(host) === 0 || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
