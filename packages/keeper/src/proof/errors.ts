import { CordonError } from "../errors.js";

/**
 * Nothing could be proven: no trusted header, or no endpoint served a proof (or code) that verifies against the
 * trusted state root. Trying again with other endpoints may work, so it is retryable.
 */
export class NotProvenError extends CordonError {
  override name = "NotProvenError";
  constructor(shortMessage: string, details?: string) {
    super(shortMessage, { details, retryable: true });
  }
}
