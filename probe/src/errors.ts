/** Every failure the probe reports is one of these, with a message that is a complete sentence. */
export class ProbeError extends Error {
  override name = 'ProbeError';
}
