#!/usr/bin/env python3
"""`csrkit apply --manifest` of many certificates beside the floor the rate limit sets.

Usage: fleet_manifest.py [--bin target/release/csrkit] [--certs 200] [--rate 10] [--rounds 3]
                         [--issue-after SECONDS] [--concurrency N]

Each round starts a fresh `csrkit sandbox` process on a loopback port that answers like the
service above RATE requests per second per API action (`--rate-limit RATE`, `Throttling.User`),
writes a manifest of CERTS certificates (P-256, one name each, each in its own directory), and
times one `csrkit apply --manifest FILE --format json --rate RATE` from start to exit. Then it
reads the sandbox's `/_sandbox/stats` (requests received per action, throttled answers) and
computes the floor.

The floor. The service (and the sandbox) allows RATE requests of each API action in any one
second, so the k-th request of an action cannot go before (k - 1) // RATE seconds: n requests of
one action take at least (n - 1) // RATE seconds, whatever else happens, and each action is
limited on its own. What a certificate needs: one DescribePackageState (quota) and one
CreateCertificateWithCsrRequest, one DescribeCertificateState right after the Create (what to
publish, or the certificate when the CA issued at once), and the polls the schedule makes before
it sees the certificate: csrkit's schedule (the same against the service and a sandbox at
--endpoint) polls 10 s after the first look, then x1.5 each time up to 60 s (jittered +-20 %), so
a CA that issues ISSUE_AFTER seconds after the Create needs as many polls as the schedule's points
up to the first at or after ISSUE_AFTER (none when it issues at once). Hence

    floor = max( (CERTS - 1) // RATE + t(ISSUE_AFTER),          the last Create, then its wait
                 max over actions A of (needed_A - 1) // RATE ) the busiest action

with t(X) the schedule's first point at or after X (0 for X = 0), without jitter, and needed_A
the counts above (Describe: CERTS x (1 + polls)). The sandbox's own counts per action
(/_sandbox/stats) are printed beside them: more than needed would be requests csrkit wasted.
Local work (keys, journals, fsyncs) overlaps the waiting and sets no floor of its own.

Prints one Markdown row per round and the median. No dependency beyond Python 3.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def schedule_points(issue_after):
    """The un-jittered times of the polls up to the first at or after `issue_after`."""
    points, t, step = [], 0.0, 10.0
    while issue_after > 0 and t < issue_after:
        t += step
        points.append(t)
        step = min(step * 1.5, 60.0)
    return points


def floor_of(certs, rate, issue_after):
    """The floor (seconds) and the requests it counts, per action."""
    polls = schedule_points(issue_after)
    needed = {
        "DescribePackageState": certs,
        "CreateCertificateWithCsrRequest": certs,
        "DescribeCertificateState": certs * (1 + len(polls)),
    }
    chain = (certs - 1) // rate + (polls[-1] if polls else 0.0)
    busiest = max((n - 1) // rate for n in needed.values())
    return max(chain, busiest), needed


def manifest(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(f'[[certificate]]\nname = "b{i}"\ndomains = ["b{i}.example.com"]\n'
                    f'dir = "certs/b{i}"\nkey_type = "p256"\n\n')


def one_round(args, scratch):
    sandbox = subprocess.Popen(
        [args.bin, "sandbox", "--listen", "127.0.0.1:0", "--rate-limit", str(args.rate),
         "--quota", f"digicert-free-1-free={args.certs * 2}",
         "--issue-after", str(args.issue_after)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = sandbox.stdout.readline().strip()
        path = os.path.join(scratch, "certs.toml")
        manifest(path, args.certs)
        env = dict(os.environ,
                   CSRKIT_ENDPOINT=url,
                   ALIBABA_CLOUD_ACCESS_KEY_ID="sandbox-access-key-id",
                   ALIBABA_CLOUD_ACCESS_KEY_SECRET="sandbox-access-key-secret",
                   CSRKIT_CONTACT_NAME="Zhang San",
                   CSRKIT_CONTACT_PHONE="13800000000",
                   CSRKIT_CONTACT_EMAIL="ops@example.com",
                   HOME=scratch)
        cmd = [args.bin, "apply", "--manifest", path, "--format", "json",
               "--rate", str(args.rate), "--concurrency", str(args.concurrency), "--wait"]
        start = time.monotonic()
        run = subprocess.run(cmd, env=env, cwd=scratch, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
        wall = time.monotonic() - start
        if run.returncode != 0:
            sys.exit(f"csrkit apply exited {run.returncode}:\n{run.stderr[-4000:]}")
        doc = json.loads(run.stdout)
        issued = doc["summary"]["issued"]
        if issued != args.certs:
            sys.exit(f"{issued} of {args.certs} issued")
        with urllib.request.urlopen(url + "/_sandbox/stats") as r:
            stats = json.load(r)
    finally:
        sandbox.kill()
        sandbox.wait()
    requests = {a: n for a, n in stats["requests"].items() if n}
    throttled = sum(stats.get("throttled", {}).values())
    return wall, requests, throttled


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default="target/release/csrkit")
    p.add_argument("--certs", type=int, default=200)
    p.add_argument("--rate", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--issue-after", type=int, default=0)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()
    args.bin = os.path.abspath(args.bin)
    load = os.getloadavg()[0]
    floor, needed = floor_of(args.certs, args.rate, args.issue_after)
    print(f"{args.certs} certificates, {args.rate}/s per action, CA issuing "
          f"{args.issue_after} s after the Create, --concurrency {args.concurrency}, "
          f"load average {load:.1f}; floor {floor:.1f} s for "
          + ", ".join(f"{a} {n}" for a, n in sorted(needed.items())))
    print("| round | wall time | floor | wall / floor | requests the sandbox received | throttled |")
    print("|---:|---:|---:|---:|---|---:|")
    walls = []
    for i in range(args.rounds):
        scratch = tempfile.mkdtemp(prefix="csrkit-fleet-bench-")
        try:
            wall, requests, throttled = one_round(args, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        walls.append(wall)
        per = ", ".join(f"{a} {n}" for a, n in sorted(requests.items()))
        print(f"| {i + 1} | {wall:.2f} s | {floor:.1f} s | {wall / floor:.3f} | {per} | "
              f"{throttled} |", flush=True)
    median = statistics.median(walls)
    print(f"median: {median:.2f} s, {median / floor:.3f} of the floor")


if __name__ == "__main__":
    main()
