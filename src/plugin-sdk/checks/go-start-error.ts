/**
 * The text Go's os/exec gives when a command cannot be started, which is what Consul reports as
 * a script check's output: `exec: "nope": executable file not found in $PATH` for a bare name
 * that is not on PATH, `fork/exec /x/y: no such file or directory` for a path.
 */
export function goStartErrorText(file: string, err: NodeJS.ErrnoException): string {
  const bare = !file.includes('/');
  if (bare && (err.code === 'ENOENT' || err.code === 'EACCES')) return `exec: ${JSON.stringify(file)}: executable file not found in $PATH`;
  const reason =
    err.code === 'ENOENT'
      ? 'no such file or directory'
      : err.code === 'EACCES'
        ? 'permission denied'
        : err.code === 'ENOEXEC'
          ? 'exec format error'
          : err.message;
  return `fork/exec ${file}: ${reason}`;
}
