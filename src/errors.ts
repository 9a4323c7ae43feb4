// DnswardError and its code catalog: callers and tests match on `code`, main maps codes to exit codes.

export const ERROR_CODES = {
  DNSWARD_ERR_CONFIG: 'invalid configuration',
  DNSWARD_ERR_ALLOWLIST: 'invalid allowlist',
  DNSWARD_ERR_UPSTREAM: 'upstream failure',
  DNSWARD_ERR_STORE: 'database failure',
  DNSWARD_ERR_LISTEN: 'cannot listen',
  DNSWARD_ERR_USAGE: 'bad command-line usage',
  DNSWARD_ERR_NOT_FOUND: 'not found',
  DNSWARD_ERR_PCAP: 'unreadable capture',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DnswardError extends Error {
  readonly code: ErrorCode;
  /** One line per problem, e.g. "allowlists/ci.yaml:14 entries[3].justification: Required". */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, details: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'DnswardError';
    this.code = code;
    this.details = details;
  }
}
