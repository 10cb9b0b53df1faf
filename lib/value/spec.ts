// How one net.conf key is read: the schema of config/load.ts is made of these, and each
// link driver brings its own (lib/link/), so the loader reads keys it does not know.
export interface KeySpec {
  parse(raw: string): unknown;
  required?: boolean;
  default?: unknown;
  /** What the value is, for messages about the key as a whole: "a VLAN id". */
  what?: string;
  /** The value as net.conf writes it (convert); String when absent. */
  show?(value: unknown): string;
}
