// Reverse-label trie: exact names and "*.suffix" wildcards, looked up in O(labels).

interface TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined;
  /** Entries for exactly this name. */
  exact: T[] | undefined;
  /** Entries for "*.<this name>": names strictly below it. */
  wildcard: T[] | undefined;
}

function newNode<T>(): TrieNode<T> {
  return { children: undefined, exact: undefined, wildcard: undefined };
}

export class NameTrie<T> {
  private readonly root: TrieNode<T> = newNode();

  /** `name` is lower-case without trailing dot; a wildcard entry matches names strictly below `name`. */
  insert(name: string, wildcard: boolean, value: T): void {
    let node = this.root;
    const labels = name.split('.');
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i] ?? '';
      node.children ??= new Map();
      let child = node.children.get(label);
      if (!child) {
        child = newNode();
        node.children.set(label, child);
      }
      node = child;
    }
    const slot = wildcard ? 'wildcard' : 'exact';
    (node[slot] ??= []).push(value);
  }

  /**
   * The most specific value accepted by `usable` for `name` (lower-case, no trailing dot):
   * an exact entry first, then the deepest wildcard above it.
   */
  lookup(name: string, usable: (value: T) => boolean): T | undefined {
    let node: TrieNode<T> | undefined = this.root;
    let best: T | undefined;
    let end = name.length;
    while (node && end >= 0) {
      // a wildcard on this node covers the name only if labels remain below it
      const below = first(node.wildcard, usable);
      if (below !== undefined) best = below;
      const start = name.lastIndexOf('.', end - 1);
      const label = name.slice(start + 1, end);
      node = node.children?.get(label);
      end = start;
      if (node && start < 0) return first(node.exact, usable) ?? best;
    }
    return best;
  }
}

function first<T>(values: T[] | undefined, usable: (value: T) => boolean): T | undefined {
  if (!values) return undefined;
  for (const value of values) if (usable(value)) return value;
  return undefined;
}
