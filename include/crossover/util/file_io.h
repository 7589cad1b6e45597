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

// Atomic replace (temp + fsync + rename); throws Error on any failed step.
void write_file_atomic(const std::string& path, const std::string& text);

// Writes `text` to an already open file descriptor; throws on a short write.
void write_all_fd(int fd, const std::string& text, const std::string& path_for_errors);

// Deletes `dir` and everything under it, after checking that its resolved path
// is a direct child of the resolved `parent` (never `parent` itself, never
// outside it). Throws Error otherwise; a missing `dir` is a no-op.
void remove_run_tree(const std::string& dir, const std::string& parent);

}  // namespace crossover
