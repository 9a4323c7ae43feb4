// Strict hostname syntax (RFC 952/1123 LDH labels; "_" only in leading service labels such as _dmarc, _443._tcp).

const LDH = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SERVICE = /^_[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `name` is lower-case presentation form without trailing dot. */
export function isStrictHostname(name: string): boolean {
  if (name === '' || name.length > 253) return false;
  const labels = name.split('.');
  let leading = true;
  for (const label of labels) {
    if (leading && SERVICE.test(label)) continue;
    leading = false;
    if (!LDH.test(label)) return false;
  }
  return !leading;
}
