// LINKTYPE_NFLOG (239), per libpcap pcap-linktype(7) and linux/netfilter/nfnetlink_log.h.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { decodeEtherType } from './dispatch';
import { decodeRawIp } from './raw-ip';
import { fail } from './packet';

const NFULA_PAYLOAD = 9;

/**
 * NFLOG record: family u8, version u8, res_id u16 (big-endian), then TLVs whose length and type
 * are in the capturer's host order (values big-endian, each padded to 4). The order is detected
 * from the first TLV: its length must fit and its type is small (< 256) in the right order.
 */
export function decodeNflogLink(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'nflog';
  if (!r.has(0, 8, end)) {
    fail(p, 'nflog.truncated', 0);
    return;
  }
  const family = r.u8(0);
  const lenLe = r.u16le(4);
  const lenBe = r.u16(4);
  const fitsLe = lenLe >= 4 && 4 + lenLe <= end;
  const fitsBe = lenBe >= 4 && 4 + lenBe <= end;
  const le = fitsLe && (!fitsBe || r.u16le(6) < 256);
  let off = 4;
  while (off + 4 <= end) {
    const len = le ? r.u16le(off) : r.u16(off);
    const type = (le ? r.u16le(off + 2) : r.u16(off + 2)) & 0x7fff; // top bits are netlink flags
    if (len < 4) {
      fail(p, 'nflog.bad-tlv', off);
      return;
    }
    if (off + len > end) {
      fail(p, 'nflog.truncated', off);
      return;
    }
    if (type === NFULA_PAYLOAD) {
      const vEnd = off + len;
      if (family === 2) decodeEtherType(0x0800, r, off + 4, vEnd, p, 0);
      else if (family === 10) decodeEtherType(0x86dd, r, off + 4, vEnd, p, 0);
      else decodeRawIp(r, off + 4, vEnd, p, 0);
      return;
    }
    off += (len + 3) & ~3;
  }
  if (off < end) fail(p, 'nflog.truncated', off);
  else fail(p, 'nflog.no-payload', end); // the last TLV's padding may be cut off
}
