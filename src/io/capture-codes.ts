/**
 * Stable error codes of the capture readers (thrown as CaptureError from src/errors.ts, which
 * carries `file` and `offset`). Never renumber or reuse; documented in docs/capture.md.
 */
/** The first bytes are not a pcap or pcapng magic number. Offset 0. */
export const E_CAPTURE_BAD_MAGIC = 'QUELL_E_CAPTURE_BAD_MAGIC';
/** The file ends inside a file header, record header, packet or block. Offset = start of it. */
export const E_CAPTURE_TRUNCATED = 'QUELL_E_CAPTURE_TRUNCATED';
/** Classic pcap file header unusable (unsupported major version). Offset 0. */
export const E_CAPTURE_BAD_HEADER = 'QUELL_E_CAPTURE_BAD_HEADER';
/** Classic pcap record header is corrupt (caplen above MAX_CAPLEN). Offset = record start. */
export const E_CAPTURE_BAD_RECORD = 'QUELL_E_CAPTURE_BAD_RECORD';
/** pcapng block is corrupt (bad length, trailer mismatch, bad byte-order magic, unknown
 * interface, caplen beyond the block or above MAX_CAPLEN...). Offset = block start. */
export const E_CAPTURE_BAD_BLOCK = 'QUELL_E_CAPTURE_BAD_BLOCK';
/** Reading the file or stream failed after it was opened (EIO...). */
export const E_CAPTURE_READ = 'QUELL_E_CAPTURE_READ';

/**
 * Largest captured length accepted for one packet: libpcap's MAXIMUM_SNAPLEN (256 KiB).
 * A record claiming more is corrupt (its length field is garbage), never a reason to allocate.
 */
export const MAX_CAPLEN = 262144;
/** Largest pcapng block accepted (as Wireshark): a longer block length is corrupt. */
export const MAX_BLOCK_LEN = 16 * 1024 * 1024;
