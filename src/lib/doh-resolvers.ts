// Hostnames of public DNS-over-HTTPS/TLS resolvers: resolving them is an attempt to bypass dnsward.

const DOH_HOSTNAMES: readonly string[] = [
  'dns.google',
  'dns.google.com',
  'dns64.dns.google',
  'cloudflare-dns.com',
  'mozilla.cloudflare-dns.com',
  'one.one.one.one',
  'security.cloudflare-dns.com',
  'family.cloudflare-dns.com',
  'dns.quad9.net',
  'dns9.quad9.net',
  'dns10.quad9.net',
  'dns11.quad9.net',
  'doh.opendns.com',
  'doh.familyshield.opendns.com',
  'dns.adguard.com',
  'dns.adguard-dns.com',
  'unfiltered.adguard-dns.com',
  'family.adguard-dns.com',
  'doh.cleanbrowsing.org',
  'dns.nextdns.io',
  'doh.mullvad.net',
  'dns.mullvad.net',
  'adblock.dns.mullvad.net',
  'doh.libredns.gr',
  'dns.alidns.com',
  'doh.pub',
  'dns.twnic.tw',
  'doh.dns.sb',
  'dns.controld.com',
  'freedns.controld.com',
  'doh.xfinity.com',
  'chrome.cloudflare-dns.com',
];

/** Registrable domains whose every subdomain is a resolver endpoint (per-user NextDNS/ControlD ids). */
const DOH_SUFFIXES: readonly string[] = ['dns.nextdns.io', 'dns.controld.com', 'cloudflare-gateway.com'];

const hostnames = new Set(DOH_HOSTNAMES);
/** With their leading dot, built once: this runs for every query. */
const dottedSuffixes = DOH_SUFFIXES.map((suffix) => `.${suffix}`);

/** `name` is lower-case without trailing dot. */
export function isDohResolver(name: string): boolean {
  if (hostnames.has(name)) return true;
  for (const suffix of dottedSuffixes) if (name.endsWith(suffix)) return true;
  return false;
}
