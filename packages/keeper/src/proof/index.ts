/**
 * Proven state: a trusted header (a quorum's, or a pinned hash) and, below it, everything proven against its state
 * root. See call.ts for verified execution and header.ts for what is trusted.
 */
export { BlockProver, provenCall } from "./call.js";
export type { CallRequest, NotProvenResult, ProvenBlock, ProvenCallResult, ProverOptions } from "./call.js";
export { compareCalls } from "./compare.js";
export type { CallAnswer } from "./compare.js";
export { NotProvenError } from "./errors.js";
export { LinkedHeaders, checkHeader, hardforkOf, trustedBlock } from "./header.js";
export type { TrustedBlock, TrustedBlockOptions } from "./header.js";
export { EndpointLedger } from "./ledger.js";
export type { EndpointRecord, EndpointVerdict } from "./ledger.js";
export {
  EMPTY_CODE_HASH,
  EMPTY_TRIE_ROOT,
  InvalidProof,
  verifyAccountProof,
  verifyStorageProof,
  verifyStorageProofs,
} from "./merkle.js";
export type { ProvenAccount } from "./merkle.js";
