/** A problem with a GGUF file. The message names the file, the tensor (when one is involved) and the reason. */
export class GgufError extends Error {
  override name = 'GgufError';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor ? `tensor ${tensor}: ` : ''}${reason}`);
  }
}
