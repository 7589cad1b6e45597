// safetensors.h — read and write the safetensors format
// (https://github.com/huggingface/safetensors), so checkpoints open in Python
// with `safetensors.torch.load_file` and PyTorch fixtures open here.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//    ..., "__metadata__": {"key": "value"}}
// (padded with spaces to a multiple of 8), then the raw little-endian tensor
// bytes; offsets are relative to the end of the header and must tile the data
// exactly. Supported dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL.
//
// Writes are atomic: a temp file in the same directory, fsync, rename.
// Reads validate every bound and throw crossover::Error naming the file on
// truncation or corruption. Not memory-mapped: tensors are read into fresh
// CPU tensors.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace crossover {

// Tensors are written in the given order (any device, any strides; copied to
// contiguous CPU). Names must be unique and must not be "__metadata__".
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// All tensors of the file (CPU, contiguous); fills *metadata when given.
std::map<std::string, torch::Tensor> load_safetensors(
    const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

}  // namespace crossover
