#!/usr/bin/env python3
"""V312's reference: badkeys' own shared-prime check (gmpy2, i.e. GMP) timed per
RSA-2048 key, on the moduli file the Rust side times too.

    python3 scripts/bench/v312_badkeys.py make MODULI N   # N fresh RSA-2048 moduli, hex, one a line
    VENV/bin/python scripts/bench/v312_badkeys.py time MODULI

`make` needs `cryptography`; `time` needs badkeys 0.0.21 and gmpy2 (the venv
`cargo bench -p csrkit-validate --bench shared_prime` makes under target/).
Prints one Markdown table row: check, median µs/key, best and worst round, keys (CPU
time of the thread, so other processes on the machine do not count).
"""

import sys
import time


def make(path, count):
    from cryptography.hazmat.primitives.asymmetric import rsa

    with open(path, "w") as f:
        for _ in range(count):
            n = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers().n
            f.write(f"{n:x}\n")


def timing(path):
    from importlib.metadata import version

    from badkeys.rsakeys.sharedprimes import sharedprimes

    moduli = [int(line, 16) for line in open(path) if line.strip()]
    sharedprimes(moduli[0])  # loads the product once, as a long-running checker would
    rounds = []
    for _ in range(7):
        start = time.thread_time()
        for n in moduli:
            if sharedprimes(n):
                sys.exit("a fresh key shares a prime with the set")
        rounds.append((time.thread_time() - start) / len(moduli) * 1e6)
    rounds.sort()
    print(
        f"| badkeys {version('badkeys')} `sharedprimes` (gmpy2 {version('gmpy2')}) "
        f"| {rounds[len(rounds) // 2]:.0f} µs | {rounds[0]:.0f} µs | {rounds[-1]:.0f} µs | {len(moduli)} |"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "time":
        timing(sys.argv[2])
    else:
        sys.exit(__doc__)
