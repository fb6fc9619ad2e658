import { goCertificateErrorText, goDialErrorText, goErrnoText, goLookupErrorText, joinHostPort, type ProbeDeadline } from 'sextant/plugin-sdk';

/**
 * The inner text of Go's *url.Error for a failed HTTP check request (the caller prefixes
 * `<Op> "<url>": `): dial errors, `no such host`, `EOF` for a connection closed before a
 * response, an https URL answered in plain HTTP, certificate errors, and the client timeout.
 */
export function goHttpErrorText(err: NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number }, deadline: ProbeDeadline): string {
  if (deadline.timedOut) return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  if (deadline.aborted) return 'context canceled';
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return goLookupErrorText(err.hostname ?? '');
  if (err.syscall === 'connect' && err.address !== undefined)
    return goDialErrorText('tcp', joinHostPort(err.address, err.port ?? 0), err);
  const cert = goCertificateErrorText(err);
  if (cert !== undefined) return cert;
  if (code === 'ECONNRESET' && err.message === 'socket hang up') return 'EOF';
  // An https:// check against a plain-HTTP server: OpenSSL sees an HTTP reply as a bad record.
  if (code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(err.message)) return 'http: server gave HTTP response to HTTPS client';
  if (code.startsWith('HPE_')) return `net/http: HTTP/1.x transport connection broken: ${err.message}`;
  return (err.code ? goErrnoText(err) : err.message).trim();
}
