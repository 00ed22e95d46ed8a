#!/usr/bin/env python3
"""Benchmark tokenledgerd against baselines measured in the same run.

Generates seeded usage-queue and OTLP spools from the test fixtures. Measures end-to-end
`run --once` throughput on one core against a raw SQLite insert loop in C (the ceiling) and
against a Python json + sqlite3 loop. Also measures peak RSS on 100 MB and 1 GB spools, fold and
export time over 1,000,000 stored events, append-to-commit latency in daemon mode, and idle CPU.
Prints one table and writes bench-results.json into the current directory.
See docs/benchmarks.md for what each figure means.
"""

import argparse
import datetime
import hashlib
import json
import os
import pickle
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USAGE_FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "cliproxyapi", "usage-queue.jsonl")
OTLP_FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "otlp", "genai-traces.jsonl")
CEILING_SOURCE = os.path.join(ROOT, "scripts", "bench", "sqlite_ceiling.c")
# The key namespace of usage-queue records (SourceShape.usageQueue in the daemon).
USAGE_QUEUE_NAMESPACE = "cliproxyapi.usage_queue"
MIB = 1 << 20
CORE = "1"

# The daemon's batch limits (IngestOptions in Sources/LedgerDaemon/Ingest/Ingestor.swift).
BATCH_LINES = 2000
BATCH_BYTES = 4 << 20
TAIL_LENGTH = 256

# The daemon's event INSERT (Store.insert in Sources/LedgerStore/Store.swift): the event's own
# columns, then the cost columns that ingestion fills when a pricing file prices the event.
EVENT_DATA_COLUMNS = (
    "event_key, shape, provider, model, requested_model, session_id, request_id, started_at_ns, latency_ms, "
    "ttft_ms, status, status_code, input_uncached, cache_read, cache_write, output, reasoning, unclassified, "
    "usage_state, quality, client_key_id, account_id, auth_index, service_name, host_name, file_id, line_offset, "
    "tool_input_tokens, tool_output_tokens")
EVENT_COLUMNS = EVENT_DATA_COLUMNS + ", cost_nanos, cost_estimated, price_ref, priced_at_ns, cost_change_seq"
INSERT_SQL = ("INSERT INTO events (%s) VALUES (%s) ON CONFLICT(started_at_ns, event_key) DO NOTHING"
              % (EVENT_COLUMNS, ", ".join("?" * 34)))
UPDATE_SQL = ("UPDATE files SET path = ?, device = ?, inode = ?, size = ?, committed_offset = ?, head_length = ?, "
              "head_hash = ?, tail_hash = ?, state = ?, birth_ns = ?, modified_ns = ?, compression = ?, "
              "updated_ns = ? WHERE file_id = ?")
FILE_COLUMNS = ("file_id, path, device, inode, birth_ns, modified_ns, compression, size, committed_offset, "
                "head_length, head_hash, tail_hash, state, first_seen_ns, updated_ns")

# The design's performance targets, which the table checks.
TARGET_CEILING_RATIO = 0.7
TARGET_PYTHON_RATIO = 4.0
TARGET_RSS_MIB = 64
TARGET_FOLD_SECONDS = 2.0
TARGET_P99_SECONDS = 1.0
# "About 0 % when idle", read as less than a tenth of a percent of one core.
IDLE_CPU_PERCENT = 0.1


def log(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


# MARK: input generation

class UsageQueueGenerator:
    """Usage-queue lines from the fixture's records, each with its own request_id and timestamp
    and with token counts and latencies scaled per variant, so that every line is unique.

    Lines come in the order a proxy ships them: by completion. One clock advances by 0 to 0.2 s
    a line, and a line's `timestamp` (the attempt's start) is that clock less its latency, so start
    times run forward with the small inversions that attempts of different lengths cause. Each
    template keeps its own UTC offset."""

    VARIANTS = 8

    def __init__(self, rng):
        self.rng = rng
        self.variants = []
        with open(USAGE_FIXTURE) as handle:
            templates = [json.loads(line) for line in handle if line.strip()]
        self.base = min(datetime.datetime.fromisoformat(template["timestamp"]) for template in templates)
        for template in templates:
            zone = datetime.datetime.fromisoformat(template["timestamp"]).tzinfo
            for _ in range(self.VARIANTS):
                record = json.loads(json.dumps(template))
                factor = rng.choice((1, 1, 2, 3, 5))
                for section in ("tokens", "token_breakdown"):
                    if isinstance(record.get(section), dict):
                        scale_counts(record[section], factor)
                for field in ("latency_ms", "ttft_ms"):
                    if isinstance(record.get(field), int):
                        record[field] = max(1, int(record[field] * rng.uniform(0.5, 1.5)))
                record["timestamp"] = "@@timestamp@@"
                record["request_id"] = "@@request_id@@"
                text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
                before, rest = text.split('"@@timestamp@@"')
                middle, after = rest.split('"@@request_id@@"')
                latency = record["latency_ms"] if isinstance(record.get("latency_ms"), int) else 0
                self.variants.append((before + '"', '"' + middle + '"', '"' + after, zone, latency))
        self.clock = 0.0

    def line(self, sequence, now=None):
        """Build the line for request number `sequence`; `now` (a datetime) pins its timestamp."""
        before, middle, after, zone, latency = self.rng.choice(self.variants)
        if now is None:
            self.clock += self.rng.uniform(0.0, 0.2)
            now = self.base + datetime.timedelta(seconds=self.clock, milliseconds=-latency)
        now = now.astimezone(zone)
        stamp = now.isoformat(timespec="microseconds")
        return before + stamp + middle + "%010d" % sequence + after


def scale_counts(section, factor):
    for key, value in section.items():
        if isinstance(value, dict):
            scale_counts(value, factor)
        elif isinstance(value, int) and not isinstance(value, bool) and key != "schema_version":
            section[key] = value * factor


class OTLPGenerator:
    """OTLP/JSON batch lines from the fixture's batches, with new trace and span ids, shifted
    times and scaled token counts."""

    def __init__(self, rng):
        self.rng = rng
        with open(OTLP_FIXTURE) as handle:
            self.templates = [line.strip() for line in handle if line.strip()]
        self.span_sequence = rng.getrandbits(32) << 24
        self.shift = 0

    def line(self):
        batch = json.loads(self.rng.choice(self.templates))
        factor = self.rng.choice((1, 1, 2, 3))
        self.shift += int(self.rng.uniform(1, 60) * 1e9)
        for resource in batch.get("resourceSpans", []):
            for scope in resource.get("scopeSpans", []):
                for span in scope.get("spans", []):
                    self.span_sequence += 1
                    span["spanId"] = "%016x" % self.span_sequence
                    span["traceId"] = "%032x" % self.rng.getrandbits(128)
                    for field in ("startTimeUnixNano", "endTimeUnixNano"):
                        if field in span:
                            span[field] = str(int(span[field]) + self.shift)
                    for attribute in span.get("attributes", []):
                        value = attribute.get("value", {})
                        if "tokens" in attribute.get("key", "") and "intValue" in value:
                            value["intValue"] = str(int(value["intValue"]) * factor)
        return json.dumps(batch, separators=(",", ":"), ensure_ascii=False)


def write_spool_file(path, make_line, size_bytes):
    """Write lines from make_line() until the file contains at least size_bytes; return the line count."""
    count = 0
    written = 0
    chunk = []
    with open(path, "w", encoding="utf-8") as handle:
        while written < size_bytes:
            line = make_line() + "\n"
            chunk.append(line)
            written += len(line.encode("utf-8")) if not line.isascii() else len(line)
            count += 1
            if len(chunk) >= 4096:
                handle.write("".join(chunk))
                chunk = []
        handle.write("".join(chunk))
    return count


class Spools:
    """The seeded generators, shared so that every spool of one run has distinct records."""

    def __init__(self, seed):
        rng = random.Random(seed)
        self.usage = UsageQueueGenerator(random.Random(rng.getrandbits(64)))
        self.otlp = OTLPGenerator(random.Random(rng.getrandbits(64)))
        self.sequence = 0

    def next_usage_line(self):
        self.sequence += 1
        return self.usage.line(self.sequence)

    def usage_file(self, path, size_bytes):
        return write_spool_file(path, self.next_usage_line, size_bytes)

    def otlp_file(self, path, size_bytes):
        return write_spool_file(path, self.otlp.line, size_bytes)

    def mixed_spool(self, directory, size_bytes, file_bytes=256 * MIB):
        """Write a spool of about size_bytes: 90 % usage-queue, 10 % OTLP, in files of at most file_bytes."""
        os.makedirs(directory, exist_ok=True)
        lines = 0
        remaining = int(size_bytes * 0.9)
        index = 0
        while remaining > 0:
            index += 1
            part = min(remaining, file_bytes)
            lines += self.usage_file(os.path.join(directory, "usage-%03d.jsonl" % index), part)
            remaining -= part
        lines += self.otlp_file(os.path.join(directory, "otlp.jsonl"), int(size_bytes * 0.1))
        return lines


# MARK: processes

class Usage:
    """CPU seconds and peak RSS of one command, as /usr/bin/time reports them."""

    def __init__(self, text):
        maximum_kib, user, system = text.split()
        self.peak_rss_mib = int(maximum_kib) / 1024
        self.cpu_seconds = float(user) + float(system)


def run_measured(command, cwd, log_path):
    """Run command pinned to one core and return its wall seconds and Usage.

    Peak RSS comes from /usr/bin/time, a small process that forks the command. A child forked
    straight from this large Python process would count the pages it shared with Python before
    exec in its maximum RSS."""
    report = log_path + ".time"
    command = ["/usr/bin/time", "-o", report, "-f", "%M %U %S", "taskset", "-c", CORE] + command
    with open(log_path, "ab") as output:
        started = time.monotonic()
        code = subprocess.run(command, cwd=cwd, stdout=output, stderr=output).returncode
        wall = time.monotonic() - started
    if code != 0:
        raise RuntimeError("%s exited with %d; see %s" % (" ".join(command), code, log_path))
    with open(report) as handle:
        return wall, Usage(handle.read().strip().splitlines()[-1])


def daemon_command(binary, *arguments):
    return [binary] + list(arguments)


def distinct_requests(select_list, copy):
    """Return an event column list for INSERT … SELECT whose request ids are prefixed by the copy
    number, so that copied events count as requests of their own, as a store's history does."""
    return select_list.replace(
        " request_id,", " CASE WHEN request_id IS NULL OR request_id = '' THEN request_id "
        "ELSE '%d' || request_id END," % copy)


def scalar(database, sql):
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def median(values):
    return statistics.median(values)


def summary(values):
    return {"median": median(values), "min": min(values), "max": max(values), "runs": values}


# MARK: baselines

def compute_batches(spool_path):
    """Compute the daemon's batch boundaries for one file read from offset 0: (end offset, line count)."""
    batches = []
    lines = 0
    size = 0
    offset = 0
    with open(spool_path, "rb") as handle:
        for line in handle:
            lines += 1
            size += len(line)
            offset += len(line)
            if lines >= BATCH_LINES or size >= BATCH_BYTES:
                batches.append((offset, lines))
                lines = 0
                size = 0
    if lines:
        batches.append((offset, lines))
    return batches


def load_normalized(database, spool_path):
    """Load the rows the daemon stored for spool_path and group them by the daemon's batches.

    Each batch comes with its `files` UPDATE parameters. The schema and the file row, which the
    baselines create before their clocks start, are returned too."""
    connection = sqlite3.connect(database)
    schema = [row[0] for row in connection.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    file_row = connection.execute("SELECT %s FROM files WHERE state != 'vanished'" % FILE_COLUMNS).fetchone()
    file_columns = [name.strip() for name in FILE_COLUMNS.split(",")]
    file_record = dict(zip(file_columns, file_row))
    rows = connection.execute(
        "SELECT %s FROM events WHERE file_id = ? ORDER BY line_offset, event_id" % EVENT_COLUMNS,
        (file_record["file_id"],)).fetchall()
    quarantined = connection.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    connection.close()

    with open(spool_path, "rb") as handle:
        spool = handle.read()
    batches = []
    index = 0
    for end, _ in compute_batches(spool_path):
        start = index
        while index < len(rows) and rows[index][26] < end:
            index += 1
        tail = spool[max(0, end - TAIL_LENGTH):end]
        update = (file_record["path"], file_record["device"], file_record["inode"], file_record["size"], end,
                  file_record["head_length"], file_record["head_hash"], hashlib.sha256(tail).digest(),
                  "active", file_record["birth_ns"], file_record["modified_ns"], file_record["compression"],
                  time.time_ns(), file_record["file_id"])
        batches.append((update, rows[start:index]))
    file_record["committed_offset"] = 0
    file_record["tail_hash"] = None
    return {"schema": schema, "file": file_record, "batches": batches, "rows": len(rows),
            "quarantined": quarantined}


def sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "X'%s'" % value.hex()
    return "'%s'" % str(value).replace("'", "''")


def setup_sql(normalized):
    file_record = normalized["file"]
    insert = "INSERT INTO files (%s) VALUES (%s);" % (
        ", ".join(file_record), ", ".join(sql_literal(value) for value in file_record.values()))
    return ";\n".join(normalized["schema"]) + ";\n" + insert + "\n"


def encode_value(value, out):
    if value is None:
        out.append(b"\x00")
    elif isinstance(value, int):
        out.append(b"\x01" + struct.pack("<q", value))
    elif isinstance(value, bytes):
        out.append(b"\x03" + struct.pack("<I", len(value)) + value)
    else:
        data = str(value).encode("utf-8")
        out.append(b"\x02" + struct.pack("<I", len(data)) + data)


def write_row_file(normalized, path):
    out = []
    for update, rows in normalized["batches"]:
        out.append(b"B" + struct.pack("<I", len(rows)))
        for value in update:
            encode_value(value, out)
        for row in rows:
            for value in row:
                encode_value(value, out)
    out.append(b"E")
    with open(path, "wb") as handle:
        handle.write(b"".join(out))


def compile_ceiling(work):
    binary = os.path.join(work, "sqlite_ceiling")
    subprocess.run(["gcc", "-O2", "-Wno-deprecated-declarations", "-o", binary, CEILING_SOURCE, "-lsqlite3",
                    "-lcrypto"], check=True)
    return binary


def run_ceiling(binary, work, setup_path, rows_path, keyed_by=None):
    """Run the C loop. With keyed_by (spool file, key namespace), it also derives and checks each row's key."""
    database = os.path.join(work, "ceiling.sqlite3")
    remove_database(database)
    output = subprocess.run(["taskset", "-c", CORE, binary, database, setup_path, rows_path] + list(keyed_by or ()),
                            check=True, capture_output=True, text=True).stdout
    remove_database(database)
    return json.loads(output)


def python_worker(arguments):
    """Run the Python baseline in its own pinned process.

    It calls json.loads on every spool line and sqlite3.executemany on the normalized rows, in
    the daemon's batches and transactions."""
    with open(arguments.python_worker, "rb") as handle:
        job = pickle.load(handle)
    database = job["database"]
    connection = sqlite3.connect(database, isolation_level=None)
    for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
        connection.execute("PRAGMA " + pragma)
    connection.executescript("BEGIN;\n" + job["setup"] + "COMMIT;\n")
    batches = job["batches"]
    parsed = 0
    started = time.monotonic()
    with open(job["spool"], "rb") as spool:
        for update, rows in batches:
            # The batch's lines: each one parsed; the values stored are the normalized rows.
            for _ in range(job["lines"][parsed]):
                json.loads(spool.readline())
            parsed += 1
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(UPDATE_SQL, update)
            connection.executemany(INSERT_SQL, rows)
            connection.execute("COMMIT")
    elapsed = time.monotonic() - started
    connection.close()
    print(json.dumps({"seconds": elapsed, "rows": sum(len(rows) for _, rows in batches)}))
    return 0


def run_python_baseline(job_path):
    output = subprocess.run(["taskset", "-c", CORE, sys.executable, os.path.abspath(__file__),
                             "--python-worker", job_path], check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def remove_database(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


# MARK: sections

class Bench:
    def __init__(self, arguments):
        self.arguments = arguments
        os.makedirs(arguments.work_root, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="tokenledgerd-bench-", dir=arguments.work_root)
        self.cwd = os.path.join(self.work, "cwd")
        os.makedirs(self.cwd)
        shutil.copytree(os.path.join(ROOT, "ledger"), os.path.join(self.cwd, "ledger"))
        # A private copy, so that a rebuild of the checkout during the run changes nothing.
        self.binary = os.path.join(self.work, "tokenledgerd")
        shutil.copy2(arguments.binary, self.binary)
        self.spools = Spools(arguments.seed)
        self.results = {}
        self.ceiling_binary = None
        self.sqlite_version = None
        self.log_path = os.path.join(self.work, "daemon.log")

    def state_dir(self, name):
        path = os.path.join(self.work, "state-" + name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def run_once(self, spool, state):
        return run_measured(daemon_command(self.binary, "run", "--once", "--spool", spool, "--state-dir", state,
                                           "--log-level", "warning"), self.cwd, self.log_path)

    # Throughput, ceiling and Python baseline for one kind of spool.
    def throughput(self, kind):
        arguments = self.arguments
        spool = os.path.join(self.work, "spool-" + kind)
        os.makedirs(spool)
        spool_file = os.path.join(spool, kind + ".jsonl")
        size = arguments.size_mb * MIB
        lines = self.spools.usage_file(spool_file, size) if kind == "usage" else self.spools.otlp_file(spool_file, size)
        size = os.path.getsize(spool_file)
        log("%s: spool of %d lines, %.1f MiB" % (kind, lines, size / MIB))

        # Warm-up run; its store is also the source of the baselines' normalized rows.
        state = self.state_dir(kind + "-warmup")
        self.run_once(spool, state)
        database = os.path.join(state, "tokenledgerd.sqlite3")
        events = scalar(database, "SELECT count(*) FROM events")
        normalized = load_normalized(database, spool_file)
        if normalized["quarantined"]:
            log("warning: %d %s lines or spans were quarantined" % (normalized["quarantined"], kind))
        fold_wall, _ = run_measured(daemon_command(self.binary, "fold", "--state-dir", state, "--log-level",
                                                   "warning"), self.cwd, self.log_path)
        setup_path = os.path.join(self.work, kind + "-setup.sql")
        with open(setup_path, "w") as handle:
            handle.write(setup_sql(normalized))
        rows_path = os.path.join(self.work, kind + "-rows.bin")
        write_row_file(normalized, rows_path)
        job_path = os.path.join(self.work, kind + "-python.pickle")
        with open(job_path, "wb") as handle:
            pickle.dump({"database": os.path.join(self.work, "python.sqlite3"), "setup": setup_sql(normalized),
                         "batches": normalized["batches"], "spool": spool_file,
                         "lines": [count for _, count in compute_batches(spool_file)]}, handle)
        if self.ceiling_binary is None:
            self.ceiling_binary = compile_ceiling(self.work)
        ceiling_binary = self.ceiling_binary
        run_ceiling(ceiling_binary, self.work, setup_path, rows_path)  # warm-up
        # A usage-queue record has no id of its own, so its key hashes the whole line, and the
        # keyed loop adds that hash to the ceiling. An OTLP span's key hashes its 24 id bytes only.
        keyed_by = (spool_file, USAGE_QUEUE_NAMESPACE) if kind == "usage" else None
        if keyed_by:
            run_ceiling(ceiling_binary, self.work, setup_path, rows_path, keyed_by)  # warm-up

        daemon_walls, daemon_cpu, ceiling_seconds, keyed_seconds, python_seconds = [], [], [], [], []
        ingest_phase, fold_phase = [], []
        ceiling_info = None
        loads = [os.getloadavg()[0]]
        # Interleaved, so that load from other users of the machine falls on all three alike.
        for run in range(arguments.runs):
            state = self.state_dir(kind)
            wall, usage, phases = self.run_once_phases(spool, state)
            daemon_walls.append(wall)
            daemon_cpu.append(usage.cpu_seconds)
            ingest_phase.append(phases["ingest.seconds"])
            fold_phase.append(phases["fold.seconds"])
            stored = scalar(os.path.join(state, "tokenledgerd.sqlite3"), "SELECT count(*) FROM events")
            if stored != events:
                raise RuntimeError("run %d stored %d events, the warm-up %d" % (run, stored, events))
            ceiling_info = run_ceiling(ceiling_binary, self.work, setup_path, rows_path)
            ceiling_seconds.append(ceiling_info["seconds"])
            if keyed_by:
                keyed_seconds.append(run_ceiling(ceiling_binary, self.work, setup_path, rows_path, keyed_by)["seconds"])
            remove_database(os.path.join(self.work, "python.sqlite3"))
            python_seconds.append(run_python_baseline(job_path)["seconds"])
            remove_database(os.path.join(self.work, "python.sqlite3"))
            loads.append(os.getloadavg()[0])
            log("%s run %d: daemon %.3f s (ingest %.3f s, fold %.3f s), ceiling %.3f s%s, python %.3f s" % (
                kind, run + 1, wall, ingest_phase[-1], fold_phase[-1], ceiling_seconds[-1],
                " (keyed %.3f s)" % keyed_seconds[-1] if keyed_by else "", python_seconds[-1]))
        shutil.rmtree(state, ignore_errors=True)
        for path in (rows_path, job_path):
            os.remove(path)

        daemon_rate = events / median(daemon_walls)
        ingest_rate = events / median(ingest_phase)
        ceiling_rate = ceiling_info["rows"] / median(ceiling_seconds)
        python_rate = normalized["rows"] / median(python_seconds)
        self.sqlite_version = ceiling_info["sqlite"]
        self.results["throughput_" + kind] = {
            "spool_bytes": size, "lines": lines, "events": events, "batches": len(normalized["batches"]),
            "daemon_seconds": summary(daemon_walls), "daemon_cpu_seconds": summary(daemon_cpu),
            "daemon_fold_seconds_once": fold_wall,
            "daemon_events_per_second": daemon_rate,
            "daemon_lines_per_second": lines / median(daemon_walls),
            "daemon_mb_per_second": size / 1e6 / median(daemon_walls),
            "ceiling_seconds": summary(ceiling_seconds), "ceiling_rows_per_second": ceiling_rate,
            "python_seconds": summary(python_seconds), "python_rows_per_second": python_rate,
            "ratio_to_ceiling": daemon_rate / ceiling_rate, "ratio_to_python": daemon_rate / python_rate,
            "ingest_phase_seconds": summary(ingest_phase), "fold_phase_seconds": summary(fold_phase),
            "ingest_events_per_second": ingest_rate, "ingest_mb_per_second": size / 1e6 / median(ingest_phase),
            "ingest_ratio_to_ceiling": ingest_rate / ceiling_rate, "ingest_ratio_to_python": ingest_rate / python_rate,
            "load_average_1m": loads,
        }
        if keyed_by:
            keyed_rate = ceiling_info["rows"] / median(keyed_seconds)
            self.results["throughput_" + kind].update({
                "keyed_ceiling_seconds": summary(keyed_seconds), "keyed_ceiling_rows_per_second": keyed_rate,
                "ratio_to_keyed_ceiling": daemon_rate / keyed_rate,
                "ingest_ratio_to_keyed_ceiling": ingest_rate / keyed_rate,
            })

    def peak_rss(self, label, size_mb):
        spool = os.path.join(self.work, "spool-rss-" + label)
        lines = self.spools.mixed_spool(spool, size_mb * MIB)
        size = sum(os.path.getsize(os.path.join(spool, name)) for name in os.listdir(spool))
        state = self.state_dir("rss-" + label)
        log("peak RSS: %s spool, %d lines, %.0f MiB" % (label, lines, size / MIB))
        wall, usage = self.run_once(spool, state)
        events = scalar(os.path.join(state, "tokenledgerd.sqlite3"), "SELECT count(*) FROM events")
        self.results["rss_" + label] = {
            "spool_bytes": size, "lines": lines, "events": events, "seconds": wall,
            "peak_rss_mib": usage.peak_rss_mib, "events_per_second": events / wall,
        }
        log("peak RSS %s: %.1f MiB in %.1f s" % (label, usage.peak_rss_mib, wall))
        shutil.rmtree(spool, ignore_errors=True)
        return state

    def fold_and_export(self, target=1_000_000):
        """Build a store of `target` events by copying the throughput runs' events with new keys,
        then time `fold` and `export --what all` over it."""
        source_usage = os.path.join(self.work, "state-usage-warmup", "tokenledgerd.sqlite3")
        source_otlp = os.path.join(self.work, "state-otlp-warmup", "tokenledgerd.sqlite3")
        state = self.state_dir("fold")
        os.makedirs(state)
        database = os.path.join(state, "tokenledgerd.sqlite3")
        source = sqlite3.connect(source_usage)
        connection = sqlite3.connect(database, isolation_level=None)
        source.backup(connection)
        source.close()
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("ATTACH DATABASE ? AS otlp", (source_otlp,))
        columns = EVENT_DATA_COLUMNS.replace("event_key, ", "").replace(", file_id, line_offset", "")
        connection.execute("BEGIN")
        connection.execute("INSERT INTO events (event_key, %s) SELECT randomblob(16), %s FROM otlp.events"
                           % (columns, columns))
        connection.execute("COMMIT")
        base = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        copy = 0
        while True:
            count = connection.execute("SELECT count(*) FROM events").fetchone()[0]
            if count >= target:
                break
            copy += 1
            need = min(base, target - count)
            # Each copy moves the events by `copy` days, so that the store spans a realistic period,
            # and gets request ids of its own, as new requests have.
            shifted = distinct_requests(
                columns.replace("started_at_ns", "started_at_ns + %d" % (copy * 86_400 * 10**9)), copy)
            connection.execute("BEGIN")
            connection.execute(
                "INSERT INTO events (event_key, %s) SELECT CAST(printf('%%08d%%08d', %d, event_id) AS BLOB), %s "
                "FROM events WHERE event_id <= %d" % (columns, copy, shifted, need))
            connection.execute("COMMIT")
        connection.execute("DETACH DATABASE otlp")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        events = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        connection.close()
        log("fold: store of %d events, %.0f MiB" % (events, os.path.getsize(database) / MIB))

        fold_walls, fold_rss = [], []
        for _ in range(3):
            wall, usage = run_measured(daemon_command(self.binary, "fold", "--state-dir", state, "--log-level",
                                                      "warning"), self.cwd, self.log_path)
            fold_walls.append(wall)
            fold_rss.append(usage.peak_rss_mib)
        export_walls, export_rss = [], []
        out = os.path.join(self.work, "export")
        for _ in range(3):
            shutil.rmtree(out, ignore_errors=True)
            wall, usage = run_measured(daemon_command(self.binary, "export", "--state-dir", state, "--out", out,
                                                      "--what", "all", "--log-level", "warning"),
                                       self.cwd, self.log_path)
            export_walls.append(wall)
            export_rss.append(usage.peak_rss_mib)
        export_bytes = sum(os.path.getsize(os.path.join(out, name)) for name in os.listdir(out)
                           if os.path.isfile(os.path.join(out, name)))
        shutil.rmtree(out, ignore_errors=True)
        self.results["fold"] = {"events": events, "fold_seconds": summary(fold_walls),
                                "fold_peak_rss_mib": max(fold_rss), "export_seconds": summary(export_walls),
                                "export_peak_rss_mib": max(export_rss), "export_bytes": export_bytes}
        log("fold %.2f s, export %.2f s" % (median(fold_walls), median(export_walls)))
        self.results["fold"]["daemon"] = self.daemon_folds(state, "fold")
        shutil.rmtree(state, ignore_errors=True)

    def daemon_folds(self, state, label, new_lines=10_000, rounds=3):
        """Start the daemon on the store in `state` and time its folds from their log lines: the
        first, which reads every event, then `rounds` folds that each follow `new_lines` new
        usage-queue lines and read only them."""
        spool = os.path.join(self.work, "spool-folds-" + label)
        os.makedirs(spool)
        log_path = os.path.join(self.work, "folds-%s.log" % label)
        command = ["taskset", "-c", CORE, self.binary, "run", "--spool", spool, "--state-dir", state,
                   "--log-level", "info", "--poll-interval", "0.2", "--fold-interval", "1"]
        with open(log_path, "wb") as output:
            daemon = subprocess.Popen(command, cwd=self.cwd, stdout=output, stderr=output)

        def folds():
            with open(log_path) as handle:
                lines = [text for text in handle if "folded events into the ledger" in text]
            return [dict(part.split("=", 1) for part in line.split() if "=" in part) for line in lines]

        def wait_for(count, timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                found = folds()
                if len(found) >= count:
                    return found[count - 1]
                if daemon.poll() is not None:
                    raise RuntimeError("the daemon exited with %s; see %s" % (daemon.returncode, log_path))
                time.sleep(0.1)
            raise RuntimeError("no fold %d within %d s; see %s" % (count, timeout, log_path))

        try:
            first = wait_for(1, 3600)
            incremental = []
            for round_number in range(rounds):
                path = os.path.join(spool, "new-%d.jsonl" % round_number)
                temporary = path + ".tmp"
                with open(temporary, "w") as handle:
                    for _ in range(new_lines):
                        handle.write(self.spools.next_usage_line() + "\n")
                os.rename(temporary, path)
                # A fold may start before the whole file is stored; wait for the one that reads the rest.
                read = 0
                count = len(folds())
                while read < new_lines:
                    count += 1
                    fold = wait_for(count, 600)
                    read += int(fold["fold.read_events"])
                    if fold["fold.mode"] != "incremental":
                        raise RuntimeError("fold %d read every event; see %s" % (count, log_path))
                    incremental.append(float(fold["fold.seconds"]))
            peak_rss_mib = process_peak_rss_mib(daemon.pid)
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=3600)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
            shutil.rmtree(spool, ignore_errors=True)
        result = {"events": int(first["fold.events"]), "full_fold_seconds": float(first["fold.seconds"]),
                  "new_lines": new_lines, "incremental_fold_seconds": summary(incremental),
                  "peak_rss_mib": peak_rss_mib}
        log("daemon folds on %s events: first %.2f s, then %.3f s per fold of %d new lines, peak RSS %.1f MiB" % (
            first["fold.events"], result["full_fold_seconds"], median(incremental), new_lines, peak_rss_mib))
        return result

    def scale(self, target):
        """Time the ingest of new usage-queue spools into an empty store and into a store of `target` events.

        The large store copies the usage-queue warm-up events with new keys, each copy moved one more
        day into the past. New events then land after the history, as they do in production."""
        source = os.path.join(self.work, "state-usage-warmup", "tokenledgerd.sqlite3")
        state = self.state_dir("scale")
        os.makedirs(state)
        database = os.path.join(state, "tokenledgerd.sqlite3")
        source_connection = sqlite3.connect(source)
        connection = sqlite3.connect(database, isolation_level=None)
        source_connection.backup(connection)
        source_connection.close()
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        # The warm-up run's closing fold priced its events, so the copies carry costs as a store's
        # history does, and no run below prices the whole store.
        columns = EVENT_COLUMNS.replace("event_key, ", "")
        base = connection.execute("SELECT max(event_id) FROM events").fetchone()[0]
        count = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        copy = 0
        started = time.monotonic()
        while count < target:
            copy += 1
            need = min(base, target - count)
            shifted = distinct_requests(
                columns.replace("started_at_ns", "started_at_ns - %d" % (copy * 86_400 * 10**9)), copy)
            connection.execute("BEGIN")
            connection.execute(
                "INSERT INTO events (event_key, %s) SELECT CAST(printf('%%08d%%08d', %d, event_id) AS BLOB), %s "
                "FROM events WHERE event_id <= %d" % (columns, copy, shifted, need))
            connection.execute("COMMIT")
            count += need
            if copy % 25 == 0:
                log("scale: %d events stored (%.0f s)" % (count, time.monotonic() - started))
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        connection.close()
        store_bytes = os.path.getsize(database)
        log("scale: store of %d events, %.1f GiB, built in %.0f s" % (
            count, store_bytes / 1024 / MIB, time.monotonic() - started))

        empty_rates, full_rates, full_walls, full_ingest = [], [], [], []
        size = self.arguments.size_mb * MIB
        for run in range(self.arguments.runs):
            spool = os.path.join(self.work, "spool-scale-%d" % run)
            os.makedirs(spool)
            lines = self.spools.usage_file(os.path.join(spool, "usage.jsonl"), size)
            empty = self.state_dir("scale-empty")
            seconds, stored = self.ingest_seconds(spool, empty)
            shutil.rmtree(empty, ignore_errors=True)
            empty_rates.append(stored / seconds)
            wall_started = time.monotonic()
            seconds, stored = self.ingest_seconds(spool, state)
            full_walls.append(time.monotonic() - wall_started)
            full_ingest.append(seconds)
            full_rates.append(stored / seconds)
            shutil.rmtree(spool, ignore_errors=True)
            log("scale run %d: %d lines, empty store %.0f ev/s, full store %.0f ev/s (run --once %.1f s)" % (
                run + 1, lines, empty_rates[-1], full_rates[-1], full_walls[-1]))
        self.results["scale"] = {
            "events": count, "store_bytes": store_bytes, "empty_events_per_second": summary(empty_rates),
            "full_events_per_second": summary(full_rates),
            "full_run_once_seconds": summary(full_walls), "full_ingest_seconds": summary(full_ingest),
        }
        self.results["scale"]["daemon"] = self.daemon_folds(state, "scale")
        shutil.rmtree(state, ignore_errors=True)

    def ingest_seconds(self, spool, state):
        """Run `run --once` and return the ingest phase's seconds and stored events, from its log."""
        _, _, fields = self.run_once_phases(spool, state)
        return fields["ingest.seconds"], fields["events.new"]

    def run_once_phases(self, spool, state):
        """Run `run --once` at log level info and return its wall seconds, its Usage and the fields
        of its own log: `ingest.seconds` (the first scan to the last commit), `events.new` and
        `fold.seconds`."""
        log_path = os.path.join(self.work, "phases.log")
        if os.path.exists(log_path):
            os.remove(log_path)
        wall, usage = run_measured(daemon_command(self.binary, "run", "--once", "--spool", spool, "--state-dir",
                                                  state, "--log-level", "info"), self.cwd, log_path)
        fields = {}
        with open(log_path) as handle:
            text = handle.read()
        with open(self.log_path, "a") as handle:
            handle.write(text)
        for message, names in (("ingested spool", ("ingest.seconds", "events.new")),
                               ("folded events into the ledger", ("fold.seconds",))):
            line = [entry for entry in text.splitlines() if message in entry][-1]
            values = dict(part.split("=", 1) for part in line.split() if "=" in part)
            for name in names:
                fields[name] = float(values[name]) if name.endswith(".seconds") else int(values[name])
        return wall, usage, fields

    def daemon_mode(self):
        """Measure append-to-commit latency at two rates, then the idle CPU of the same daemon."""
        spool = os.path.join(self.work, "spool-live")
        os.makedirs(spool)
        state = self.state_dir("live")
        database = os.path.join(state, "tokenledgerd.sqlite3")
        command = ["taskset", "-c", CORE, self.binary, "run", "--spool", spool, "--state-dir", state,
                   "--log-level", "notice"]
        with open(self.log_path, "ab") as output:
            daemon = subprocess.Popen(command, cwd=self.cwd, stdout=output, stderr=output)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if os.path.exists(database) and scalar_or_none(database, "SELECT count(*) FROM events") is not None:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("the daemon created no store within 30 s; see %s" % self.log_path)
            time.sleep(1.0)
            live = os.path.join(spool, "live.jsonl")
            sequence = 0
            phases = {}
            seconds = 5.0 if self.arguments.quick else 10.0
            for rate in (1000, 10000):
                sequence, phases[str(rate)] = self.latency_phase(live, database, rate, seconds, sequence)
                log("daemon mode at %d/s: p50 %.1f ms, p99 %.1f ms" % (
                    rate, phases[str(rate)]["p50_ms"], phases[str(rate)]["p99_ms"]))
            self.results["daemon_mode"] = phases

            # Idle: the daemon defers the fold of the last events until 60 s (its default fold
            # interval) after its previous fold, so the window starts after that fold.
            last_append = time.time_ns()
            waited = time.monotonic()
            while time.monotonic() - waited < 90:
                folded = scalar_or_none(database, "SELECT value FROM fold_state WHERE name = 'last_fold_ns'")
                if folded is not None and int(folded) > last_append:
                    break
                time.sleep(0.5)
            else:
                log("idle: no fold within 90 s of the last append; measuring anyway")
            waited = time.monotonic() - waited
            time.sleep(2.0)
            window = 30.0 if self.arguments.quick else 60.0
            ticks_per_second = os.sysconf("SC_CLK_TCK")
            before = process_cpu_ticks(daemon.pid)
            started = time.monotonic()
            time.sleep(window)
            after = process_cpu_ticks(daemon.pid)
            elapsed = time.monotonic() - started
            cpu = (after - before) / ticks_per_second
            self.results["idle"] = {"seconds": elapsed, "cpu_seconds": cpu, "cpu_percent": 100 * cpu / elapsed,
                                    "waited_for_fold_seconds": waited,
                                    "stored_events": scalar(database, "SELECT count(*) FROM events")}
            log("idle: %.3f s CPU in %.0f s" % (cpu, elapsed))
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(spool, ignore_errors=True)

    def latency_phase(self, live, database, rate, seconds, sequence):
        """Append `rate` records per second for `seconds` in 10 ms slices and poll the store
        every 5 ms for the highest committed request id (request ids are the sequence)."""
        slices = int(seconds * 100)
        per_slice = rate // 100
        appended = []  # (last sequence of the slice, monotonic time of its write)
        commits = []  # (monotonic time of the poll, highest committed sequence)
        stop = threading.Event()
        first = sequence + 1
        last = sequence + slices * per_slice

        def poll():
            connection = sqlite3.connect("file:%s?mode=ro" % database, uri=True, check_same_thread=False)
            seen = sequence
            while not stop.is_set():
                row = connection.execute("SELECT request_id FROM events ORDER BY event_id DESC LIMIT 1").fetchone()
                now = time.monotonic()
                if row and row[0] and int(row[0]) > seen:
                    seen = int(row[0])
                    commits.append((now, seen))
                    if seen >= last:
                        break
                time.sleep(0.005)
            connection.close()

        poller = threading.Thread(target=poll)
        poller.start()
        descriptor = os.open(live, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        started = time.monotonic()
        for index in range(slices):
            now = datetime.datetime.now(datetime.timezone.utc)
            text = "".join(self.spools.usage.line(sequence + offset + 1, now) + "\n" for offset in range(per_slice))
            os.write(descriptor, text.encode("utf-8"))
            sequence += per_slice
            appended.append((sequence, time.monotonic()))
            time.sleep(max(0.0, started + (index + 1) * 0.01 - time.monotonic()))
        os.close(descriptor)
        poller.join(timeout=60)
        stop.set()
        poller.join()

        latencies = []
        commit_index = 0
        previous = first - 1
        for last_of_slice, written in appended:
            while commit_index < len(commits) and commits[commit_index][1] < last_of_slice:
                commit_index += 1
            if commit_index == len(commits):
                raise RuntimeError("records up to %d were never committed" % last_of_slice)
            latency = commits[commit_index][0] - written
            latencies.extend([latency] * (last_of_slice - previous))
            previous = last_of_slice
        latencies.sort()
        return sequence, {
            "records": len(latencies), "seconds": seconds, "achieved_rate": len(latencies) / (appended[-1][1] - started),
            "p50_ms": 1000 * percentile(latencies, 50), "p99_ms": 1000 * percentile(latencies, 99),
            "max_ms": 1000 * latencies[-1],
        }


def scalar_or_none(database, sql):
    try:
        return scalar(database, sql)
    except sqlite3.Error:
        return None


def percentile(sorted_values, percent):
    index = min(len(sorted_values) - 1, max(0, int(round(percent / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def process_peak_rss_mib(pid):
    """Return the peak resident set of a running process (VmHWM), in MiB."""
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def process_cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    return int(fields[11]) + int(fields[12])


# MARK: report

def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        memory = int(handle.readline().split()[1]) // 1024
    return {"cpu": model, "cores": os.cpu_count(), "memory_mib": memory, "kernel": platform.release(),
            "python": platform.python_version()}


def git_state():
    commit = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"], capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout
    return commit.strip(), bool(dirty.strip())


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def verdict(passed):
    return "meets" if passed else "MISSES"


def table(results):
    rows = []

    def add(figure, value, baseline="", ratio="", target="", status=""):
        rows.append((figure, value, baseline, ratio, target, status))

    for kind, label in (("usage", "usage-queue"), ("otlp", "OTLP")):
        entry = results.get("throughput_" + kind)
        if not entry:
            continue
        add("%s run --once" % label,
            "%.0f ev/s, %.1f MB/s" % (entry["daemon_events_per_second"], entry["daemon_mb_per_second"]))
        ratio = entry["ratio_to_ceiling"]
        add("  vs raw SQLite C loop", "", "%.0f rows/s" % entry["ceiling_rows_per_second"], "%.2fx" % ratio,
            ">= %.1fx" % TARGET_CEILING_RATIO, verdict(ratio >= TARGET_CEILING_RATIO))
        if "keyed_ceiling_rows_per_second" in entry:
            add("  vs C loop + line key", "", "%.0f rows/s" % entry["keyed_ceiling_rows_per_second"],
                "%.2fx" % entry["ratio_to_keyed_ceiling"])
        ratio = entry["ratio_to_python"]
        add("  vs Python json+sqlite3", "", "%.0f rows/s" % entry["python_rows_per_second"], "%.2fx" % ratio,
            ">= %.0fx" % TARGET_PYTHON_RATIO, verdict(ratio >= TARGET_PYTHON_RATIO))
        if "ingest_events_per_second" not in entry:
            continue
        add("  its ingest phase", "%.0f ev/s, %.1f MB/s" % (entry["ingest_events_per_second"],
                                                            entry["ingest_mb_per_second"]))
        ratio = entry["ingest_ratio_to_ceiling"]
        add("    vs raw SQLite C loop", "", "", "%.2fx" % ratio, ">= %.1fx" % TARGET_CEILING_RATIO,
            verdict(ratio >= TARGET_CEILING_RATIO))
        if "ingest_ratio_to_keyed_ceiling" in entry:
            add("    vs C loop + line key", "", "", "%.2fx" % entry["ingest_ratio_to_keyed_ceiling"])
        ratio = entry["ingest_ratio_to_python"]
        add("    vs Python json+sqlite3", "", "", "%.2fx" % ratio, ">= %.0fx" % TARGET_PYTHON_RATIO,
            verdict(ratio >= TARGET_PYTHON_RATIO))
        add("  its fold phase", "%.3f s" % entry["fold_phase_seconds"]["median"])
    for label in ("100mb", "1gb"):
        entry = results.get("rss_" + label)
        if entry:
            add("peak RSS, %s spool" % label.upper(), "%.1f MiB" % entry["peak_rss_mib"], "", "",
                "<= %d MiB" % TARGET_RSS_MIB, verdict(entry["peak_rss_mib"] <= TARGET_RSS_MIB))
    entry = results.get("fold")
    if entry:
        fold = entry["fold_seconds"]["median"]
        add("fold, %d events" % entry["events"], "%.2f s (%.0f MiB RSS)" % (fold, entry["fold_peak_rss_mib"]), "",
            "", "<= %.0f s" % TARGET_FOLD_SECONDS, verdict(fold <= TARGET_FOLD_SECONDS))
        add("export all, %d events" % entry["events"],
            "%.2f s (%.0f MiB RSS)" % (entry["export_seconds"]["median"], entry["export_peak_rss_mib"]))
        add_daemon_folds(add, entry.get("daemon"))
    for rate, entry in sorted(results.get("daemon_mode", {}).items(), key=lambda item: int(item[0])):
        add("append-to-commit at %s/s" % rate, "p50 %.0f ms, p99 %.0f ms" % (entry["p50_ms"], entry["p99_ms"]),
            "", "", "p99 <= %.0f ms" % (TARGET_P99_SECONDS * 1000),
            verdict(entry["p99_ms"] <= TARGET_P99_SECONDS * 1000))
    entry = results.get("idle")
    if entry:
        add("idle CPU", "%.3f %% (%.2f s in %.0f s)" % (entry["cpu_percent"], entry["cpu_seconds"], entry["seconds"]),
            "", "", "~0 % (< 0.1 %)", verdict(entry["cpu_percent"] < IDLE_CPU_PERCENT))

    entry = results.get("scale")
    if entry:
        empty = entry["empty_events_per_second"]["median"]
        full = entry["full_events_per_second"]["median"]
        add("ingest into %d-event store" % entry["events"], "%.0f ev/s (%.1f GiB store)" % (
            full, entry["store_bytes"] / 1024 / MIB), "%.0f ev/s empty" % empty, "%.2fx" % (full / empty),
            ">= 0.8x", verdict(full >= 0.8 * empty))
        add("  run --once on that store", "%.1f s (ingest %.1f s, the rest the fold)" % (
            entry["full_run_once_seconds"]["median"], entry["full_ingest_seconds"]["median"]))
        add_daemon_folds(add, entry.get("daemon"))

    header = ("figure", "value", "baseline", "ratio", "target", "status")
    widths = [max(len(str(row[index])) for row in rows + [header]) for index in range(len(header))]
    lines = [" | ".join(str(cell).ljust(width) for cell, width in zip(header, widths)),
             "-+-".join("-" * width for width in widths)]
    lines += [" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def add_daemon_folds(add, entry):
    """Add the daemon's fold figures of one store: a fold after new events, as a ratio to its first fold."""
    if not entry:
        return
    incremental = entry["incremental_fold_seconds"]["median"]
    full = entry["full_fold_seconds"]
    add("  daemon fold after %d new events" % entry["new_lines"], "%.3f s" % incremental,
        "%.2f s first fold" % full, "%.3fx" % (incremental / full))
    if "peak_rss_mib" in entry:
        add("  daemon peak RSS on that store", "%.1f MiB" % entry["peak_rss_mib"], "", "",
            "<= %d MiB" % TARGET_RSS_MIB, verdict(entry["peak_rss_mib"] <= TARGET_RSS_MIB))


def callgrind(bench, lines):
    """Profile `run --once` over a usage-queue spool of `lines` lines with callgrind."""
    spool = os.path.join(bench.work, "spool-profile")
    os.makedirs(spool)
    with open(os.path.join(spool, "usage.jsonl"), "w") as handle:
        handle.write("".join(bench.spools.next_usage_line() + "\n" for _ in range(lines)))
    state = bench.state_dir("profile")
    output = os.path.join(os.getcwd(), "callgrind.out.tokenledgerd")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + output, bench.binary, "run", "--once",
                    "--spool", spool, "--state-dir", state, "--log-level", "warning"], cwd=bench.cwd, check=True)
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", output], capture_output=True,
                               text=True, check=True).stdout
    with open(output + ".txt", "w") as handle:
        handle.write(annotated)
    print(annotated[:6000])
    log("callgrind output: %s (annotated: %s.txt)" % (output, output))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated input (default: 1)")
    parser.add_argument("--size-mb", type=int, default=None,
                        help="MiB of each throughput spool (default: 64, or 16 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller spools, no 1 GB RSS run, 5 s latency phases, 30 s idle window")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per throughput figure (default: 5)")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "tokenledgerd"),
                        help="the release binary to measure (default: .build/release/tokenledgerd)")
    parser.add_argument("--work-root", default="/tmp", help="where the temporary work directory is made")
    parser.add_argument("--sections", default="throughput,rss,fold,daemon",
                        help="comma-separated subset of throughput,rss,fold,daemon,scale (fold needs throughput; "
                             "scale, not run by default, builds a store of --scale-events events)")
    parser.add_argument("--scale-events", type=int, default=30_000_000,
                        help="events in the large store of the scale section (default: 30,000,000)")
    parser.add_argument("--callgrind", type=int, metavar="LINES", default=None,
                        help="only profile run --once over a usage-queue spool of LINES lines with callgrind")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--python-worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.python_worker:
        return python_worker(arguments)
    if arguments.size_mb is None:
        arguments.size_mb = 16 if arguments.quick else 64
    if arguments.runs < 5:
        log("note: fewer than 5 runs per figure; medians are less stable")
    if not os.access(arguments.binary, os.X_OK):
        print("bench: the binary %s is missing; build it with "
              "`swift build -c release --product tokenledgerd` or pass --binary" % arguments.binary, file=sys.stderr)
        return 2

    bench = Bench(arguments)
    # SIGTERM ends the run through the `finally` below, which removes the work directory.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        if arguments.callgrind:
            callgrind(bench, arguments.callgrind)
            return 0
        sections = set(arguments.sections.split(","))
        commit, dirty = git_state()
        started = datetime.datetime.now(datetime.timezone.utc)
        log("work directory %s, binary copied from %s" % (bench.work, arguments.binary))
        if "throughput" in sections:
            bench.throughput("usage")
            bench.throughput("otlp")
        if "rss" in sections:
            shutil.rmtree(bench.peak_rss("100mb", 100), ignore_errors=True)
            free = shutil.disk_usage(bench.work).free
            if arguments.quick:
                log("peak RSS: 1 GB spool skipped (--quick)")
            elif free < 5 * 1024 * MIB:
                log("peak RSS: 1 GB spool skipped: only %.1f GiB free in %s" % (free / 1024 / MIB, bench.work))
            else:
                shutil.rmtree(bench.peak_rss("1gb", 1024), ignore_errors=True)
        if "fold" in sections and "throughput" in sections:
            bench.fold_and_export()
        if "daemon" in sections:
            bench.daemon_mode()
        if "scale" in sections:
            if "throughput" not in sections:
                bench.throughput("usage")
            needed = arguments.scale_events * 500
            free = shutil.disk_usage(bench.work).free
            if free < needed:
                log("scale: skipped: needs about %.0f GiB free in %s, %.1f GiB free" % (
                    needed / 1024 / MIB, bench.work, free / 1024 / MIB))
            else:
                bench.scale(arguments.scale_events)

        record = {
            "date": started.isoformat(timespec="seconds"),
            "command": " ".join(["python3", "scripts/bench.py"] + sys.argv[1:]),
            "commit": commit, "uncommitted_changes": dirty, "seed": arguments.seed,
            "size_mb": arguments.size_mb, "quick": arguments.quick, "runs": arguments.runs,
            "binary_sha256": file_sha256(bench.binary), "core": int(CORE), "sqlite": bench.sqlite_version, "machine": machine(),
            "load_average_end": os.getloadavg(), "results": bench.results,
        }
        text = table(bench.results)
        print("tokenledgerd %s%s, %s, seed %d, %d MiB spools, median of %d runs on core %s" % (
            commit, " (uncommitted changes)" if dirty else "", record["date"], arguments.seed, arguments.size_mb,
            arguments.runs, CORE))
        print(text)
        with open("bench-results.json", "w") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")
        log("wrote bench-results.json")
        return 0
    finally:
        if arguments.keep:
            log("kept %s" % bench.work)
        else:
            shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
