/** Why the probe failed, when a caller should react differently from other failures. */
export type ProbeErrorCode = 'ADDON_NOT_BUILT';

/** Every failure the probe reports is one of these, with a message that is a complete sentence. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  constructor(message: string, readonly code?: ProbeErrorCode) {
    super(message);
  }
}
