import type { AggregateKind, AggregateRef } from '../../expression/expression';
import { WindowAggregate, meanOf, stdOf } from '../window/pane-window';

/** Value of one aggregate kind for measurement i (−1 = all events, for count) from a window aggregate. */
export function aggregateValue(a: WindowAggregate, kind: AggregateKind, i: number): number {
  switch (kind) {
    case 'count':
      return i < 0 ? a.count : a.n[i];
    case 'sum':
      return a.sum[i];
    case 'mean':
      return meanOf(a, i);
    case 'std':
      return stdOf(a, i);
    case 'min':
      return a.min[i];
    case 'max':
      return a.max[i];
    case 'last':
      return a.last[i];
  }
}

/**
 * Binds a compiled expression's aggregate references to pane-window measurement indices once, at
 * load, and fills a reusable array (indexed like CompiledExpression.aggregates) per evaluation.
 */
export class AggregateBinding {
  readonly values: number[];
  private readonly kinds: AggregateKind[];
  private readonly index: number[];

  constructor(
    readonly refs: readonly AggregateRef[],
    names: readonly string[],
  ) {
    this.kinds = refs.map((r) => r.kind);
    this.index = refs.map((r) => (r.measurement === null ? -1 : names.indexOf(r.measurement)));
    this.values = new Array<number>(refs.length).fill(NaN);
  }

  fill(a: WindowAggregate): number[] {
    for (let j = 0; j < this.kinds.length; j++) this.values[j] = aggregateValue(a, this.kinds[j], this.index[j]);
    return this.values;
  }
}
