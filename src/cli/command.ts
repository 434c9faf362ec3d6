/**
 * A CLI command. One file per command in src/cli/commands/, one line in src/cli/registry.ts.
 *
 * Conventions (docs/cli.md):
 * - exit 0 ok; 1 errors in the input or failed checks (check/test); 2 usage errors.
 * - machine output (JSON lines) on stdout; humans get progress and summaries on stderr;
 *   progress bars only when stderr is a TTY and --quiet is not given.
 */
export interface Command {
  name: string;
  /** One line for `quell --help`. */
  summary: string;
  /** Full usage text for `quell NAME --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}
