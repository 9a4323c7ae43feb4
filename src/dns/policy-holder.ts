// The active Policy; reload swaps it in one assignment, so a query sees the old policy or the new, never a mix.
import type { Policy } from '../policy/compile.js';

export class PolicyHolder {
  constructor(public current: Policy) {}

  swap(next: Policy): void {
    this.current = next;
  }
}
