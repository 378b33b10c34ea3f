/** Why the probe failed, when a caller should react differently from other failures:
 * - ADDON_NOT_BUILT: the native addon could not be loaded
 * - INVALID_OPTION: a ProbeOption is out of range (`ProbeOptionError` names the option)
 * - LOAD_FAILED: the kernel refused to load or attach the BPF program
 * - BATCH_CORRUPT: bytes that are not a valid batch (`BatchDecodeError`) */
export type ProbeErrorCode = 'ADDON_NOT_BUILT' | 'INVALID_OPTION' | 'LOAD_FAILED' | 'BATCH_CORRUPT';

/** Every failure the probe reports is one of these, with a message that is a complete sentence. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  constructor(
    message: string,
    readonly code?: ProbeErrorCode,
  ) {
    super(message);
  }
}

/** A ProbeOptions field the probe cannot use; `requirement` completes "The <option> option ..." (a caller with
 * its own names for the options, such as the CLI's flags, words the sentence with those). */
export class ProbeOptionError extends ProbeError {
  constructor(
    readonly option: 'snapLen' | 'ringSize' | 'markers' | 'syscalls' | 'skipByContext' | 'adoptCgroups',
    readonly requirement: string,
  ) {
    super(`The ${option} option ${requirement}.`, 'INVALID_OPTION');
  }
}
