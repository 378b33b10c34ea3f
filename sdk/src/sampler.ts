/**
 * Head sampling, the OpenTelemetry way: the samplers `OTEL_TRACES_SAMPLER` names (always_on, always_off,
 * traceidratio, parentbased_*), with `OTEL_TRACES_SAMPLER_ARG` as the ratio. A span that is not sampled writes no
 * marker, and while it is active the thread's slot says so, so the probe records none of its system calls.
 *
 * Samplers are the built-in ones only: a decision runs while a span's id is being taken (span.ts), where no caller
 * code may run, so there is no user-supplied shouldSample().
 */

/** Who the new span's parent is. */
export enum ParentKind {
  None = 0,
  Local = 1,
  Remote = 2,
}

/**
 * What a sampler decides on. The trace id is given as four 32-bit words, high to low (a local trace id is the
 * process's random prefix and the root span's id, so for a local root they are known before any string exists).
 */
export interface SamplingInput {
  parent: ParentKind;
  /** the parent's W3C sampled flag (false when there is no parent) */
  parentSampled: boolean;
  trace: TraceWords;
}

export type TraceWords = [number, number, number, number];

export abstract class Sampler {
  abstract shouldSample(input: SamplingInput): boolean;
  /** The sampler as OTEL_TRACES_SAMPLER would name it, with its ratio: for messages and tests. */
  abstract toString(): string;
}

class AlwaysOn extends Sampler {
  shouldSample(): boolean {
    return true;
  }
  toString(): string {
    return 'always_on';
  }
}

class AlwaysOff extends Sampler {
  shouldSample(): boolean {
    return false;
  }
  toString(): string {
    return 'always_off';
  }
}

/**
 * Keeps a `ratio` share of traces, decided from the trace id alone, so every span of a trace (and every service
 * using the same rule) decides alike. The id is hashed first: local trace ids end in a per-process counter, whose
 * raw low bits would sample runs of consecutive traces rather than a share of them.
 */
class TraceIdRatio extends Sampler {
  private readonly bound: number;
  constructor(readonly ratio: number) {
    super();
    this.bound = Math.floor(ratio * 2 ** 32);
  }
  shouldSample(input: SamplingInput): boolean {
    return this.ratio >= 1 || traceHash(input.trace) < this.bound;
  }
  toString(): string {
    return `traceidratio{${this.ratio}}`;
  }
}

export interface ParentBasedOptions {
  /** for remote parents that are sampled (default always_on) */
  remoteParentSampled?: Sampler;
  /** for remote parents that are not sampled (default always_off) */
  remoteParentNotSampled?: Sampler;
  /** for local parents that are sampled (default always_on) */
  localParentSampled?: Sampler;
  /** for local parents that are not sampled (default always_off) */
  localParentNotSampled?: Sampler;
}

/** The parent's decision for children (the W3C sampled flag for remote parents), `root` for new traces. */
class ParentBased extends Sampler {
  private readonly remoteSampled: Sampler;
  private readonly remoteNotSampled: Sampler;
  private readonly localSampled: Sampler;
  private readonly localNotSampled: Sampler;
  constructor(
    readonly root: Sampler,
    options: ParentBasedOptions = {},
  ) {
    super();
    this.remoteSampled = asSampler(options.remoteParentSampled) ?? ALWAYS_ON;
    this.remoteNotSampled = asSampler(options.remoteParentNotSampled) ?? ALWAYS_OFF;
    this.localSampled = asSampler(options.localParentSampled) ?? ALWAYS_ON;
    this.localNotSampled = asSampler(options.localParentNotSampled) ?? ALWAYS_OFF;
  }
  shouldSample(input: SamplingInput): boolean {
    switch (input.parent) {
      case ParentKind.None:
        return this.root.shouldSample(input);
      case ParentKind.Local:
        return (input.parentSampled ? this.localSampled : this.localNotSampled).shouldSample(input);
      default:
        return (input.parentSampled ? this.remoteSampled : this.remoteNotSampled).shouldSample(input);
    }
  }
  toString(): string {
    return `parentbased{${this.root}}`;
  }
}

const ALWAYS_ON: Sampler = new AlwaysOn();
const ALWAYS_OFF: Sampler = new AlwaysOff();

/** Only built-in samplers are accepted (see the module comment); undefined means "not a sampler". */
export function asSampler(s: unknown): Sampler | undefined {
  return s instanceof Sampler ? s : undefined;
}

/** A ratio as the spec reads OTEL_TRACES_SAMPLER_ARG: a number in [0, 1]; anything else is invalid. */
function validRatio(r: unknown): number | undefined {
  return typeof r === 'number' && r >= 0 && r <= 1 ? r : undefined;
}

/** The samplers, to pass to `span.configure({ sampler })`. */
export const samplers = {
  alwaysOn: (): Sampler => ALWAYS_ON,
  alwaysOff: (): Sampler => ALWAYS_OFF,
  /** `ratio` in [0, 1]; anything else keeps every trace (the spec's default ratio, 1). */
  traceIdRatio: (ratio: number): Sampler => new TraceIdRatio(validRatio(ratio) ?? 1),
  parentBased: (root: Sampler, options?: ParentBasedOptions): Sampler =>
    new ParentBased(asSampler(root) ?? ALWAYS_ON, options),
};

/** The spec's default: parentbased_always_on. */
export const DEFAULT_SAMPLER: Sampler = samplers.parentBased(ALWAYS_ON);

export interface SamplerFromEnv {
  sampler: Sampler;
  /** a sentence saying what was wrong with the environment and what is used instead */
  problem?: string;
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name. As the spec says, an unknown sampler falls
 * back to the default (parentbased_always_on) and a ratio that is missing or not in [0, 1] to 1.
 */
export function samplerFromEnv(name: string | undefined, arg: string | undefined): SamplerFromEnv {
  const n = (name ?? '').trim().toLowerCase();
  if (n === '') return { sampler: DEFAULT_SAMPLER };
  let problem: string | undefined;
  const ratio = (): number => {
    if (arg === undefined || arg.trim() === '') return 1;
    const r = validRatio(Number(arg.trim()));
    if (r === undefined)
      problem = `OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(arg)} is not a ratio between 0 and 1, so ${n} keeps every trace.`;
    return r ?? 1;
  };
  let sampler: Sampler;
  switch (n) {
    case 'always_on':
      sampler = ALWAYS_ON;
      break;
    case 'always_off':
      sampler = ALWAYS_OFF;
      break;
    case 'traceidratio':
      sampler = samplers.traceIdRatio(ratio());
      break;
    case 'parentbased_always_on':
      sampler = DEFAULT_SAMPLER;
      break;
    case 'parentbased_always_off':
      sampler = samplers.parentBased(ALWAYS_OFF);
      break;
    case 'parentbased_traceidratio':
      sampler = samplers.parentBased(samplers.traceIdRatio(ratio()));
      break;
    default:
      return {
        sampler: DEFAULT_SAMPLER,
        problem: `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not a sampler nullspan knows, so parentbased_always_on is used.`,
      };
  }
  return { sampler, problem };
}

/** murmur3's 32-bit finalizer: every input bit moves about half of the output bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit hash of the 128-bit trace id (four words, high to low), uniform for ids that differ in any bits. The one
 * trace-id hash: head sampling here and the correlator's tail-sampling `probabilistic` policy both use it, so a
 * trace kept by one share is kept by every larger share of either.
 */
export function traceHash(w: TraceWords): number {
  let h = 0x9747b28c;
  for (let i = 0; i < 4; i++) h = fmix32(h ^ Math.imul(w[i] >>> 0, 0xcc9e2d51));
  return h;
}

/** The four words of a trace id given as 32 hex digits (a remote parent's). */
export function traceWordsOfHex(hex: string, out: TraceWords): TraceWords {
  for (let i = 0; i < 4; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
  return out;
}
