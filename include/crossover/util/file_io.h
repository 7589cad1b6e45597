// file_io.h — whole-file reads and checked, atomic writes (no torch).
//
// Every write a run depends on (config.yaml, summary.json, metrics rewrites,
// checkpoint state) goes through write_file_atomic: the text lands in a
// sibling temp file, is flushed and fsync'ed, and only then renamed over the
// target. A failed write (full disk, read-only folder) throws Error naming the
// file and the OS reason, and leaves the old file untouched.
//
// remove_run_tree is the only way crossover deletes a run directory: it
// refuses any path that does not resolve to a direct child of the given
// parent, so a bad name can never take siblings or the parent with it.
#pragma once

#include <string>

namespace crossover {

// The whole file as bytes; throws Error ("cannot read 'path': reason").
std::string read_file_text(const std::string& path);

// Writes `text` to `path` (truncating), fsyncs and closes it; throws Error on a
// short write or a failed fsync/close. Not atomic: for files inside a
// directory that is itself renamed into place (checkpoints).
void write_file_synced(const std::string& path, const std::string& text);

// Atomic replace (write_file_synced to a temp file, then rename); throws Error
// on any failed step and leaves the old file untouched.
void write_file_atomic(const std::string& path, const std::string& text);

// Deletes `dir` and everything under it, after checking that its resolved path
// is a direct child of the resolved `parent` (never `parent` itself, never
// outside it). Throws Error otherwise; a missing `dir` is a no-op.
void remove_run_tree(const std::string& dir, const std::string& parent);

}  // namespace crossover
