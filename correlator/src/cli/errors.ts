// Errors the CLI reports as one sentence on stderr (no stack trace), with the exit code that says what kind.

/** Something the user can fix; its message is a complete sentence. */
export class CliError extends Error {
  /** lines written under the sentence in the text log format (an expression with a caret under the error) */
  detail: string[] = [];
  /** figures for the JSON log format */
  fields: Record<string, string | number> = {};

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Wrong command line (exit code 2, like getopt-based tools). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Ends a message with a full stop unless it already ends a sentence. */
export function sentence(message: string): string {
  const line = message.split('\n')[0].trim();
  return /[.!?)]$/.test(line) ? line : `${line}.`;
}

/** Errors (by name: they may come from another copy of a module) whose messages are written for users. */
const USER_FACING = new Set(['ProbeError', 'CaptureFormatError', 'CaptureWriteError', 'PrivateFileError']);

/** Turns any thrown value into the one line nullspan prints. Errors that carry a user-facing sentence (ours, the
 * probe's, the capture reader's) are printed as they are; anything else is an internal error, still one line. */
export function describeError(err: unknown): {
  message: string;
  exitCode: number;
  detail?: string[];
  fields?: Record<string, string | number>;
} {
  if (err instanceof CliError)
    return { message: sentence(err.message), exitCode: err.exitCode, detail: err.detail, fields: err.fields };
  if (err instanceof Error) {
    if (USER_FACING.has(err.name)) {
      return { message: sentence(err.message), exitCode: 1 };
    }
    const code = (err as NodeJS.ErrnoException).code;
    const path = (err as NodeJS.ErrnoException).path;
    if (code === 'ENOENT' && path) return { message: `${path}: no such file or directory.`, exitCode: 1 };
    if (code === 'EACCES' && path) return { message: `${path}: permission denied.`, exitCode: 1 };
    if (code === 'EISDIR' && path) return { message: `${path} is a directory.`, exitCode: 1 };
    return {
      message: `internal error: ${err.message.split('\n')[0]} (set NULLSPAN_DEBUG=1 for details).`,
      exitCode: 70,
    };
  }
  return { message: `internal error: ${String(err)}.`, exitCode: 70 };
}
