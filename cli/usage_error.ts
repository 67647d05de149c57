/** A command line that cannot be run: the CLI prints the message and the usage, and exits with status 1. */
export class UsageError extends Error {
  /** The command's usage line(s). */
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}
