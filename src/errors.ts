/**
 * Errors with stable codes. `throw` is for bugs and bad configuration/input files, never for
 * traffic (malformed packets become decode events). Every class has a stable `code` that
 * scripts may match on; the message names the problem and where it is (file, offset, line).
 *
 * Codes are documented in docs/errors.md. Never renumber or reuse a code.
 */
export class QuellError extends Error {
  readonly code: string;
  /** Exit status the CLI uses when this error reaches it: 1 = bad input, 2 = usage. */
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad command line: unknown command/flag, missing argument. Exit 2. */
export class UsageError extends QuellError {
  constructor(message: string) { super('QUELL_E_USAGE', message, 2); }
}

/** A capture file is truncated or corrupt. `offset` is the byte offset of the problem. */
export class CaptureError extends QuellError {
  readonly file: string;
  readonly offset: number;
  constructor(code: string, file: string, offset: number, problem: string) {
    super(code, `${file}: at byte offset ${offset}: ${problem}`);
    this.file = file;
    this.offset = offset;
  }
}

/** A file could not be opened or read (ENOENT, EACCES...). */
export class FileError extends QuellError {
  constructor(file: string, cause: string) { super('QUELL_E_FILE', `${file}: ${cause}`); }
}
