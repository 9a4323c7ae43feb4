// Which UDP engine the listeners use: the batched addon (native) or Node's dgram; `auto` falls back, said once.
import { DnswardError } from '../errors.js';
import { loadUdpAddon, type UdpAddon } from './udp-addon.js';

export type UdpEngineSetting = 'auto' | 'native' | 'dgram';
export type UdpEngine = { readonly kind: 'native'; readonly addon: UdpAddon } | { readonly kind: 'dgram' };

/** SO_RCVBUF and SO_SNDBUF of every UDP listen socket, either engine; null leaves the kernel's default. */
export interface UdpBuffers {
  readonly recvBytes: number;
  readonly sendBytes: number | null;
}

export interface EngineLog {
  warn(fields: object, message: string): void;
}

let fallbackLogged = false;

/** `native` throws when the addon does not load; `auto` then uses dgram and logs why (once per process). */
export function chooseUdpEngine(
  setting: UdpEngineSetting,
  log: EngineLog,
  load: () => UdpAddon = loadUdpAddon,
): UdpEngine {
  if (setting === 'dgram') return { kind: 'dgram' };
  let addon: UdpAddon;
  try {
    addon = load();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (setting === 'native') {
      throw new DnswardError(
        'DNSWARD_ERR_LISTEN',
        `listen.udpEngine is native but the batched UDP addon does not load: ${reason}`,
        [],
        { cause: error },
      );
    }
    if (!fallbackLogged) {
      fallbackLogged = true;
      log.warn({ reason }, 'listen.udpEngine auto: batched UDP addon not loaded, using dgram');
    }
    return { kind: 'dgram' };
  }
  return { kind: 'native', addon };
}
