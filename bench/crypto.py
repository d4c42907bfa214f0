"""Vault and password-hashing costs: how many secrets per second the vault seals and opens, and
what one sign-in costs with the production argon2id parameters.

    .venv/bin/python bench/crypto.py [--smoke]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.auth.passwords import _PRODUCTION
from app.vault import SealContext, Vault
from app.vault.keyring import Key, KeySource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run to check the script works")
    args = parser.parse_args()
    n = 200 if args.smoke else 20_000
    hashes = 2 if args.smoke else 20

    vault = Vault(KeySource(env_key=Key.generate().encoded(), env_previous=None, key_file=None, create_file=False))
    contexts = [SealContext("sealed_secrets", "ciphertext", str(i), "bench") for i in range(n)]
    value = "00" + "x" * 40
    start = time.perf_counter()
    blobs = [vault.seal(value, ctx) for ctx in contexts]
    seal_s = time.perf_counter() - start
    start = time.perf_counter()
    for blob, ctx in zip(blobs, contexts, strict=True):
        vault.open(blob, ctx)
    open_s = time.perf_counter() - start

    timings = []
    stored = _PRODUCTION.hash("benchmark password")
    for _ in range(hashes):
        start = time.perf_counter()
        _PRODUCTION.verify(stored, "benchmark password")
        timings.append(time.perf_counter() - start)

    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"vault seal: {n / seal_s:,.0f} secrets/s   open: {n / open_s:,.0f} secrets/s   ({n} secrets)")
    print(f"argon2id verify (m=64 MiB, t=3, p=2): median {statistics.median(timings) * 1000:.0f} ms "
          f"over {hashes} sign-ins")


if __name__ == "__main__":
    main()
