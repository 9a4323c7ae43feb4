// dns-packet ships no types for its code-point tables.
declare module 'dns-packet/types.js' {
  const types: { toString(code: number): string; toType(name: string): number };
  export default types;
}
