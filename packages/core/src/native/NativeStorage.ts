import type { Storage } from '../kernel_names';

/** Device memory of a native backend: the addon's handle plus what core reads. */
export class NativeStorage implements Storage {
  constructor(
    readonly handle: bigint,
    readonly device: number,
    readonly byteLength: number,
  ) {}

  /** The handle of a storage that must come from a native backend. */
  static handleOf(storage: Storage, arg: string): bigint {
    if (!(storage instanceof NativeStorage)) {
      throw new TypeError(
        `NativeBackend: buffer '${arg}' must live on this GPU backend, got ${storage.constructor?.name ?? typeof storage}`,
      );
    }
    return storage.handle;
  }

  describe(): string {
    return `NativeStorage(device ${this.device}, ${this.byteLength} bytes, handle ${this.handle})`;
  }
}
