#!/usr/bin/env python3
"""Measure how fast `tokenledgerd replicate` copies stored events into PostgreSQL.

Starts a throwaway PostgreSQL server on 127.0.0.1: initdb into a temporary directory, a free
port, password authentication. Fills a local store from a seeded usage-queue spool with
`run --once`. Then times `replicate` catch-ups of the whole store, into a new database per run,
for each batch size. Prints one table and writes bench-replication.json into the current
directory. See docs/benchmarks.md for what the figures mean.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the seeded generators and helpers of the main benchmark)

SERVER_BINARIES = "/usr/lib/postgresql/15/bin"
USER = "tokenledgerd"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A PostgreSQL server in `directory`, run as the postgres user when this process is root."""

    def __init__(self, directory, fsync):
        self.directory = directory
        self.data = os.path.join(directory, "data")
        self.port = free_port()
        self.password = "bench-" + os.urandom(8).hex()
        password_file = os.path.join(directory, "password")
        with open(password_file, "w") as handle:
            handle.write(self.password)
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "postgres", directory], check=True)
        self.as_server_user([
            SERVER_BINARIES + "/initdb", "-D", self.data, "-U", USER, "--pwfile=" + password_file,
            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"])
        options = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=%s" % (
            self.port, directory, "on" if fsync else "off")
        self.as_server_user([
            SERVER_BINARIES + "/pg_ctl", "-D", self.data, "-w", "-t", "30", "-l",
            os.path.join(directory, "log"), "-o", options, "start"])

    def as_server_user(self, arguments):
        if os.getuid() == 0:
            arguments = ["runuser", "-u", "postgres", "--"] + arguments
        subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL)

    def sql(self, statement, database="postgres"):
        output = subprocess.run(
            [SERVER_BINARIES + "/psql", "-h", self.directory, "-p", str(self.port), "-U", USER, "-d", database,
             "-Atqc", statement], check=True, capture_output=True, text=True)
        return output.stdout.strip()

    def connection_string(self, database):
        return "postgresql://%s:%s@127.0.0.1:%d/%s?connect_timeout=10" % (USER, self.password, self.port, database)

    def stop(self):
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else [])
            + [SERVER_BINARIES + "/pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="usage-queue events to replicate (default 100000)")
    parser.add_argument("--batches", default="100,500,1000,1800", help="batch sizes to measure (default 100,500,1000,1800)")
    parser.add_argument("--runs", type=int, default=3, help="timed catch-ups per batch size (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated spool (default 1)")
    parser.add_argument("--no-fsync", action="store_true", help="run the server with fsync=off")
    parser.add_argument("--binary", default=os.path.join(bench.ROOT, ".build", "release", "tokenledgerd"))
    options = parser.parse_args()
    if not os.path.exists(SERVER_BINARIES + "/initdb"):
        sys.exit("PostgreSQL server binaries are missing in %s; install postgresql" % SERVER_BINARIES)

    work = tempfile.mkdtemp(prefix="tokenledgerd-bench-replication-")
    os.chmod(work, 0o755)
    server = None
    try:
        binary = os.path.join(work, "tokenledgerd")
        shutil.copy2(options.binary, binary)
        spools = bench.Spools(options.seed)
        spool = os.path.join(work, "spool")
        state = os.path.join(work, "state")
        os.makedirs(spool)
        with open(os.path.join(spool, "usage.jsonl"), "w") as handle:
            for _ in range(options.events):
                handle.write(spools.next_usage_line() + "\n")
        bench.log("filling the local store with %d events" % options.events)
        subprocess.run([binary, "run", "--once", "--spool", spool, "--state-dir", state, "--log-level", "error"],
                       check=True)
        stored = int(bench.scalar(os.path.join(state, "tokenledgerd.sqlite3"), "SELECT count(*) FROM events"))

        server_directory = os.path.join(work, "pg")
        os.makedirs(server_directory)
        server = Server(server_directory, fsync=not options.no_fsync)
        results = []
        run_index = 0
        for batch in [int(value) for value in options.batches.split(",")]:
            walls = []
            for _ in range(options.runs):
                run_index += 1
                database = "bench_%d" % run_index
                server.sql("CREATE DATABASE %s" % database)
                target = os.path.join(work, "target")
                with open(target, "w") as handle:
                    handle.write(server.connection_string(database))
                os.chmod(target, 0o600)
                config = os.path.join(work, "replication.conf")
                with open(config, "w") as handle:
                    handle.write("[replication]\nbatch_events = %d\nhost_id = bench\n" % batch)
                # A fresh copy of the store, so that every run starts with no watermark.
                run_state = os.path.join(work, "state-%d" % run_index)
                shutil.copytree(state, run_state)
                started = time.monotonic()
                subprocess.run(["taskset", "-c", bench.CORE, binary, "replicate", "--to", "@" + target,
                                "--state-dir", run_state, "--config", config, "--log-level", "error"], check=True)
                wall = time.monotonic() - started
                remote = int(server.sql("SELECT count(*) FROM events", database))
                if remote != stored:
                    raise RuntimeError("run %d sent %d of %d events" % (run_index, remote, stored))
                walls.append(wall)
                shutil.rmtree(run_state)
                server.sql("DROP DATABASE %s" % database)
                bench.log("batch %d: %.2f s" % (batch, wall))
            middle = bench.median(walls)
            results.append({"batch_events": batch, "seconds": bench.summary(walls),
                            "events_per_second": stored / middle})

        print("replicate catch-up of %d events to PostgreSQL 15 on 127.0.0.1 (fsync=%s), median of %d runs" % (
            stored, "off" if options.no_fsync else "on", options.runs))
        print("batch_events | seconds | events/s")
        print("-------------+---------+---------")
        for result in results:
            print("%12d | %7.2f | %8.0f" % (result["batch_events"], result["seconds"]["median"],
                                            result["events_per_second"]))
        record = {"events": stored, "fsync": not options.no_fsync, "runs": options.runs,
                  "git": bench.git_state(), "binary_sha256": bench.file_sha256(options.binary), "results": results}
        with open("bench-replication.json", "w") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
