// Group pod selectors: Kubernetes label-selector semantics, compiled once; the most specific matching one wins.
import type { PodSelectorConfig } from '../config/sections/pod-selector.js';
import type { PodRecord } from '../identity/pod-map.js';

/** One requirement on a label (or, with key NAMESPACE, on the pod's namespace). */
interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: ReadonlySet<string>;
}

export interface CompiledSelector {
  readonly group: string;
  /** Number of requirements: namespaces count as one, each label and expression as one. */
  readonly specificity: number;
  readonly requirements: readonly Requirement[];
}

/** Not a label key (label keys cannot contain a space): the namespace as a requirement. */
const NAMESPACE = ' namespace';

export function compileSelector(group: string, config: PodSelectorConfig): CompiledSelector {
  const requirements: Requirement[] = [];
  if (config.namespaces.length > 0)
    requirements.push({ key: NAMESPACE, operator: 'In', values: new Set(config.namespaces) });
  for (const [key, value] of Object.entries(config.matchLabels))
    requirements.push({ key, operator: 'In', values: new Set([value]) });
  for (const e of config.matchExpressions)
    requirements.push({ key: e.key, operator: e.operator, values: new Set(e.values) });
  return { group, specificity: requirements.length, requirements };
}

export function matches(selector: CompiledSelector, pod: PodRecord): boolean {
  for (const r of selector.requirements) {
    const value = r.key === NAMESPACE ? pod.namespace : pod.labels[r.key];
    switch (r.operator) {
      case 'In':
        if (value === undefined || !r.values.has(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && r.values.has(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
      default: {
        const never: never = r.operator;
        throw new Error(`unknown operator ${String(never)}`);
      }
    }
  }
  return true;
}

/** Selectors, most specific first; the first that matches a pod names its group. */
export class PodSelectorTable {
  private readonly ordered: readonly CompiledSelector[];

  /** Throws a message naming both groups when two equally specific selectors could match the same pod. */
  constructor(selectors: readonly CompiledSelector[]) {
    for (let i = 0; i < selectors.length; i++)
      for (let j = i + 1; j < selectors.length; j++) {
        const a = selectors[i] as CompiledSelector;
        const b = selectors[j] as CompiledSelector;
        if (a.specificity === b.specificity && !disjoint(a, b))
          throw new Error(
            `groups "${a.group}" and "${b.group}" select pods with ${a.specificity} requirement(s) each and ` +
              'can match the same pod: make one more specific, or make them exclusive',
          );
      }
    this.ordered = [...selectors].sort((a, b) => b.specificity - a.specificity);
  }

  get size(): number {
    return this.ordered.length;
  }

  groupOf(pod: PodRecord): string | undefined {
    for (const selector of this.ordered) if (matches(selector, pod)) return selector.group;
    return undefined;
  }
}

/** True when no pod can satisfy both selectors: some key has contradicting requirements. */
function disjoint(a: CompiledSelector, b: CompiledSelector): boolean {
  return a.requirements.some((ra) => b.requirements.some((rb) => ra.key === rb.key && contradict(ra, rb)));
}

function contradict(a: Requirement, b: Requirement): boolean {
  const present = (r: Requirement): boolean => r.operator === 'In' || r.operator === 'Exists';
  if (a.operator === 'DoesNotExist') return present(b);
  if (b.operator === 'DoesNotExist') return present(a);
  if (a.operator === 'In' && b.operator === 'In') return ![...a.values].some((v) => b.values.has(v));
  if (a.operator === 'In' && b.operator === 'NotIn') return [...a.values].every((v) => b.values.has(v));
  if (a.operator === 'NotIn' && b.operator === 'In') return [...b.values].every((v) => a.values.has(v));
  return false;
}
