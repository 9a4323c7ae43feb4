// An EDNS OPT pseudo-record for dns-packet encoding, with every field its typings require.
import dnsPacket from 'dns-packet';

export const optRecord = (
  udpPayloadSize: number,
  flags: number,
  options: dnsPacket.PacketOpt[] = [],
): dnsPacket.OptAnswer => ({
  type: 'OPT',
  name: '.',
  udpPayloadSize,
  extendedRcode: 0,
  ednsVersion: 0,
  flags,
  flag_do: (flags & dnsPacket.DNSSEC_OK) !== 0,
  options,
});
