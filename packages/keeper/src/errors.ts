/**
 * The base of every error Cordon's library throws: a short message for people, details, the cause, and whether
 * trying again may work (`retryable`) or the user must fix something.
 */
export class CordonError extends Error {
  override name = "CordonError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly retryable: boolean;

  constructor(shortMessage: string, options: { details?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(options.details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${options.details}`, {
      cause: options.cause,
    });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}
