/**
 * The tag on every link we create (its ifalias), on routes (their protocol number) and on
 * firewall rules (their comment/table): what `stop` and `check` may touch.
 */
export const TAG = 'clusternet';
export const ROUTE_PROTOCOL = 211;
