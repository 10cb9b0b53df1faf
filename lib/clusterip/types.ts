// The cluster-address types every layer above shares: the backends, one address as a node
// installs it, and the ops that install, retarget and remove a backend's rules.
import type { Backend, ClusterIpSettings, HashMode } from '../config/types.js';
import type { Ns } from '../system/ns.js';

/** The backends that install rules (`auto` is resolved before a plan is built). */
export type CipBackend = 'cluster-match' | 'nft' | 'clusterip';

/** One cluster address as this node installs it. Buckets count from 1 (xt_cluster's nodes). */
export interface CipSpec {
  /** The section's name; "main" for the plain [clusterip]. */
  name: string;
  address: string;
  mac: string;
  dev: string;
  hash: HashMode;
  seed: number;
  total: number;
  /** This node's own bucket. */
  bucket: number;
  /** The buckets this node answers for: its own, plus any taken over from dead nodes. */
  buckets: number[];
}

/** A cluster address as this node serves it. */
export interface NodeClusterIp extends ClusterIpSettings {
  /** This node's hash bucket (its rank in [cluster] nodes) and the number of buckets. */
  bucket: number;
  total: number;
  /** The backend asked for on this node ([node N] backend, else the address's). */
  wanted: Backend;
}

export type CipOp =
  /**
   * Install (or atomically replace) every rule of one backend for these cluster addresses.
   * `addParentJump`: decided by assess from what is already there, because the one jump
   * from a built-in chain into ours cannot be replaced idempotently.
   */
  /**
   * `fresh`: our nftables tables are known to be absent (read just before), so they are
   * created without the delete that makes "add; delete; table {…}" a create-or-replace:
   * a deletion costs the kernel an RCU grace period (10 to 20 ms, measured), a creation not.
   */
  | {
      op: 'cip-rules';
      ns: Ns;
      backend: CipBackend;
      specs: CipSpec[];
      addParentJump?: boolean;
      fresh?: boolean;
    }
  /**
   * Replace only the bucket sets (takeover, release): one atomic change per backend.
   * `wasLive`: `was` is what the kernel had, read just before; buckets that are only added
   * are then added alone (a takeover), with no rule or element deleted — a deletion makes
   * the kernel wait for an RCU grace period (10 to 20 ms), an addition not. Never on an undo.
   */
  | {
      op: 'cip-buckets';
      ns: Ns;
      backend: CipBackend;
      specs: CipSpec[];
      was: number[][];
      wasLive?: boolean;
    }
  | { op: 'cip-rules-delete'; ns: Ns; backend: CipBackend; specs: CipSpec[] };
