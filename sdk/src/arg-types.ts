/**
 * Typed marker args (sdk/MARKERS.md, "Typed args"): the text forms of int, double and bool values, and the
 * semantic-convention keys whose type is fixed. One definition for the SDK's writer and the correlator's parser.
 *
 * Numbers follow OpenTelemetry JS, whose exporters turn every integral number into an int and every other one into
 * a double: a typed number must be finite, and an integral one a safe integer (±(2^53 − 1), the range every
 * language and both OTLP encoders agree on). Anything else stays text.
 */

/** A marker arg's value after parsing: text, or a typed number or boolean. */
export type ArgValue = string | number | boolean;

export type ArgType = 'i' | 'd' | 'b';

/**
 * OpenTelemetry semantic-convention attributes whose registry type is int or boolean: a plain `name=value` arg
 * with one of these names is typed as if written `_i.name=value` (or `_b.`), so sysdig-style writers get them
 * right too. Kept small on purpose: the keys applications put on spans.
 */
export const SEMCONV_TYPES: ReadonlyMap<string, ArgType> = new Map<string, ArgType>([
  ['http.response.status_code', 'i'],
  ['http.request.resend_count', 'i'],
  ['http.request.body.size', 'i'],
  ['http.response.body.size', 'i'],
  ['http.request.size', 'i'],
  ['http.response.size', 'i'],
  ['server.port', 'i'],
  ['client.port', 'i'],
  ['network.peer.port', 'i'],
  ['network.local.port', 'i'],
  ['source.port', 'i'],
  ['destination.port', 'i'],
  ['url.port', 'i'],
  ['db.response.returned_rows', 'i'],
  ['db.operation.batch.size', 'i'],
  ['messaging.batch.message_count', 'i'],
  ['messaging.message.body.size', 'i'],
  ['messaging.message.envelope.size', 'i'],
  ['messaging.destination.temporary', 'b'],
  ['messaging.destination.anonymous', 'b'],
  ['code.line.number', 'i'],
  ['code.column.number', 'i'],
]);

// Most arg names are not in the table: a length and a first-character check turn them away before the map lookup
// (every marker arg is looked up).
const KEY_LENGTHS = new Uint8Array(64);
const KEY_FIRST = new Uint8Array(128);
for (const k of SEMCONV_TYPES.keys()) {
  KEY_LENGTHS[k.length] = 1;
  KEY_FIRST[k.charCodeAt(0)] = 1;
}

/** The semantic-convention type of an arg name, or undefined. */
export function semconvType(name: string): ArgType | undefined {
  if (name.length >= 64 || KEY_LENGTHS[name.length] === 0 || KEY_FIRST[name.charCodeAt(0)] !== 1) return undefined;
  return SEMCONV_TYPES.get(name);
}

// JSON's number syntax: what every language prints and parses the same way
const DOUBLE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** `-?[0-9]+` within ±(2^53 − 1), -0 as 0; undefined otherwise. A loop: every status code and port comes here. */
function parseInt64(text: string): number | undefined {
  const len = text.length;
  const neg = len > 0 && text.charCodeAt(0) === 0x2d;
  let i = neg ? 1 : 0;
  if (i === len) return undefined;
  let v = 0;
  for (; i < len; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
    if (v > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return neg && v !== 0 ? -v : v;
}

/** The typed value of `text` as type `t`, or undefined when it is not one (the arg then stays text). */
export function parseTyped(t: ArgType, text: string): number | boolean | undefined {
  switch (t) {
    case 'i':
      return parseInt64(text);
    case 'd': {
      if (text.length > 64 || !DOUBLE.test(text)) return undefined;
      const n = Number(text);
      if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) return undefined;
      return n + 0;
    }
    default:
      return text === 'true' ? true : text === 'false' ? false : undefined;
  }
}

/** The type a letter of a typed arg name (`_i.x`, `_d.x`, `_b.x`) stands for, or undefined. */
export function typeLetter(c: number): ArgType | undefined {
  return c === 0x69 /* i */ ? 'i' : c === 0x64 /* d */ ? 'd' : c === 0x62 /* b */ ? 'b' : undefined;
}

/**
 * How a number is written: 'i' (a safe integer; -0 as 0), 'd' (any other finite number), or undefined (NaN,
 * ±Infinity, integral beyond ±(2^53 − 1)): written as text, like String(n).
 */
export function numberType(n: number): ArgType | undefined {
  if (Number.isSafeInteger(n)) return 'i';
  return Number.isFinite(n) && !Number.isInteger(n) ? 'd' : undefined;
}
