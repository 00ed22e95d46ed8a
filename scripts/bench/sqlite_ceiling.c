/*
 * Raw SQLite ceiling for scripts/bench.py: inserts pre-normalized event rows into the
 * tokenledgerd schema with one reused prepared statement, in the daemon's batches, each batch
 * one transaction that also runs the daemon's `files` UPDATE. No JSON is parsed here, so the
 * rate is the physical limit of the store design on this machine.
 *
 * usage: sqlite_ceiling DATABASE SETUP_SQL ROW_FILE [SPOOL_FILE NAMESPACE]
 *
 * With SPOOL_FILE and NAMESPACE, the loop also derives each row's event key as the daemon does
 * for a record without an id of its own. The key is the first 16 bytes of
 * sha256(NAMESPACE + "\0" + the source line at the row's line_offset). It checks the key against
 * the row's stored key before the insert and fails on a mismatch. That keyed rate is the limit of
 * a design that stores each line exactly once by its content. The spool file is read into memory
 * before the clock starts, as the row file is.
 *
 * SETUP_SQL holds the schema and the INSERT of the spool file's row; it runs before the clock
 * starts. ROW_FILE (written by scripts/bench.py, little-endian) is a sequence of records:
 *   'B' u32 row_count, 14 values (the UPDATE's parameters), then row_count rows of 34 values
 *   'E' end of file
 * A value is a tag byte: 0 NULL, 1 int64 (8 bytes), 2 text (u32 length + bytes),
 * 3 blob (u32 length + bytes).
 *
 * Prints one line of JSON: rows inserted, batches, seconds between the first BEGIN and the
 * last COMMIT, and the SQLite library version.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#define EVENT_COLUMNS 34
#define UPDATE_PARAMETERS 14
/* 0-based position of line_offset in the INSERT below. */
#define LINE_OFFSET_COLUMN 26

static const char *insert_sql =
    "INSERT INTO events (event_key, shape, provider, model, requested_model, session_id, request_id,"
    " started_at_ns, latency_ms, ttft_ms, status, status_code, input_uncached, cache_read,"
    " cache_write, output, reasoning, unclassified, usage_state, quality, client_key_id,"
    " account_id, auth_index, service_name, host_name, file_id, line_offset, tool_input_tokens,"
    " tool_output_tokens, cost_nanos, cost_estimated, price_ref, priced_at_ns, cost_change_seq)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(started_at_ns, event_key) DO NOTHING";

static const char *update_sql =
    "UPDATE files SET path = ?, device = ?, inode = ?, size = ?, committed_offset = ?, head_length = ?,"
    " head_hash = ?, tail_hash = ?, state = ?, birth_ns = ?, modified_ns = ?,"
    " compression = ?, updated_ns = ? WHERE file_id = ?";

static void fail(sqlite3 *db, const char *operation) {
    fprintf(stderr, "sqlite_ceiling: %s failed: %s\n", operation, db ? sqlite3_errmsg(db) : "no database");
    exit(1);
}

static void execute(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: %s failed: %s\n", sql, message ? message : "unknown error");
        exit(1);
    }
}

static char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *bytes = malloc((size_t)size + 1);
    if (!bytes || fread(bytes, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "sqlite_ceiling: cannot read %s\n", path);
        exit(1);
    }
    bytes[size] = 0;
    fclose(file);
    *length = (size_t)size;
    return bytes;
}

static uint32_t read_u32(const unsigned char **cursor) {
    uint32_t value;
    memcpy(&value, *cursor, 4);
    *cursor += 4;
    return value;
}

/* Binds the value at *cursor to parameter `index` (1-based) and advances the cursor. The buffer
 * outlives every step, so text and blobs are bound without copies. Returns where the value's tag
 * byte was. */
static const unsigned char *bind_value(sqlite3 *db, sqlite3_stmt *statement, int index, const unsigned char **cursor) {
    const unsigned char *start = *cursor;
    unsigned char tag = **cursor;
    *cursor += 1;
    int rc;
    switch (tag) {
    case 0:
        rc = sqlite3_bind_null(statement, index);
        break;
    case 1: {
        int64_t value;
        memcpy(&value, *cursor, 8);
        *cursor += 8;
        rc = sqlite3_bind_int64(statement, index, value);
        break;
    }
    case 2: {
        uint32_t length = read_u32(cursor);
        rc = sqlite3_bind_text(statement, index, (const char *)*cursor, (int)length, SQLITE_STATIC);
        *cursor += length;
        break;
    }
    case 3: {
        uint32_t length = read_u32(cursor);
        rc = sqlite3_bind_blob(statement, index, *cursor, (int)length, SQLITE_STATIC);
        *cursor += length;
        break;
    }
    default:
        fprintf(stderr, "sqlite_ceiling: invalid value tag %u in the row file\n", tag);
        exit(1);
    }
    if (rc != SQLITE_OK) {
        fail(db, "bind");
    }
    return start;
}

/* The spool file and key namespace of keyed mode. `spool` is NULL when the mode is off. */
struct key_source {
    const char *spool;
    size_t spool_length;
    const char *namespace;
};

/* Derives the key of the line at the row's line_offset and checks it against the row's key.
 * `key_value` and `offset_value` point at the tag bytes of the row's event_key and line_offset. */
static void check_key(const struct key_source *source, const unsigned char *key_value,
                      const unsigned char *offset_value) {
    int64_t offset;
    uint32_t key_length;
    if (*key_value != 3 || *offset_value != 1) {
        fprintf(stderr, "sqlite_ceiling: invalid row file: a row has no blob event_key"
                        " or no integer line_offset\n");
        exit(1);
    }
    memcpy(&key_length, key_value + 1, 4);
    memcpy(&offset, offset_value + 1, 8);
    if (key_length != 16 || offset < 0 || (size_t)offset >= source->spool_length) {
        fprintf(stderr, "sqlite_ceiling: invalid row file: an event_key is not 16 bytes"
                        " or a line_offset is outside the spool file\n");
        exit(1);
    }
    const char *line = source->spool + offset;
    const char *end = memchr(line, '\n', source->spool_length - (size_t)offset);
    size_t length = end ? (size_t)(end - line) : source->spool_length - (size_t)offset;
    SHA256_CTX context;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Init(&context);
    SHA256_Update(&context, source->namespace, strlen(source->namespace));
    SHA256_Update(&context, "", 1);
    SHA256_Update(&context, line, length);
    SHA256_Final(digest, &context);
    if (memcmp(digest, key_value + 5, 16) != 0) {
        fprintf(stderr, "sqlite_ceiling: the key derived from the line at offset %lld differs from the stored key;"
                        " check that SPOOL_FILE and NAMESPACE belong to ROW_FILE\n",
                (long long)offset);
        exit(1);
    }
}

static double now_seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: sqlite_ceiling DATABASE SETUP_SQL ROW_FILE [SPOOL_FILE NAMESPACE]\n");
        return 2;
    }
    struct key_source source = {NULL, 0, NULL};
    if (argc == 6) {
        source.spool = read_file(argv[4], &source.spool_length);
        source.namespace = argv[5];
    }
    size_t setup_length, rows_length;
    char *setup = read_file(argv[2], &setup_length);
    char *rows = read_file(argv[3], &rows_length);

    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fail(db, "open");
    }
    /* The daemon's connection settings (Store.init). */
    execute(db, "PRAGMA busy_timeout = 5000");
    execute(db, "PRAGMA journal_mode = WAL");
    execute(db, "PRAGMA synchronous = NORMAL");
    execute(db, "PRAGMA foreign_keys = ON");
    execute(db, "BEGIN");
    execute(db, setup);
    execute(db, "COMMIT");

    sqlite3_stmt *insert = NULL, *update = NULL;
    if (sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &insert, NULL) != SQLITE_OK) {
        fail(db, "prepare INSERT");
    }
    if (sqlite3_prepare_v3(db, update_sql, -1, SQLITE_PREPARE_PERSISTENT, &update, NULL) != SQLITE_OK) {
        fail(db, "prepare UPDATE");
    }

    const unsigned char *cursor = (const unsigned char *)rows;
    long long row_total = 0, inserted = 0, batches = 0;
    double started = now_seconds();
    while (*cursor == 'B') {
        cursor += 1;
        uint32_t count = read_u32(&cursor);
        execute(db, "BEGIN IMMEDIATE");
        /* The daemon upserts the file row first, then inserts the batch's events. */
        for (int index = 1; index <= UPDATE_PARAMETERS; index++) {
            bind_value(db, update, index, &cursor);
        }
        if (sqlite3_step(update) != SQLITE_DONE) {
            fail(db, "UPDATE files");
        }
        sqlite3_reset(update);
        for (uint32_t row = 0; row < count; row++) {
            const unsigned char *values[EVENT_COLUMNS];
            for (int index = 1; index <= EVENT_COLUMNS; index++) {
                values[index - 1] = bind_value(db, insert, index, &cursor);
            }
            if (source.spool) {
                check_key(&source, values[0], values[LINE_OFFSET_COLUMN]);
            }
            if (sqlite3_step(insert) != SQLITE_DONE) {
                fail(db, "INSERT INTO events");
            }
            inserted += sqlite3_changes(db);
            sqlite3_reset(insert);
        }
        execute(db, "COMMIT");
        row_total += count;
        batches += 1;
    }
    double elapsed = now_seconds() - started;
    if (*cursor != 'E') {
        fprintf(stderr, "sqlite_ceiling: the row file is truncated or invalid\n");
        return 1;
    }
    sqlite3_finalize(insert);
    sqlite3_finalize(update);
    if (sqlite3_close(db) != SQLITE_OK) {
        fail(db, "close");
    }
    printf("{\"rows\": %lld, \"inserted\": %lld, \"batches\": %lld, \"seconds\": %.6f, \"sqlite\": \"%s\"}\n",
           row_total, inserted, batches, elapsed, sqlite3_libversion());
    free(setup);
    free(rows);
    free((void *)source.spool);
    return 0;
}
