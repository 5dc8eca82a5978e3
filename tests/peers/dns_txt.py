"""A stand-in DNS server for domain verification tests: answers TXT queries over UDP on
127.0.0.1 from a JSON file ({"name": ["txt value", ...]}) re-read on every query, so a test
publishes a record by rewriting the file. Unknown names get NXDOMAIN. Standard library only.

    python dns_txt.py RECORDS.json   # prints the port it listens on, then serves
"""

import json
import os
import socket
import struct
import sys


def read_name(packet, offset):
    labels = []
    while True:
        length = packet[offset]
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        labels.append(packet[offset:offset + length].decode("ascii").lower())
        offset += length


def answer(packet, records):
    ident, _flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        return None
    name, end = read_name(packet, 12)
    qtype, _qclass = struct.unpack("!HH", packet[end:end + 4])
    question = packet[12:end + 4]
    values = records.get(name.rstrip("."))
    if values is None:
        header = struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0)  # NXDOMAIN
        return header + question
    answers = b""
    count = 0
    if qtype == 16:
        for value in values:
            data = value.encode()
            rdata = bytes([len(data)]) + data
            answers += struct.pack("!HHHIH", 0xC00C, 16, 1, 0, len(rdata)) + rdata
            count += 1
    header = struct.pack("!HHHHHH", ident, 0x8180, 1, count, 0, 0)
    return header + question + answers


def main():
    path = sys.argv[1]
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    parent = os.getppid()
    server.settimeout(1.0)
    while True:
        if os.getppid() != parent:
            return  # the test process is gone
        try:
            packet, client = server.recvfrom(4096)
        except socket.timeout:
            continue
        try:
            with open(path, encoding="utf-8") as file:
                records = json.load(file)
            reply = answer(packet, records)
        except (ValueError, IndexError, OSError, struct.error):
            reply = None
        if reply:
            server.sendto(reply, client)


if __name__ == "__main__":
    main()
