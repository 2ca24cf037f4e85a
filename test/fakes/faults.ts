/**
 * Scripted faults shared by every fake upstream server.
 *
 * A fault is consumed by the first request it matches (in push order); `times` says how many
 * requests it applies to (default 1, `always()` = until `clear()`). Kinds:
 * - `status`: answer with that status, optional headers (e.g. `retry-after`) and body; without a
 *   body the fake answers with its own upstream's error shape for that status.
 * - `reset`: read the request, then destroy the socket without answering.
 * - `delay`: wait `ms`, then answer normally (timers are cancelled by `close()`).
 */

export type FaultMatch = (method: string, path: string) => boolean;

interface FaultBase {
  /** Which requests the fault applies to (method upper-case, path without query). Default: all. */
  match?: FaultMatch;
  /** How many matching requests it applies to. Default 1. */
  times?: number;
}

export interface StatusFault extends FaultBase {
  kind: 'status';
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised; a string is sent as text/plain. Default: the fake's error shape. */
  body?: unknown;
}

export interface ResetFault extends FaultBase {
  kind: 'reset';
}

export interface DelayFault extends FaultBase {
  kind: 'delay';
  ms: number;
}

export type Fault = StatusFault | ResetFault | DelayFault;
export type FaultKind = Fault['kind'];

interface ArmedFault {
  fault: Fault;
  left: number;
}

/** The `faults` field of every fake's handle. */
export class FaultList {
  #armed: ArmedFault[] = [];

  /** Queue one or more faults; each applies `times` times (default once). */
  push(...faults: Fault[]): void {
    for (const fault of faults) this.#armed.push({ fault, left: fault.times ?? 1 });
  }

  /** A persistent fault (an outage) that lasts until `clear()`. */
  always(fault: Fault): void {
    this.#armed.push({ fault, left: Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.#armed = [];
  }

  /** Faults still armed (for assertions such as "every scripted fault was consumed"). */
  get pending(): number {
    return this.#armed.length;
  }

  /** Consume and return the fault for this request, if any. */
  take(method: string, path: string): Fault | undefined {
    const index = this.#armed.findIndex(function matches(armed) {
      return armed.fault.match ? armed.fault.match(method, path) : true;
    });
    if (index < 0) return undefined;
    const armed = this.#armed[index];
    armed.left -= 1;
    if (armed.left <= 0) this.#armed.splice(index, 1);
    return armed.fault;
  }
}

/** Helper for `match`: method and path must both match (path as exact string, prefix `*`, or RegExp). */
export function route(method: string, path: string | RegExp): FaultMatch {
  return function matchRoute(m: string, p: string): boolean {
    if (m !== method.toUpperCase()) return false;
    if (path instanceof RegExp) return path.test(p);
    if (path.endsWith('*')) return p.startsWith(path.slice(0, -1));
    return p === path;
  };
}
