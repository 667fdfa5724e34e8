/**
 * Retained-by-type view of a V8 heap snapshot (`v8.writeHeapSnapshot`): self size and count per
 * constructor (objects, closures) or per node type (arrays, strings, code...). Two of them, before and
 * after opening N connections, say what each connection costs.
 */

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface TypeTotal {
  count: number;
  bytes: number;
}

export function heapByType(snapshot: HeapSnapshotFile): Map<string, TypeTotal> {
  const fields = snapshot.snapshot.meta.node_fields;
  const typeNames = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const totals = new Map<string, TypeTotal>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = typeNames[snapshot.nodes[i + typeAt]!]!;
    const key =
      type === 'object' || type === 'closure'
        ? `${snapshot.strings[snapshot.nodes[i + nameAt]!]}${type === 'closure' ? '()' : ''}`
        : `(${type})`;
    const total = totals.get(key) ?? { count: 0, bytes: 0 };
    total.count++;
    total.bytes += snapshot.nodes[i + sizeAt]!;
    totals.set(key, total);
  }
  return totals;
}

export interface TypeGrowth {
  name: string;
  countPerConnection: number;
  bytesPerConnection: number;
}

/** What grew between two snapshots, per connection, largest first. */
export function growthPerConnection(
  before: Map<string, TypeTotal>,
  after: Map<string, TypeTotal>,
  connections: number,
  top = 20,
): TypeGrowth[] {
  return [...after.entries()]
    .map(([name, total]) => {
      const base = before.get(name) ?? { count: 0, bytes: 0 };
      return {
        name,
        countPerConnection: (total.count - base.count) / connections,
        bytesPerConnection: (total.bytes - base.bytes) / connections,
      };
    })
    .sort((a, b) => b.bytesPerConnection - a.bytesPerConnection)
    .slice(0, top);
}
