# megatron_writer.py — an independent re-implementation of Megatron-LM's
# _IndexWriter (megatron/core/datasets/indexed_dataset.py) with struct only,
# used by indexed_dataset_test.cpp as the outside truth for the .idx layout.
# Usage: python megatron_writer.py OUT.idx DTYPE_CODE LEN [LEN ...]
import struct
import sys

out, code, lengths = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
itemsize = {4: 4, 8: 2}[code]
document_indices = [0]
for i in range(len(lengths)):  # one sequence per document: end_document() after each add_item()
    document_indices.append(i + 1)
pointers, ptr = [], 0
for n in lengths:
    pointers.append(ptr)
    ptr += n * itemsize
with open(out, "wb") as f:
    f.write(b"MMIDIDX\x00\x00")
    f.write(struct.pack("<Q", 1))
    f.write(struct.pack("<B", code))
    f.write(struct.pack("<Q", len(lengths)))
    f.write(struct.pack("<Q", len(document_indices)))
    f.write(struct.pack("<%di" % len(lengths), *lengths))
    f.write(struct.pack("<%dq" % len(pointers), *pointers))
    f.write(struct.pack("<%dq" % len(document_indices), *document_indices))
