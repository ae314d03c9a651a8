#!/usr/bin/python3
"""Minimal TFTP RRQ client for tests: shows exactly what the server put in
its OACK and honours windowsize (RFC 7440) the way firmware does.

  tftpc.py HOST FILE OUT [--port 69] [--opt blksize=1468 --opt tsize=0 ...]
           [--abort-after-oack]   (send ERROR 8 after the OACK, like OVMF's
                                   tsize probe, and stop)
           [--wrq]                (send a WRQ instead and report the answer)

Prints one JSON object: {"oack": {...} | null, "bytes": N, "blocks": N,
"error": [code, "msg"] | null, "acks": N, "retries": N}.
Exit 0 when the transfer (or the requested probe) completed, 1 otherwise.
"""
import argparse
import json
import socket
import struct
import sys

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("file")
    ap.add_argument("out")
    ap.add_argument("--port", type=int, default=69)
    ap.add_argument("--opt", action="append", default=[])
    ap.add_argument("--abort-after-oack", action="store_true")
    ap.add_argument("--wrq", action="store_true")
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()

    opts = []
    for o in a.opt:
        k, v = o.split("=", 1)
        opts.append((k, v))
    req = struct.pack("!H", WRQ if a.wrq else RRQ) + a.file.encode() + b"\0octet\0"
    for k, v in opts:
        req += k.encode() + b"\0" + v.encode() + b"\0"

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    res = {"oack": None, "bytes": 0, "blocks": 0, "error": None, "acks": 0, "retries": 0}
    blksize = 512
    window = 1
    peer = None
    expect = 1
    since_ack = 0
    last_ack = 0
    ok = False
    retries = 0
    out = None

    def send_ack(n):
        s.sendto(struct.pack("!HH", ACK, n & 0xFFFF), peer)
        res["acks"] += 1

    s.sendto(req, (a.host, a.port))
    first = True
    try:
        while True:
            try:
                pkt, frm = s.recvfrom(65536 + 4)
            except socket.timeout:
                retries += 1
                res["retries"] = retries
                if retries > 6:
                    res["error"] = [-1, "timeout"]
                    break
                if first:
                    s.sendto(req, (a.host, a.port))
                else:
                    send_ack(last_ack)
                    since_ack = 0
                continue
            if peer is None:
                peer = frm
                res["peer_port"] = frm[1]
            elif frm != peer:
                # RFC 1350: packet from a wrong TID gets an error, not a reset
                s.sendto(struct.pack("!HH", ERROR, 5) + b"unknown tid\0", frm)
                continue
            op = struct.unpack("!H", pkt[:2])[0]
            if op == ERROR:
                code = struct.unpack("!H", pkt[2:4])[0]
                res["error"] = [code, pkt[4:].split(b"\0")[0].decode(errors="replace")]
                break
            if a.wrq:
                # any ACK/OACK to a WRQ means the server accepted the write
                res["accepted"] = op in (ACK, OACK)
                s.sendto(struct.pack("!HH", ERROR, 0) + b"test abort\0", peer)
                break
            if op == OACK and first:
                f = pkt[2:].split(b"\0")
                oack = {}
                for i in range(0, len(f) - 1, 2):
                    if f[i]:
                        oack[f[i].decode().lower()] = f[i + 1].decode()
                res["oack"] = oack
                first = False
                if a.abort_after_oack:
                    s.sendto(struct.pack("!HH", ERROR, 8) + b"tsize probe\0", peer)
                    ok = True
                    break
                blksize = int(oack.get("blksize", 512))
                window = int(oack.get("windowsize", 1))
                send_ack(0)
                continue
            if op != DATA:
                res["error"] = [-2, "unexpected opcode %d" % op]
                break
            first = False
            retries = 0
            blk = struct.unpack("!H", pkt[2:4])[0]
            data = pkt[4:]
            if blk != expect & 0xFFFF:
                # out of order / duplicate: re-ack the last good block
                if since_ack:
                    send_ack(last_ack)
                    since_ack = 0
                continue
            if out is None:
                out = open(a.out, "wb")
            out.write(data)
            res["bytes"] += len(data)
            res["blocks"] += 1
            last_ack = expect
            expect += 1
            since_ack += 1
            if len(data) < blksize:
                send_ack(last_ack)
                ok = True
                break
            if since_ack >= window:
                send_ack(last_ack)
                since_ack = 0
    finally:
        if out:
            out.close()
    if a.abort_after_oack and res["oack"] is None:
        ok = False
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
