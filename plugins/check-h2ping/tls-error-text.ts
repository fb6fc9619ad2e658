import { goCertificateErrorText } from 'sextant/plugin-sdk';

/** The Go text of a TLS handshake error (certificate or protocol), or undefined when `err` is not one. */
export function goTlsErrorText(err: NodeJS.ErrnoException & { reason?: string }): string | undefined {
  const cert = goCertificateErrorText(err);
  if (cert !== undefined) return cert;
  const code = err.code ?? '';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `tls: ${err.message}`;
  return undefined;
}
