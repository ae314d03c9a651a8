#!/usr/bin/python3
"""Read a lease file the way both servers mean it.

dnsmasq: one line per lease, "<expiry> <mac> <ip> <hostname> <clientid>",
rewritten as a whole. bootstorm (docs/leasefile.md): an append-only journal,
"<expiry> <mac> <ip> <state> <hostname> <crc32>", the last record for an
address wins, state bound | declined | free. Both are read as a sequence of
records (mac, ip, active); a record without a state word is active.

  leases.py active FILE      -> "mac ip" per live lease (sorted)
  leases.py has FILE MAC IP  -> exit 0 when MAC holds IP
  leases.py check FILE       -> exit 1 (and say why) when, replaying the
                                records in order, an address was bound to a
                                second MAC while the first still held it
"""
import re
import sys

MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
INACTIVE = {"free", "released", "declined", "expired", "deleted", "abandoned"}


def records(path):
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = line.split()
            mac = next((x.lower().replace("-", ":") for x in w if MAC.match(x)), None)
            ip = next((x for x in w if IP.match(x)), None)
            if not mac or not ip:
                continue
            active = not any(x.lower() in INACTIVE for x in w)
            yield mac, ip, active


def replay(path):
    holder = {}
    conflicts = []
    for mac, ip, active in records(path):
        if active:
            if ip in holder and holder[ip] != mac:
                conflicts.append("%s bound to %s while %s held it" % (ip, mac, holder[ip]))
            holder[ip] = mac
        else:
            # a free/declined record ends whatever binding the address had
            holder.pop(ip, None)
    return holder, conflicts


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    holder, conflicts = replay(path)
    if cmd == "active":
        for ip, mac in sorted(holder.items(), key=lambda x: (x[1], x[0])):
            print(mac, ip)
        return 0
    if cmd == "has":
        mac, ip = sys.argv[3].lower(), sys.argv[4]
        return 0 if holder.get(ip) == mac else 1
    if cmd == "check":
        per_mac = {}
        for ip, mac in holder.items():
            per_mac.setdefault(mac, []).append(ip)
        multi = {m: ips for m, ips in per_mac.items() if len(ips) > 1}
        for c in conflicts[:10]:
            print("conflict:", c)
        for m, ips in list(multi.items())[:10]:
            print("multiple live addresses for %s: %s" % (m, " ".join(ips)))
        print("live leases: %d, distinct MACs: %d, conflicts: %d, MACs with >1 address: %d"
              % (len(holder), len(per_mac), len(conflicts), len(multi)))
        return 1 if conflicts else 0
    print("unknown command", cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
