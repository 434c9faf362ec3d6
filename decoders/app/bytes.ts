/** Small byte helpers shared by the app parsers. */

/**
 * Index of `byte` in buf[from, end), or -1. `Uint8Array.indexOf` alone would scan to the end of
 * the whole buffer (a batch buffer can be megabytes) when the byte is absent from the view: for
 * long ranges we search a subarray (one small view object) so the native memchr stays bounded;
 * short ranges use a plain loop (no allocation).
 */
export function indexOfByte(buf: Uint8Array, byte: number, from: number, end: number): number {
  if (end - from > 64) {
    const k = buf.subarray(from, end).indexOf(byte);
    return k < 0 ? -1 : from + k;
  }
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}
