/**
 * Go's crypto/tls texts for a failed certificate verification, from Node's TLS error codes:
 * what a Go client (Consul's checks) would report for the same handshake.
 */
const UNKNOWN_AUTHORITY = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** The Go text of a TLS handshake error, or undefined when `err` is not a TLS verification error. */
export function goTlsErrorText(err: NodeJS.ErrnoException & { reason?: string }): string | undefined {
  const code = err.code ?? '';
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED') return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${err.reason ?? err.message}`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `tls: ${err.message}`;
  return undefined;
}
