"""bench.pinger: the ICMP packets it builds and the replies it accepts."""

from __future__ import annotations

import struct

from bench.pinger import ECHO_REPLY, checksum, echo_request, reply_seq, unwrap


def _ip(icmp: bytes, ihl_words: int = 5) -> bytes:
    header = bytes([0x40 | ihl_words]) + bytes(ihl_words * 4 - 1)
    return header + icmp


def test_echo_request_checksums_to_zero_and_carries_the_low_sequence_bits() -> None:
    packet = echo_request(0x1234, 70000)
    assert len(packet) == 64  # as ping's default
    assert checksum(packet) == 0  # a valid checksum folds the sum to zero
    kind, code, _sum, ident, seq = struct.unpack("!BBHHH", packet[:8])
    assert (kind, code, ident, seq) == (8, 0, 0x1234, 70000 & 0xFFFF)


def test_checksum_of_a_known_header() -> None:  # RFC 1071 worked example
    assert checksum(bytes([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7])) == 0x220D
    assert checksum(b"\x01") == ~0x0100 & 0xFFFF  # odd length: padded with a zero


def test_only_echo_replies_to_our_identifier_are_accepted() -> None:
    reply = bytearray(echo_request(7, 42))
    reply[0] = ECHO_REPLY
    assert reply_seq(_ip(bytes(reply)), 7) == 42
    assert reply_seq(_ip(bytes(reply), ihl_words=6), 7) == 42  # IP options skipped
    assert reply_seq(_ip(bytes(reply)), 8) is None  # another pinger's
    assert reply_seq(_ip(echo_request(7, 42)), 7) is None  # a request, not a reply
    assert reply_seq(_ip(bytes(reply[:6])), 7) is None  # truncated
    assert reply_seq(b"", 7) is None


def test_sequence_numbers_unwrap_to_the_latest_probe() -> None:
    assert unwrap(5, 5) == 5
    assert unwrap(3, 5) == 3
    assert unwrap(65535, 65537) == 65535
    assert unwrap(1, 65537) == 65537  # 65537 & 0xFFFF
    assert unwrap(65535, 65536 + 65535) == 65536 + 65535
