/**
 * Guardian attestations of a checkpoint, as CordonHub verifies them when governance resumes: an EIP-712
 * `Attestation(uint256 checkpointId, uint64 incidentId, bytes32 digest)` in the hub's domain ("CordonHub", "1", the
 * chain, the hub). `signAttestation` builds the typed data from the hub's own record of the checkpoint, checks that it
 * hashes to the hub's `attestationHash`, and signs it with a guardian's account (eth_signTypedData_v4 for a node's
 * account); `loadAttestations` reads signatures back (files `cordon attest` wrote, or bare signatures) in the order
 * the hub counts them: by signer address, ascending, each signer once.
 */
import { readFileSync } from "node:fs";

import {
  Contract,
  type Provider,
  type Signer,
  TypedDataEncoder,
  getAddress,
  isCallException,
  isHexString,
  recoverAddress,
} from "ethers";
import { z } from "zod";

import { CordonError } from "../errors.js";
import { ROLES, governanceHubInterface } from "./abi.js";
import { explainRevert } from "./revert.js";

const ATTESTATION_TYPES = {
  Attestation: [
    { name: "checkpointId", type: "uint256" },
    { name: "incidentId", type: "uint64" },
    { name: "digest", type: "bytes32" },
  ],
};

/** One guardian's signed attestation, as `cordon attest` writes it. */
export const signedAttestationSchema = z.object({
  hub: z.string(),
  chainId: z.number().int(),
  checkpointId: z.string().regex(/^\d+$/),
  incidentId: z.string().regex(/^\d+$/),
  digest: z.string(),
  signer: z.string(),
  signature: z.string(),
});
export type SignedAttestation = z.infer<typeof signedAttestationSchema>;

/** What `resume` takes: `(address signer, bytes signature)[]`. */
export interface Attestation {
  signer: string;
  signature: string;
}

export interface AttestationTypedData {
  domain: { name: string; version: string; chainId: bigint; verifyingContract: string };
  types: typeof ATTESTATION_TYPES;
  value: { checkpointId: bigint; incidentId: bigint; digest: string };
  /** The EIP-712 hash, equal to the hub's `attestationHash(checkpointId)`. */
  hash: string;
}

/**
 * The typed data guardians sign for checkpoint `checkpointId` of `hub`: the domain from the hub's ERC-5267
 * `eip712Domain()`, the checkpoint from `getCheckpoint`. Throws when the checkpoint does not exist, or when the hash
 * differs from the hub's `attestationHash` (a hub this version does not know).
 */
export async function attestationTypedData(
  provider: Provider,
  hub: string,
  checkpointId: bigint,
): Promise<AttestationTypedData> {
  const contract = new Contract(hub, governanceHubInterface, provider);
  let checkpoint: { incidentId: bigint; digest: string };
  try {
    checkpoint = (await contract.getFunction("getCheckpoint")(checkpointId)) as typeof checkpoint;
  } catch (error) {
    if (!isCallException(error)) throw error;
    const revert = explainRevert(error.data ?? "0x");
    throw new CordonError(`cannot attest checkpoint ${checkpointId}: ${revert.message}`, { details: revert.fix });
  }
  const [, name, version, chainId, verifyingContract] = (await contract.getFunction("eip712Domain")()) as [
    string,
    string,
    string,
    bigint,
    string,
  ];
  const domain = { name, version, chainId, verifyingContract };
  const value = { checkpointId, incidentId: checkpoint.incidentId, digest: checkpoint.digest };
  const hash = TypedDataEncoder.hash(domain, ATTESTATION_TYPES, value);
  const onChain = (await contract.getFunction("attestationHash")(checkpointId)) as string;
  if (hash !== onChain) {
    throw new CordonError(`the hub ${hub} hashes checkpoint ${checkpointId}'s attestation differently (${onChain})`, {
      details: "the hub is not a CordonHub this version of Cordon knows: check the deployment's hub address",
    });
  }
  return { domain, types: ATTESTATION_TYPES, value, hash };
}

/**
 * Signs the attestation of checkpoint `checkpointId` with `signer`, which must be a guardian of the hub. Refuses a
 * checkpoint other than the latest: the hub resumes only from the latest checkpoint of the open incident.
 */
export async function signAttestation(
  provider: Provider,
  hub: string,
  checkpointId: bigint,
  signer: Signer,
): Promise<SignedAttestation> {
  const contract = new Contract(hub, governanceHubInterface, provider);
  const address = getAddress(await signer.getAddress());
  if (!((await contract.getFunction("hasRole")(ROLES.GUARDIAN_ROLE, address)) as boolean)) {
    throw new CordonError(`${address} does not hold GUARDIAN_ROLE: the hub would not count its attestation`, {
      details: "sign with a guardian's account (--from; `cordon status` lists the guardians). Nothing was signed.",
    });
  }
  const typed = await attestationTypedData(provider, hub, checkpointId);
  const latest = (await contract.getFunction("latestCheckpointId")()) as bigint;
  if (checkpointId !== latest) {
    throw new CordonError(`checkpoint ${checkpointId} is not the latest (${latest}): resume would not accept it`, {
      details: `attest checkpoint ${latest}, or take a new one (cordon checkpoint) and attest that. Nothing was signed.`,
    });
  }
  const signature = await signer.signTypedData(typed.domain, typed.types, typed.value);
  return {
    hub: getAddress(hub),
    chainId: Number(typed.domain.chainId),
    checkpointId: checkpointId.toString(),
    incidentId: typed.value.incidentId.toString(),
    digest: typed.value.digest,
    signer: address,
    signature,
  };
}

/** A signature as the hub's ECDSA check needs it: 65 bytes of hex. */
function isSignature(text: string): boolean {
  return isHexString(text, 65);
}

/** The address that signed `hash` with `signature`, or null for a signature that recovers to none. */
function recoverSigner(hash: string, signature: string): string | null {
  try {
    return recoverAddress(hash, signature);
  } catch {
    return null;
  }
}

/** The attestations in one file `cordon attest` wrote (one object, or an array of them). */
function readAttestationFile(file: string): SignedAttestation[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CordonError(`--attestations: ${file} is neither a signature nor a readable JSON file`, {
      details: "pass files written by `cordon attest --out <file>`, or 0x signatures, separated by commas",
      cause: error,
    });
  }
  const parsed = z.array(signedAttestationSchema).safeParse(Array.isArray(json) ? json : [json]);
  if (!parsed.success) {
    throw new CordonError(`--attestations: ${file} is not an attestation written by \`cordon attest\``, {
      details: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
    });
  }
  return parsed.data;
}

/**
 * `--attestations a.json,b.json` or `--attestations 0xsig1,0xsig2`: the attestations of checkpoint `checkpointId`
 * of `hub`, sorted by signer as the hub requires. A bare signature's signer is recovered from the hub's attestation
 * hash; a file's must be of the same hub, chain and checkpoint, and an EOA's signature must recover to its signer.
 */
export async function loadAttestations(
  provider: Provider,
  hub: string,
  checkpointId: bigint,
  input: string,
): Promise<Attestation[]> {
  const items = input
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) return [];
  const hash = (await new Contract(hub, governanceHubInterface, provider).getFunction("attestationHash")(
    checkpointId,
  )) as string;
  const { chainId } = await provider.getNetwork();
  const bySigner = new Map<string, Attestation>();
  for (const item of items) {
    if (isSignature(item)) {
      const signer = recoverSigner(hash, item);
      if (signer === null) {
        throw new CordonError(`--attestations: ${item.slice(0, 12)}... is not a valid signature`, {
          details: "pass signatures from `cordon attest`, or the files it wrote",
        });
      }
      bySigner.set(signer, { signer, signature: item });
      continue;
    }
    for (const attestation of readAttestationFile(item)) {
      const where = `--attestations: ${item}`;
      if (getAddress(attestation.hub) !== getAddress(hub) || BigInt(attestation.chainId) !== chainId) {
        throw new CordonError(`${where} attests hub ${attestation.hub} on chain ${attestation.chainId}`, {
          details: `resume needs attestations of the hub ${getAddress(hub)} on chain ${chainId}`,
        });
      }
      if (BigInt(attestation.checkpointId) !== checkpointId) {
        throw new CordonError(`${where} attests checkpoint ${attestation.checkpointId}, not ${checkpointId}`, {
          details: `have the guardian attest checkpoint ${checkpointId} (cordon attest --checkpoint ${checkpointId})`,
        });
      }
      const signer = getAddress(attestation.signer);
      const isContract = (await provider.getCode(signer)) !== "0x";
      if (!isContract && recoverSigner(hash, attestation.signature) !== signer) {
        throw new CordonError(`${where}: the signature is not ${signer}'s attestation of checkpoint ${checkpointId}`, {
          details: "the checkpoint or the incident changed since it was signed, or the file was edited: sign again",
        });
      }
      bySigner.set(signer, { signer, signature: attestation.signature });
    }
  }
  return [...bySigner.values()].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
}
