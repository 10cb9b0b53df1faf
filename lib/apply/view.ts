// A namespace as a plan is checked against: what `ip` reports (system/state.ts), plus the
// cluster-IP rules of each backend, read only when the plan installs or removes some.
import type { BackendLive } from '../clusterip/live.js';
import type { NsState } from '../system/state.js';

export interface NsView extends NsState {
  cip: Map<string, BackendLive>;
}

/** A state read with no cluster-IP rules looked at yet. */
export const viewOf = (st: NsState): NsView =>
  Object.assign(st, { cip: new Map<string, BackendLive>() });
