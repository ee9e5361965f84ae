#!/usr/bin/env python3
"""Sample a VM's vCPU RIPs over QMP (info registers): a poor man's profiler."""
import json, socket, sys, time, re, bisect, collections
sock, n, interval, sysmap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
syms = []
for line in open(sysmap):
    a, t, name = line.split()[:3]
    if t.lower() in ('t', 'w'):
        syms.append((int(a, 16), name))
syms.sort()
addrs = [a for a, _ in syms]
s = socket.socket(socket.AF_UNIX); s.connect(sock)
f = s.makefile('rw')
def cmd(c, args=None):
    f.write(json.dumps({"execute": c, **({"arguments": args} if args else {})}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline()); cmd("qmp_capabilities")
cnt = collections.Counter(); modes = collections.Counter()
for _ in range(n):
    out = cmd("human-monitor-command", {"command-line": "info registers -a"})["return"]
    for m in re.finditer(r"RIP=([0-9a-f]{16}).*?\nCS =([0-9a-f]{4})", out, re.S):
        rip = int(m.group(1), 16)
        cpl = int(m.group(2), 16) & 3
        if rip >= 0xffffffff80000000:
            i = bisect.bisect_right(addrs, rip) - 1
            name = syms[i][1] if i >= 0 else "?"
        else:
            name = "user(cpl%d)" % cpl
        cnt[name] += 1
    hf = re.findall(r"HLT=(\d)", out)
    time.sleep(interval)
tot = sum(cnt.values())
for name, c in cnt.most_common(25):
    print("%5.1f%% %s" % (100.0 * c / tot, name))
