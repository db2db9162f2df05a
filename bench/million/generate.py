#!/usr/bin/env python3
"""Writes realistic Tessera sessions as RESP to stdout, for `redis-cli --pipe`.

The layout is Tessera's (src/Tessera/Internal/SessionLayout.cs): one hash per session named
{prefix}{handle}, handle = base64url(SHA-256(id)) without padding (43 characters), metadata fields
'#c' created, '#a' last access, '#i' idle ms, '#d' absolute deadline, '#s' size, '#u' user,
'#au' authenticated at, '#ip'/'#ua' first client, '#lip'/'#lua' last client; caller values with a
codec header byte (0x00 = plain) and counters as plain decimal text (HINCRBY). A session's TTL is
min(idle, deadline - now). A signed-in session is a member of the sorted set {prefix}user:{user}
scored by its deadline; the index key expires with its last member (PEXPIREAT).

The mix (per million sessions): 60 % anonymous, 40 % signed in over --users users (a few heavy
users, most with one or two devices; user 'heavy' has 100), 5 % of the signed-in ones "remember me"
(14 days), idle timeouts of 2 h (anonymous), 2 h or 8 h (signed in), last seen so that none expires
within --min-ttl-s (default an hour: the measurements see every one); 0.1 % without a TTL (the bug `tessera cleanup` finds), plus rotation tombstones
(1 % of --count) and session locks (0.05 %), both with the same TTL floor (a real tombstone
lives seconds, a lock milliseconds; here they stay to be counted). Deterministic for a given --seed.
Bounded: exactly --count sessions; no loop depends on the server.
"""
import argparse, base64, hashlib, random, sys

p = argparse.ArgumentParser()
p.add_argument("--count", type=int, default=1_000_000)
p.add_argument("--users", type=int, default=150_000)
p.add_argument("--prefix", default="session:")
p.add_argument("--now-ms", type=int, required=True, help="Redis TIME in ms (the generator never reads a clock)")
p.add_argument("--seed", type=int, default=28)
p.add_argument("--min-ttl-s", type=int, default=3600, help="no session expires sooner (so a measurement hour sees them all)")
a = p.parse_args()
a.users = min(a.users, a.count)
if not (1 <= a.count <= 20_000_000) or a.users < 1:
    sys.exit("--count must be 1..20,000,000 and --users 1..count")

rng = random.Random(a.seed)
out = sys.stdout.buffer
buf = []
pb = a.prefix.encode()
IDLES = [2 * 3600 * 1000, 8 * 3600 * 1000]   # idle timeouts of the anonymous and signed-in sessions
REMEMBER = 14 * 24 * 3600 * 1000
LIFETIME = 24 * 3600 * 1000
MIN_TTL = a.min_ttl_s * 1000
agents = [b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
          b"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
          b"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
          b"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"]
carts = [b"\x00" + bytes(rng.choice(b'{"items":[1,2,3],"total":19.99}abcdefghij') for _ in range(n)) for n in (40, 120, 300, 900, 2500)]
cart_weights = [40, 30, 20, 8, 2]
flash = b"\x00" + b"Your changes were saved."
culture = b"\x00" + b"en-GB"

def cmd(*parts):
    b = [b"*%d\r\n" % len(parts)]
    for x in parts:
        if not isinstance(x, bytes):
            x = str(x).encode()
        b.append(b"$%d\r\n%s\r\n" % (len(x), x))
    buf.append(b"".join(b))

def handle(n):
    return base64.urlsafe_b64encode(hashlib.sha256(b"tessera-bench-%d-%d" % (a.seed, n)).digest()).rstrip(b"=")

# Users: a skewed draw (a few with many devices, most with one or two); user 'heavy' gets 100 devices.
def pick_user():
    r = rng.random()
    return b"u%d" % int(a.users * r * r * r)

now = a.now_ms
index = {}          # user -> list of (score, member)
signed_in_total = int(a.count * 0.4)
heavy_left = min(100, signed_in_total)
for n in range(a.count):
    h = handle(n)
    key = pb + h
    signed = n % 5 < 2           # 40 %
    remember = signed and rng.random() < 0.05
    idle = REMEMBER if remember else IDLES[1] if signed and n % 3 == 0 else IDLES[0]
    # The session was created some time ago and last seen within its idle timeout, late enough
    # that it lives at least MIN_TTL more.
    age_seen = int(rng.random() * max(0, idle - MIN_TTL))
    last = now - age_seen
    created = last - int(rng.random() * 3600 * 1000)
    deadline = created + (30 * 24 * 3600 * 1000 if remember else LIFETIME)
    if deadline < now + MIN_TTL:
        deadline = now + MIN_TTL + int(rng.random() * 3600 * 1000)
    ttl = min(last + idle, deadline) - now
    cart = rng.choices(carts, cart_weights)[0]
    ua = agents[n % len(agents)]
    ip = b"203.0.%d.%d" % ((n >> 8) & 255, n & 255)
    fields = [b"#c", created, b"#a", last, b"#i", idle, b"#d", deadline,
              b"#ip", ip, b"#ua", ua, b"cart", cart, b"views", rng.randint(1, 500)]
    size = len(cart) + 5 + 40 * 2 + 5 + 3
    if n % 3 == 0:
        fields += [b"culture", culture]; size += len(culture) + 7 + 40
    if n % 11 == 0:
        fields += [b"flash", flash]; size += len(flash) + 5 + 40
    if signed:
        if heavy_left > 0:
            user = b"heavy"; heavy_left -= 1
        else:
            user = pick_user()
        fields += [b"#u", user, b"#au", created + 2000, b"#lip", ip, b"#lua", ua]
        index.setdefault(user, []).append((deadline, h))
    fields += [b"#s", size]
    cmd(b"HSET", key, *fields)
    if n % 1000 != 7:            # 0.1 % have no TTL
        cmd(b"PEXPIRE", key, ttl)
    if n % 2000 == 3:            # 0.05 % hold a lock right now
        cmd(b"SET", pb + b"lock:" + h, b"t%d" % n, b"PX", MIN_TTL + 600000)
    if n % 100 == 5:             # 1 %: a rotation left a tombstone that points here
        t = handle(a.count + n)
        cmd(b"HSET", pb + t, b"#r", h)
        cmd(b"PEXPIRE", pb + t, MIN_TTL + 600000)
    if len(buf) >= 4096:
        out.write(b"".join(buf)); buf.clear()

for user, members in index.items():
    key = pb + b"user:" + user
    for i in range(0, len(members), 200):
        chunk = members[i:i + 200]
        args = []
        for score, m in chunk:
            args += [score, m]
        cmd(b"ZADD", key, *args)
    cmd(b"PEXPIREAT", key, max(s for s, _ in members))
    if len(buf) >= 4096:
        out.write(b"".join(buf)); buf.clear()

out.write(b"".join(buf))
print(f"{a.count} sessions, {sum(1 for n in range(a.count) if n % 5 < 2)} signed in, {len(index)} user indexes", file=sys.stderr)
