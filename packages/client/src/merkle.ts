/**
 * Merkle summaries of a room's history (docs/realtime.md, "Merkle reconciliation"), shared by the
 * server and clients so both hash exactly alike. A bucket is a fixed seq range
 * [index * MERKLE_BUCKET_SIZE, (index + 1) * MERKLE_BUCKET_SIZE); its hash covers `id:changeSeq` of each
 * message in it in seq order; the root hashes the bucket hashes in order.
 */
export const MERKLE_BUCKET_SIZE = 64;
/** Buckets one summary may cover (8,192 seqs). */
export const MERKLE_BUCKETS_MAX = 128;
/** Hex characters kept of each SHA-256 (64 bits: collisions are not a practical concern here). */
const HASH_HEX_LENGTH = 16;

export interface MerkleEntry {
  id: string;
  seq: number;
  changeSeq: number;
}

export interface MerkleSummary {
  /** Index of the first bucket (seq / MERKLE_BUCKET_SIZE, rounded down). */
  fromBucket: number;
  /** One hash per bucket from fromBucket on. */
  buckets: string[];
  root: string;
}

export function bucketOf(seq: number): number {
  return Math.floor(seq / MERKLE_BUCKET_SIZE);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let hex = '';
  for (const byte of new Uint8Array(digest).subarray(0, HASH_HEX_LENGTH / 2)) {
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** The hash of one bucket's entries (any order in; hashed in seq order). */
export function hashBucket(entries: readonly MerkleEntry[]): Promise<string> {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  return sha256Hex(sorted.map((e) => `${e.id}:${e.changeSeq}\n`).join(''));
}

export function merkleRoot(buckets: readonly string[]): Promise<string> {
  return sha256Hex(buckets.join(''));
}

/** Summarizes `entries` over buckets fromBucket..toBucket (entries outside are ignored). */
export async function summarize(
  entries: readonly MerkleEntry[],
  fromBucket: number,
  toBucket: number,
): Promise<MerkleSummary> {
  const groups: MerkleEntry[][] = Array.from({ length: toBucket - fromBucket + 1 }, () => []);
  for (const entry of entries) {
    const index = bucketOf(entry.seq) - fromBucket;
    if (index >= 0 && index < groups.length) groups[index].push(entry);
  }
  const buckets = await Promise.all(groups.map(hashBucket));
  return { fromBucket, buckets, root: await merkleRoot(buckets) };
}
