/**
 * Errors of the operations layer (sets, bans, actions, outputs, control API). Stable codes,
 * documented in docs/operations.md and docs/api.md. Never renumber or reuse a code.
 */
import { QuellError } from '../errors';

/** A set file has a bad line. Message is "file:line: problem". */
export class SetFileError extends QuellError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, problem: string) {
    super('QUELL_E_SET_SYNTAX', `${file}:${line}: ${problem}`);
    this.file = file;
    this.line = line;
  }
}

/** A limit of the operations layer was hit in a way the caller must hear about (API add beyond capacity...). */
export class OpsLimitError extends QuellError {
  constructor(what: string) { super('QUELL_E_OPS_LIMIT', what); }
}

/** Bad configuration of an ops component (TCP control listener without a token, bad time zone...). */
export class OpsConfigError extends QuellError {
  constructor(message: string) { super('QUELL_E_OPS_CONFIG', message, 2); }
}

/** A state file (bans) could not be parsed; the caller starts empty and reports it. */
export class StateFileError extends QuellError {
  constructor(file: string, problem: string) { super('QUELL_E_STATE_FILE', `${file}: ${problem}`); }
}
