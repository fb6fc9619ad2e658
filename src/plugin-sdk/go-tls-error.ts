/** Node's codes for a certificate whose issuer cannot be verified: Go's `certificate signed by unknown authority`. */
const UNKNOWN_AUTHORITY = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * Go's crypto/tls text for a failed certificate verification, from Node's TLS error codes (what a
 * Go client such as Consul's checks reports for the same handshake); undefined for any other error.
 */
export function goCertificateErrorText(err: NodeJS.ErrnoException & { reason?: string }): string | undefined {
  const code = err.code ?? '';
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${err.reason ?? err.message}`;
  return undefined;
}
