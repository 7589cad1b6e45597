// file_io.cpp — whole-file reads and atomic writes: temp file, fsync, rename (file_io.h).
#include "crossover/util/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crossover/util/check.h"

namespace crossover {
namespace fs = std::filesystem;

std::string read_file_text(const std::string& path) {
  if (fs::is_directory(path)) throw Error(str_cat("cannot read '", path, "': it is a directory"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(str_cat("cannot read '", path, "': ", std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(str_cat("cannot read '", path, "': read error"));
  return ss.str();
}

namespace {

void write_all_fd(int fd, const std::string& text, const std::string& path) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(str_cat("cannot write '", path, "': ", n < 0 ? std::strerror(errno) : "short write",
                          " (hint: is the disk full?)"));
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_synced(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(str_cat("cannot write '", path, "': ", std::strerror(errno)));
  try {
    write_all_fd(fd, text, path);
    if (::fsync(fd) != 0)
      throw Error(str_cat("cannot write '", path, "': fsync: ", std::strerror(errno),
                          " (hint: is the disk full?)"));
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0)
    throw Error(str_cat("cannot write '", path, "': close: ", std::strerror(errno),
                        " (hint: is the disk full?)"));
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  try {
    write_file_synced(tmp, text);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(str_cat("cannot replace '", path, "': ", std::strerror(e)));
  }
}

void remove_run_tree(const std::string& dir, const std::string& parent) {
  if (!fs::exists(fs::symlink_status(dir))) return;
  const fs::path d = fs::weakly_canonical(fs::absolute(dir));
  const fs::path p = fs::weakly_canonical(fs::absolute(parent));
  if (d.parent_path() != p || d == p || d.filename().empty() || d.filename() == "." ||
      d.filename() == "..")
    throw Error(str_cat("refusing to delete '", dir, "' (resolves to '", d.string(),
                        "'): it is not a run directory directly inside '", p.string(),
                        "'; hint: run.name must be one plain folder name"));
  fs::remove_all(d);
}

}  // namespace crossover
