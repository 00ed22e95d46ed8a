#!/usr/bin/env python3
"""Kill -9 torture: a writer appends numbered usage-queue records to a spool with random
rotations and split writes while tokenledgerd is killed with SIGKILL at random moments and
restarted. At the end the committed events must equal the records written: none lost, none
duplicated, and PRAGMA integrity_check must be ok after every kill."""

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE_FILE = os.path.join(ROOT, "Tests", "Fixtures", "cliproxyapi", "usage-queue.jsonl")


def record(template, sequence):
    return template.replace('"request_id":"8201e2bd"', '"request_id":"%08d"' % sequence)


def writer(spool, template, total, rng, done, stats, seconds):
    """Appends records 1...total to live.jsonl over about `seconds`, rotating by rename every few
    hundred records and sometimes splitting a line across two writes."""
    started = time.monotonic()
    live = os.path.join(spool, "live.jsonl")
    rotation = 0
    next_rotation = rng.randint(200, 3000)
    written = 0
    while written < total:
        batch = min(total - written, rng.randint(1, 60))
        text = "".join(record(template, written + index + 1) + "\n" for index in range(batch))
        with open(live, "a") as handle:
            if rng.random() < 0.3:
                cut = rng.randint(1, len(text) - 1)
                handle.write(text[:cut])
                handle.flush()
                time.sleep(rng.uniform(0, 0.003))
                handle.write(text[cut:])
            else:
                handle.write(text)
        written += batch
        stats["written"] = written
        if written >= next_rotation:
            rotation += 1
            os.rename(live, "%s.%d" % (live, rotation))
            next_rotation = written + rng.randint(200, 3000)
            stats["rotations"] = rotation
        # Keep pace with the schedule: ahead of it, wait; behind it, write on.
        ahead = started + seconds * written / total - time.monotonic()
        time.sleep(max(0.0, ahead) + rng.uniform(0, 0.002))
    done.set()


def integrity(database):
    connection = sqlite3.connect(database)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "tokenledgerd"))
    parser.add_argument("--max-alive", type=float, default=0.6, help="longest life of one daemon, in seconds")
    parser.add_argument("--writer-seconds", type=float, default=None,
                        help="spread the writing over this many seconds (default: the expected kill phase)")
    arguments = parser.parse_args()

    rng = random.Random(arguments.seed)
    with open(TEMPLATE_FILE) as handle:
        template = handle.readline().rstrip("\n")
    work = tempfile.mkdtemp(prefix="tokenledgerd-torture-")
    spool = os.path.join(work, "spool")
    state = os.path.join(work, "state")
    os.makedirs(spool)
    database = os.path.join(state, "tokenledgerd.sqlite3")
    command = [arguments.binary, "run", "--spool", spool, "--state-dir", state, "--poll-interval", "0.5"]

    stats = {"written": 0, "rotations": 0}
    done = threading.Event()
    seconds = arguments.writer_seconds
    if seconds is None:
        seconds = arguments.kills * (0.02 + arguments.max_alive) / 2 * 0.9
    thread = threading.Thread(
        target=writer, args=(spool, template, arguments.records, random.Random(arguments.seed + 1), done, stats, seconds))
    started = time.monotonic()
    thread.start()
    bad_checks = []
    kills = 0
    # Spread the kills over the writer's run: each daemon lives a random fraction of a second.
    while kills < arguments.kills:
        daemon = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, arguments.max_alive))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        kills += 1
        if os.path.exists(database):
            result = integrity(database)
            if result != "ok":
                bad_checks.append((kills, result))
    thread.join()

    drain = subprocess.run([arguments.binary, "run", "--once", "--spool", spool, "--state-dir", state],
                           cwd=ROOT, capture_output=True, text=True)
    if drain.returncode != 0:
        print(drain.stderr, file=sys.stderr)
    connection = sqlite3.connect(database)
    rows = connection.execute("SELECT request_id FROM events").fetchall()
    connection.close()
    committed = [row[0] for row in rows]
    expected = {"%08d" % sequence for sequence in range(1, arguments.records + 1)}
    unique = set(committed)
    lost = len(expected - unique)
    extra = len(unique - expected)
    duplicated = len(committed) - len(unique)
    elapsed = time.monotonic() - started
    print("records written:   %d in %d rotations" % (stats["written"], stats["rotations"]))
    print("kills:             %d (SIGKILL), integrity checks failed: %d" % (kills, len(bad_checks)))
    print("events committed:  %d" % len(committed))
    print("lost:              %d" % lost)
    print("duplicated:        %d" % duplicated)
    print("unexpected:        %d" % extra)
    print("elapsed:           %.1f s" % elapsed)
    failed = lost + duplicated + extra + len(bad_checks) + (1 if drain.returncode != 0 else 0)
    print("torture: %d passed, %d failed" % (1 if failed == 0 else 0, 1 if failed else 0))
    if failed == 0:
        subprocess.run(["rm", "-rf", work])
    else:
        print("kept the work directory for inspection: %s" % work)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
